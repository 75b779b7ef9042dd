import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { promoteFromRest } from '@/server/promotion/actions';
import { PROMOTE } from '@/server/promotion/access';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The trading team's `POST /models/{model_version}/promote?traffic_percentage=N` (next.config.mjs rewrites it here):
 * a bare `vN` names the only model, or `?model=` says which.
 */
export const POST = restHandler({
  need: PROMOTE,
  getDb: () => appDb().db,
  run: async ({ db, actor, req }) => {
    const version = decodeURIComponent(new URL(req.url).pathname.split('/').at(-1) ?? '');
    return promoteFromRest(db, { version }, Object.fromEntries(new URL(req.url).searchParams), actor);
  },
});
