import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { listModels } from '@/server/registry/versions';
import { guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** GET /api/v1/models — every model with its versions (status, key metrics). */
export const GET = guarded(restHandler({ need: { role: 'analyst', scope: 'read' }, getDb: () => appDb().db, run: async ({ db }) => ({ models: await listModels(db) }) }));
