/**
 * The inference HTTP API as transport-neutral handlers (plain request in, status + JSON body out), shared by the
 * Next.js routes (/api/v1/*, and the root paths today's clients use, via rewrites) and the lean `serve` process,
 * which calls them straight from node:http without building Fetch Request/Response objects. Same schemas, same
 * engine, same auth.
 */
import type { Db } from '../db/client';
import type { Principal, Requirement } from '../auth/principal';
import { accessError } from '../auth/principal';
import { principalFromHeaders, type HeaderSource } from '../auth/request';
import { errorBody, errorOf, parseJsonBody, requestIdFrom, withRequestId, type PlainResponse } from '../http/rest';
import { APP_VERSION } from '../config';
import type { InferenceEngine } from './engine';
import type { MetricsRecorder, ProcessSampler } from '../monitoring/rollups';
import { PrometheusMetrics, answerMetrics, wantsJson } from '../monitoring/prometheus';
import paths from './paths.json';

/** Caches API-key checks for a few seconds on the hot path; dropped on every serving reload (e.g. a revoked key). */
export class AuthCache {
  private readonly keys = new Map<string, { p: Principal; until: number }>();
  private readonly inflight = new Map<string, Promise<Principal>>();
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 10_000,
  ) {}
  clear() {
    this.keys.clear();
  }
  async principal(headers: HeaderSource): Promise<Principal> {
    const auth = headers.get('authorization');
    const key = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? headers.get('x-api-key');
    if (!key) return principalFromHeaders(this.db, headers);
    const hit = this.keys.get(key);
    if (hit && hit.until > Date.now()) return hit.p;
    // A burst after the entry expired shares one lookup.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = principalFromHeaders(this.db, headers).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const p = await pending;
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
  /** This process's metric roll-ups and system samples (absent in tests that build a bare context). */
  metrics?: MetricsRecorder;
  sampler?: ProcessSampler;
  /** This process's Prometheus registry (server/monitoring/prometheus.ts). */
  prom?: PrometheusMetrics;
}

/** What a handler needs of a request, whatever the transport. */
export interface PlainRequest {
  headers: HeaderSource;
  /** The raw body text ('' when none). */
  text(): Promise<string>;
  /** The request id the transport chose (requestIdFrom); taken from the headers when absent. */
  requestId?: string;
}

const PREDICT: Requirement = { role: 'analyst', scope: 'predict' };
const RELOAD: Requirement = { role: 'engineer', scope: 'train' };

async function denied(ctx: ServingContext, req: PlainRequest, needs: Requirement[]): Promise<PlainResponse | null> {
  const err = accessError(await ctx.auth.principal(req.headers), needs);
  return err ? errorOf(err) : null;
}

export type Handler = (req: PlainRequest, ctx: ServingContext) => Promise<PlainResponse>;

const wrap =
  (needs: Requirement[] | 'public', fn: (req: PlainRequest, ctx: ServingContext) => Promise<unknown>): Handler =>
  async (req, ctx) => {
    const requestId = req.requestId ?? requestIdFrom(req.headers);
    try {
      if (needs !== 'public') {
        const no = await denied(ctx, req, needs);
        if (no) return withRequestId(no, requestId);
      }
      return { status: 200, body: await fn(req, ctx), headers: { 'x-request-id': requestId } };
    } catch (e) {
      return withRequestId(errorOf(e, requestId), requestId);
    }
  };

