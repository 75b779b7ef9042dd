/**
 * The inference HTTP API as transport-neutral handlers (plain request in, status + JSON body out), shared by the
 * Next.js routes (/api/v1/*, and the root paths today's clients use, via rewrites) and the lean `serve` process,
 * which calls them straight from node:http without building Fetch Request/Response objects. Same schemas, same
 * engine, same auth.
 */
import type { Db } from '../db/client';
import type { Principal, Requirement } from '../auth/principal';
import { accessError, actorOf } from '../auth/principal';
import { originOf, recordAudit, recordDenial } from '../auth/audit';
import { principalFromHeaders, type HeaderSource } from '../auth/request';
import { errorBody, errorOf, parseJsonBody, requestIdFrom, withRequestId, type PlainResponse } from '../http/rest';
import { APP_VERSION, config } from '../config';
import { DomainError } from '../errors';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { InferenceEngine } from './engine';
import type { MetricsRecorder, ProcessSampler } from '../monitoring/rollups';
import { PrometheusMetrics, answerMetrics, wantsJson } from '../monitoring/prometheus';
import paths from './paths.json';
import { NO_RATE_LIMIT_HEADERS, limitRequest, rateLimitError, rateLimitHeaders, whoOf, type RateDecision, type RequestLimiter } from '../http/ratelimit';

/**
 * Caches API-key checks for a few seconds on the hot path; dropped on every serving reload (e.g. a revoked key).
 *
 * During a database outage (the check fails with a connection error, server/db/unavailable.ts) a key whose check
 * succeeded within `outageGraceMs` (SERVING_OUTAGE_KEY_GRACE_SECONDS, default 5 min) keeps working, so predictions
 * of loaded models go on; a key never seen, or seen longer ago, answers 503 SERVICE_UNAVAILABLE. The bound is also
 * the longest a key revoked during the outage can still be used. While an outage is known (a check failed in the
 * last 2 s) such keys are served without waiting for another failed connect, and a check that takes over 1 s (a
 * database that hangs rather than refuses) serves them on the grace too.
 */
export class AuthCache {
  private readonly keys = new Map<string, { p: Principal; until: number; seenAt: number }>();
  private readonly inflight = new Map<string, Promise<Principal>>();
  private lastOutageAt = 0;
  /** Requests let through on a key checked earlier because the database was unreachable. */
  readonly stats = { outageHits: 0, outageRefusals: 0 };
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 10_000,
    private readonly outageGraceMs = config().SERVING_OUTAGE_KEY_GRACE_SECONDS * 1000,
  ) {}
  /**
   * Every key must be checked again (a reload: e.g. a key was revoked). The outage grace survives it: a reload also
   * follows every reconnect, and forgetting the keys then turned the next request during a flaky database into a 503.
   */
  clear() {
    for (const e of this.keys.values()) e.until = 0;
  }
  async principal(headers: HeaderSource): Promise<Principal> {
    const auth = headers.get('authorization');
    const key = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? headers.get('x-api-key');
    if (!key) return principalFromHeaders(this.db, headers);
    const hit = this.keys.get(key);
    const now = Date.now();
    if (hit && hit.until > now) return hit.p;
    const graced = hit && hit.seenAt + this.outageGraceMs > now ? hit : null;
    if (graced && now - this.lastOutageAt < 2000) {
      this.stats.outageHits++;
      return graced.p;
    }
    // A burst after the entry expired shares one lookup.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = principalFromHeaders(this.db, headers).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    let p: Principal;
    try {
      // A key checked recently does not wait long for a database that hangs (connects time out only after 10 s):
      // after 1 s it is served on the grace as in an outage, and the check goes on in the background.
      const slow = graced ? new Promise<'slow'>((r) => setTimeout(() => r('slow'), 1000).unref()) : null;
      const first = slow ? await Promise.race([pending, slow]) : await pending;
      if (first === 'slow') {
        this.stats.outageHits++;
        void pending.then((q) => this.remember(key, q), () => {});
        return graced!.p;
      }
      p = first;
    } catch (e) {
      if (!isDatabaseUnavailable(e)) throw e;
      this.lastOutageAt = Date.now();
      if (graced) {
        this.stats.outageHits++;
        return graced.p;
      }
      this.stats.outageRefusals++;
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        `The database is unavailable, so this API key cannot be checked right now; try again shortly (keys checked in the last ${Math.round(this.outageGraceMs / 1000)} s keep working during an outage).`,
      );
    }
    this.remember(key, p);
    return p;
  }
  private remember(key: string, p: Principal) {
    if (p.kind === 'apikey') {
      if (this.keys.size > 10_000) this.keys.clear();
      this.keys.set(key, { p, until: Date.now() + this.ttlMs, seenAt: Date.now() });
    } else this.keys.delete(key);
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
  /** Request limits (server/http/ratelimit.ts); default: the process's limiter. Tests give each "replica" its own. */
  limiter?: RequestLimiter;
}

