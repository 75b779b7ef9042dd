import { appDb } from '../db/app';
import { childLogger } from '../log';
import { InferenceEngine, engineOptionsFromEnv } from './engine';
import { AuthCache, type ServingContext } from './http';

/** The serving context of this process (web or serve): one engine, started on first use. */
const g = globalThis as unknown as { __signalopsServing?: Promise<ServingContext> };

export function servingContext(): Promise<ServingContext> {
  if (!g.__signalopsServing) {
    g.__signalopsServing = (async () => {
      const h = appDb();
      const engine = await new InferenceEngine(h.db, h.url, childLogger({ component: 'serving' }), engineOptionsFromEnv()).start();
      const auth = new AuthCache(h.db);
      engine.onReload.push(() => auth.clear());
      return { db: h.db, engine, auth };
    })();
    g.__signalopsServing.catch(() => {
      g.__signalopsServing = undefined; // retry on the next request
    });
  }
  return g.__signalopsServing;
}
