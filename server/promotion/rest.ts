import type { Db } from '../db/client';
import { restHandler } from '../http/rest';
import { PROMOTE } from './access';
import { promoteFromRest } from './actions';

/**
 * The promote endpoint (POST …/promote?traffic_percentage=N[&model=&comment=&revision=]) for a path shape:
 * `/api/v1/models/{model}/{version}/promote`, or the trading team's bare `/models/{vN}/promote`.
 */
export function promoteRoute(getDb: () => Db, pathOf: (segments: string[]) => { model?: string; version: string }) {
  return restHandler({
    need: PROMOTE,
    getDb,
    run: async ({ db, actor, req }) => {
      const url = new URL(req.url);
      return promoteFromRest(db, pathOf(url.pathname.split('/').map(decodeURIComponent)), Object.fromEntries(url.searchParams), actor);
    },
  });
}
