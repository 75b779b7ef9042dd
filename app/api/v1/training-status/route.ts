import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { trainingStatus } from '@/server/training/runs';
import { guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** GET /api/v1/training-status — what is training now (queued and running runs, stage, epoch, ETA). */
export const GET = guarded(restHandler({ need: { role: 'analyst', scope: 'read' }, getDb: () => appDb().db, run: ({ db }) => trainingStatus(db) }));
