import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { promoteFromRest } from '@/server/promotion/actions';
import { PROMOTE } from '@/server/promotion/access';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * POST /api/v1/models/{model}/{version}/promote?traffic_percentage=N[&comment=…&revision=R] — the version gets N % of the
 * model's traffic and the champion the rest; 100 makes it champion. Answers `{ status, message, result }`.
 */
export const POST = restHandler({
  need: PROMOTE,
  getDb: () => appDb().db,
  run: async ({ db, actor, req }) => {
    const parts = new URL(req.url).pathname.split('/');
    const [model, version] = parts.slice(-3, -1).map(decodeURIComponent);
    return promoteFromRest(db, { model, version }, Object.fromEntries(new URL(req.url).searchParams), actor);
  },
});