export const handlers = {
  /** POST — one prediction. */
  predict: wrap([PREDICT], async (req, ctx) => ctx.engine.predict(parseJsonBody(await req.text(), 1_000_000))),
  /** POST — up to SERVING_MAX_BATCH_ITEMS predictions; each item succeeds or fails on its own. */
  batchPredict: wrap([PREDICT], async (req, ctx) => ctx.engine.predictBatch(parseJsonBody(await req.text(), 32_000_000))),
  /** GET — what is served: models, split, versions, cache, batching, prediction log. */
  modelInfo: wrap([PREDICT, { role: 'analyst', scope: 'read' }], async (_req, ctx) => ctx.engine.info()),
  /** POST — reload now (normally automatic on every change, via LISTEN/NOTIFY). */
  reload: wrap([RELOAD], async (_req, ctx) => ({ reloaded: true, ...(await ctx.engine.reload('requested')) })),
  /** GET — liveness of the serving layer, no auth (today's clients' /health). */
  health: wrap('public', async (_req, ctx) => {
    const info = ctx.engine.info();
    return {
      status: 'healthy',
      model_loaded: info.models.some((m) => m.split.some((s) => s.loaded)),
      symbols: info.symbols,
      any_symbol_model: info.any_symbol_model,
      version: APP_VERSION,
      tensorflow: info.tensorflow?.backend ?? null,
      served_by: info.served_by,
    };
  }),
};

type HandlerName = keyof typeof handlers;
const SERVING_PATHS = Object.entries(paths).filter(([p]) => p !== '//') as [string, { method: 'GET' | 'POST'; handler: HandlerName }][];

/** Path → handler: each inference path at its root (today's clients) and under /api/v1 (paths.json lists them once). */
export const ROUTES: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = Object.fromEntries(
  SERVING_PATHS.flatMap(([p, r]) => [`/${p}`, `/api/v1/${p}`].map((path) => [path, { method: r.method, handler: handlers[r.handler] }])),
);

/**
 * One inference request, whatever the transport (the Next.js route and the serve process call this): the route
 * for the path, 404/405 when there is none, the request id in and out, and never a 500 with details.
 */
export async function dispatch(path: string, method: string, req: PlainRequest, ctx: ServingContext | (() => Promise<ServingContext>)): Promise<PlainResponse> {
  const requestId = (req.requestId ??= requestIdFrom(req.headers));
  const route = ROUTES[path];
  if (!route) return withRequestId(errorBody(404, 'NOT_FOUND', `No endpoint ${path}. Try POST /predict, POST /batch-predict, GET /model/info, GET /health.`), requestId);
  if (method !== route.method) return withRequestId(errorBody(405, 'METHOD_NOT_SUPPORTED', `${path} takes ${route.method}.`), requestId);
  try {
    return await route.handler(req, typeof ctx === 'function' ? await ctx() : ctx);
  } catch (e) {
    return withRequestId(errorOf(e, requestId), requestId);
  }
}

const fallback = globalThis as unknown as { __signalopsFallbackProm?: PrometheusMetrics };

/**
 * GET /metrics of the web process (app/api/v1/metrics*, and /metrics through a rewrite for non-browser clients):
 * this process's registry, or with `json` (or Accept: application/json) today's dashboard JSON across all replicas.
 * When the serving context cannot start (e.g. the database is down) the exposition still answers, from a registry
 * with the process metrics and the failure counted.
 */
export async function metricsResponse(req: Request, opts: { json: boolean; context: () => Promise<ServingContext>; db: () => Db }): Promise<Response> {
  const requestId = requestIdFrom(req.headers);
  let ctx: ServingContext | null = null;
  try {
    ctx = await opts.context();
  } catch {
    ctx = null;
  }
  let db: Db | null = ctx?.db ?? null;
  if (!db) {
    try {
      db = opts.db();
    } catch {
      db = null;
    }
  }
  const a = await answerMetrics({
    headers: req.headers,
    requestId,
    json: opts.json || wantsJson(req.headers.get('accept')),
    principal: () => (ctx ? ctx.auth.principal(req.headers) : db ? principalFromHeaders(db, req.headers) : Promise.resolve({ kind: 'anonymous' as const })),
    db,
    exposition: async () => {
      let prom = ctx?.prom;
      if (!prom) {
        prom = fallback.__signalopsFallbackProm ??= new PrometheusMetrics({ db: null });
        prom.scrapeErrors.inc({ source: 'serving' });
      }
      return { text: await prom.metrics(), contentType: prom.contentType };
    },
  });
  return new Response(a.body, { status: a.status, headers: { 'content-type': a.contentType, 'x-request-id': requestId } });
}
