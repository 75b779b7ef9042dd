import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { startRun } from '@/server/training/runs';
import { ZTrainRequest } from '@/server/training/params';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** POST /api/v1/train — queue a training run (JSON body: the training request). 202 with the run; 409 if one is active. */
export const POST = guarded(restHandler({
  need: { role: 'engineer', scope: 'train' },
  getDb: () => appDb().db,
  schema: ZTrainRequest,
  run: async ({ db, actor }, input) => Response.json({ run: await startRun(db, input, actor) }, { status: 202 }),
}), { accepts: ACCEPTS.json });
