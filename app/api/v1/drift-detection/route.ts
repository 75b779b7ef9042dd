import { appDb } from '@/server/db/app';
import { parseJsonBody, restHandler } from '@/server/http/rest';
import { driftRequestFromTrading, tradingShape } from '@/server/drift/report';
import { driftAndMaybeRetrain } from '@/server/drift/retrain';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * POST /api/v1/drift-detection (and the trading team's POST /drift-detection, rewritten here): runs a drift report
 * now and answers `{ status, drift_detected, results }`. Body (all optional): `{ model, model_version, hours,
 * dataset, bars }`; without `model`, the only served model.
 */
export const POST = guarded(restHandler({
  need: { role: 'engineer', scope: 'train' },
  getDb: () => appDb().db,
  run: async ({ db, actor, req }) => {
    const text = await req.text();
    const body = text.trim() ? parseJsonBody(text) : {};
    const input = await driftRequestFromTrading(db, body);
    return tradingShape(await driftAndMaybeRetrain(db, input, { actor, trigger: 'api' }));
  },
}), { accepts: ACCEPTS.json });
