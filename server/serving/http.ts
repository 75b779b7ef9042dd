/**
 * The inference HTTP API, as Fetch-API handlers shared by the Next.js routes (/api/v1/*, and the root paths today's
 * clients use, via rewrites) and the lean `serve` process. Same schemas, same engine, same auth.
 */
import type { Db } from '../db/client';
import type { Principal, Requirement } from '../auth/principal';
import { checkAccess } from '../auth/principal';
import { principalFromHeaders } from '../auth/request';
import { errorResponse, readJson, toErrorResponse } from '../http/rest';
import { APP_VERSION } from '../config';
import type { InferenceEngine } from './engine';

/** Caches API-key checks for a few seconds on the hot path; dropped on every serving reload (e.g. a revoked key). */
export class AuthCache {
  private readonly keys = new Map<string, { p: Principal; until: number }>();
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 10_000,
  ) {}
  clear() {
    this.keys.clear();
  }
  async principal(headers: Headers): Promise<Principal> {
    const auth = headers.get('authorization');
    const key = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? headers.get('x-api-key');
    if (!key) return principalFromHeaders(this.db, headers);
    const hit = this.keys.get(key);
    if (hit && hit.until > Date.now()) return hit.p;
    const p = await principalFromHeaders(this.db, headers);
    if (p.kind === 'apikey') {
      if (this.keys.size > 10_000) this.keys.clear();
      this.keys.set(key, { p, until: Date.now() + this.ttlMs });
    }
    return p;
  }
}

export interface ServingContext {
  db: Db;
  engine: InferenceEngine;
  auth: AuthCache;
}

const PREDICT: Requirement = { role: 'analyst', scope: 'predict' };
const RELOAD: Requirement = { role: 'engineer', scope: 'train' };

async function guard(ctx: ServingContext, req: Request, needs: Requirement[]): Promise<Response | null> {
  const p = await ctx.auth.principal(req.headers);
  let last: ReturnType<typeof checkAccess> | null = null;
  for (const need of needs) {
    last = checkAccess(p, need);
    if (last.ok) return null;
  }
  if (!last || last.ok) return null;
  return errorResponse(last.status, last.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', last.message);
}

type Handler = (req: Request, ctx: ServingContext) => Promise<Response>;

const wrap =
  (needs: Requirement[] | 'public', fn: Handler): Handler =>
  async (req, ctx) => {
    try {
      if (needs !== 'public') {
        const denied = await guard(ctx, req, needs);
        if (denied) return denied;
      }
      return await fn(req, ctx);
    } catch (e) {
      return toErrorResponse(e);
    }
  };

export const handlers = {
  /** POST — one prediction. */
  predict: wrap([PREDICT], async (req, ctx) => Response.json(await ctx.engine.predict(await readJson(req, 1_000_000)))),
  /** POST — up to SERVING_MAX_BATCH_ITEMS predictions; each item succeeds or fails on its own. */
  batchPredict: wrap([PREDICT], async (req, ctx) => Response.json(await ctx.engine.predictBatch(await readJson(req, 32_000_000)))),
  /** GET — what is served: models, split, versions, cache, batching, prediction log. */
  modelInfo: wrap([PREDICT, { role: 'analyst', scope: 'read' }], async (_req, ctx) => Response.json(ctx.engine.info())),
  /** POST — reload now (normally automatic on every change, via LISTEN/NOTIFY). */
  reload: wrap([RELOAD], async (_req, ctx) => Response.json({ reloaded: true, ...(await ctx.engine.reload('requested')) })),
  /** GET — liveness of the serving layer, no auth (today's clients' /health). */
  health: wrap('public', async (_req, ctx) => {
    const info = ctx.engine.info();
    return Response.json({
      status: 'healthy',
      model_loaded: info.models.some((m) => m.split.some((s) => s.loaded)),
      default_model: info.default_model,
      version: APP_VERSION,
      tensorflow: info.tensorflow?.backend ?? null,
      served_by: info.served_by,
    });
  }),
};

/** Path → handler for the lean serve process (the web app maps the same paths with route files and rewrites). */
export const ROUTES: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  '/predict': { method: 'POST', handler: handlers.predict },
  '/batch-predict': { method: 'POST', handler: handlers.batchPredict },
  '/model/info': { method: 'GET', handler: handlers.modelInfo },
  '/reload-model': { method: 'POST', handler: handlers.reload },
  '/health': { method: 'GET', handler: handlers.health },
  '/api/v1/predict': { method: 'POST', handler: handlers.predict },
  '/api/v1/batch-predict': { method: 'POST', handler: handlers.batchPredict },
  '/api/v1/model/info': { method: 'GET', handler: handlers.modelInfo },
  '/api/v1/reload-model': { method: 'POST', handler: handlers.reload },
  '/api/v1/health': { method: 'GET', handler: handlers.health },
};