/** What a handler needs of a request, whatever the transport. */
export interface PlainRequest {
  headers: HeaderSource;
  /** The raw body text ('' when none). */
  text(): Promise<string>;
  /** The request id the transport chose (requestIdFrom); taken from the headers when absent. */
  requestId?: string;
  /** The peer's address, when the transport knows it (the serve process); for the audit log. */
  socketAddress?: string | null;
  /** `METHOD /path` (set by dispatch); the audit action of a denial. */
  route?: string;
}

const PREDICT: Requirement = { role: 'analyst', scope: 'predict' };
const RELOAD: Requirement = { role: 'engineer', scope: 'train' };

async function denied(ctx: ServingContext, req: PlainRequest, needs: Requirement[]): Promise<{ principal: Principal; no: PlainResponse | null }> {
  const principal = await ctx.auth.principal(req.headers);
  const err = accessError(principal, needs);
  // Bounded and asynchronous (server/auth/audit.ts recordDenial): never slows the answer, never floods the table.
  if (err) recordDenial(ctx.db, { principal, action: req.route ?? 'serving', need: needs, message: err.message, mutating: !req.route?.startsWith('GET'), origin: originOf(principal, req.headers, req.requestId, req.socketAddress) });
  return { principal, no: err ? errorOf(err) : null };
}

export type Handler = (req: PlainRequest, ctx: ServingContext) => Promise<PlainResponse>;
/** Spends `points` more of the caller's rate limit (a batch: one per item beyond the first); throws the 429 when refused. */
type Charge = (points: number) => Promise<void>;
const noCharge: Charge = async () => {};

/**
 * Auth, then the caller's rate limit (server/http/ratelimit.ts: one point per call up front, so a refused caller is
 * answered before its body is read; a batch charges its other items once parsed), then the handler. Answers carry
 * RateLimit-* headers (and Retry-After on a 429).
 */
const wrap =
  (needs: Requirement[] | 'public', fn: (req: PlainRequest, ctx: ServingContext, charge: Charge) => Promise<unknown>): Handler =>
  async (req, ctx) => {
    const requestId = req.requestId ?? requestIdFrom(req.headers);
    let rl: RateDecision | null = null;
    const withLimit = (r: PlainResponse): PlainResponse => {
      const h = rl ? rateLimitHeaders(rl) : NO_RATE_LIMIT_HEADERS;
      return h === NO_RATE_LIMIT_HEADERS ? r : { ...r, headers: { ...r.headers, ...h } };
    };
    try {
      let charge = noCharge;
      if (needs !== 'public') {
        const { principal, no } = await denied(ctx, req, needs);
        if (no) return withRequestId(no, requestId);
        rl = await limitRequest(ctx.db.$client, principal, 1, ctx.limiter);
        if (rl && !rl.allowed) return withLimit(withRequestId(errorOf(rateLimitError(rl, 1, whoOf(principal))), requestId));
        charge = async (points) => {
          if (points <= 0) return;
          const d = await limitRequest(ctx.db.$client, principal, points, ctx.limiter);
          if (!d) return;
          rl = d;
          if (!d.allowed) throw rateLimitError(d, points + 1, whoOf(principal));
        };
      }
      const body = await fn(req, ctx, charge);
      return withLimit({ status: 200, body, headers: { 'x-request-id': requestId } });
    } catch (e) {
      return withLimit(withRequestId(errorOf(e, requestId), requestId));
    }
  };

/** Items of a batch body (`{ requests: [...] }` or a bare array), for its rate-limit cost. */
function batchItems(body: unknown): number {
  const list = Array.isArray(body) ? body : (body as { requests?: unknown } | null)?.requests;
  return Array.isArray(list) ? list.length : 1;
}

export const handlers = {
  /** POST — one prediction. */
  predict: wrap([PREDICT], async (req, ctx) => ctx.engine.predict(parseJsonBody(await req.text(), 1_000_000))),
  /** POST — up to SERVING_MAX_BATCH_ITEMS predictions; each item succeeds or fails on its own. */
  batchPredict: wrap([PREDICT], async (req, ctx, charge) => {
    const body = parseJsonBody(await req.text(), 32_000_000);
    // a batch costs one point per item (an oversized batch is refused by the engine with 413, not charged in full)
    await charge(Math.min(batchItems(body), config().SERVING_MAX_BATCH_ITEMS) - 1);
    return ctx.engine.predictBatch(body);
  }),
  /** GET — what is served: models, split, versions, cache, batching, prediction log. */
  modelInfo: wrap([PREDICT, { role: 'analyst', scope: 'read' }], async (_req, ctx) => ctx.engine.info()),
  /** POST — reload now (normally automatic on every change, via LISTEN/NOTIFY). */
  reload: wrap([RELOAD], async (req, ctx) => {
    const from = { generation: ctx.engine.generation };
    const to = await ctx.engine.reload('requested');
    const principal = await ctx.auth.principal(req.headers);
    await recordAudit(ctx.db, { actor: actorOf(principal), action: 'serving.reload', target: ctx.engine.info().served_by ?? null, details: { from, to }, ...originOf(principal, req.headers, req.requestId, req.socketAddress) });
    return { reloaded: true, ...to };
  }),
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
  req.route ??= `${method} ${path}`;
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
