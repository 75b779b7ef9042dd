import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { trainingStatus } from '@/server/training/runs';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** GET /api/v1/training-status — what is training now (queued and running runs, stage, epoch, ETA). */
export const GET = restHandler({ need: { role: 'analyst', scope: 'read' }, getDb: () => appDb().db, run: ({ db }) => trainingStatus(db) });
