/**
 * Request rate limits per API key and per signed-in user, shared by every replica through PostgreSQL
 * (rate-limiter-flexible's PostgreSQL store on the `rate_limits` table), without a database round trip per request.
 *
 * The counter of a subject (`key:<api key id>`, `user:<user id>`) is a fixed one-minute window in `rate_limits`
 * (`rl:<subject>` → points consumed, window end). A process does not ask PostgreSQL for every request: it RESERVES
 * points in chunks (one `consume(subject, need + chunk)`), keeps the reservation in memory and spends it locally;
 * the next reservation is made in the background when a quarter of the chunk is left. The chunk is 1/16 of what was
 * left of the limit at the last reservation (at most 1,000 points): far from the limit a process talks to PostgreSQL
 * once per ~750 predictions of a 12,000/min key; near it the chunk shrinks to 0 and every request is counted in
 * PostgreSQL, so a small limit is exact across replicas. What a reservation gets is what was left:
 * `min(asked, limit − consumed before)`, so the sum of what all replicas admit in a window never exceeds the limit.
 * Points reserved but not spent lapse with their window (a replica that stops getting traffic under-admits by at
 * most its chunk — the price of not asking PostgreSQL per request). Once a subject's window is exhausted the process
 * refuses it from memory until the window ends (no database traffic from a client that keeps hammering). Limits of
 * 1,000 and more never make a request wait for PostgreSQL at all (CREDIT_MIN_LIMIT: admitted on credit while the
 * reservation is made); smaller ones wait for it and are exact.
 *
 * Cost: one point per call, a batch one point per item (a 1,000-item batch is 1,000 predictions of work).
 *
 * Fail open: when PostgreSQL errs or takes longer than RATE_LIMIT_STORE_TIMEOUT_MS, the request is let through
 * (counted in `stats.failOpen`, logged once per outage, and once when limits work again), and the store is not asked
 * again for 2 s — limits must never be why predictions stop during a database outage.
 */
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Principal } from '../auth/principal';
import { config } from '../config';
import { DomainError } from '../errors';
import { logger } from '../log';

/** The window of every request limit. */
export const WINDOW_SECONDS = 60;
const WINDOW_MS = WINDOW_SECONDS * 1000;
/** After a store failure, requests are let through without asking the store for this long. */
const STORE_BACKOFF_MS = 2000;
/**
 * Limits from this size up never make a request wait for PostgreSQL: with nothing reserved (a new window, a burst
 * that spent the reservation) up to one chunk is admitted on credit while the reservation is made, and paid from it.
 * If the window turns out to be used up the credit is an overshoot of at most one chunk per process (≤ 1/16 of what
 * was left, ≤ 1,000 points) — for a 12,000/min key that is what a few hundred milliseconds of its traffic could be.
 * Smaller limits wait for the store and are exact.
 */
const CREDIT_MIN_LIMIT = 1000;

/** The outcome of one check, with what the RateLimit-* headers say. */
export interface RateDecision {
  allowed: boolean;
  /** Points per window of this subject. */
  limit: number;
  /** Points left in this window (this process's view: the store's count at the last reservation, plus what it holds). */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** Refused: seconds until a retry can succeed. */
  retryAfterSeconds: number;
  /** This request cost more points than the limit allows in a whole window. */
  tooBig?: boolean;
  /** Let through without a check because the store was unavailable. */
  failOpen?: boolean;
}

interface Slot {
  limit: number;
  /** Points reserved in the store and not yet spent by this process. */
  local: number;
  /** End of the store's window the reservation belongs to (epoch ms). */
  windowEnd: number;
  /** limit − consumed, as the store said at the last reservation. */
  remainingAtSync: number;
  /** The store's window is exhausted: refuse from memory until then. */
  blockedUntil: number;
  /** Points admitted on credit (see CREDIT_MIN_LIMIT), paid from the next reservation. */
  debt: number;
  pending: Promise<boolean> | null;
  /** Last use (for evicting idle subjects). */
  usedAt: number;
}

export interface LimiterOptions {
  /** The table's key prefix: `rl` for request limits. */
  keyPrefix?: string;
  storeTimeoutMs?: number;
  /** Share of what is left that one reservation takes (1/16). */
  chunkFraction?: number;
  /** Largest reservation beyond the request's own points. */
  maxChunk?: number;
}

/** Wraps a promise with a timeout; the late result is dropped (points it consumed are lost to this window). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`rate-limit store did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export class RequestLimiter {
  private readonly slots = new Map<string, Slot>();
  /** One rate-limiter-flexible limiter per (pool, points): the stored counter is shared, the limit is applied here. */
  private readonly stores = new WeakMap<pg.Pool, Map<number, RateLimiterPostgres>>();
  private downUntil = 0;
  private down = false;
  readonly stats = { allowed: 0, refused: 0, failOpen: 0, storeCalls: 0, storeErrors: 0, credited: 0, overshoot: 0 };
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;
  private readonly fraction: number;
  private readonly maxChunk: number;

  constructor(opts: LimiterOptions = {}) {
    this.keyPrefix = opts.keyPrefix ?? 'rl';
    this.timeoutMs = opts.storeTimeoutMs ?? config().RATE_LIMIT_STORE_TIMEOUT_MS;
    this.fraction = opts.chunkFraction ?? 1 / 16;
    this.maxChunk = opts.maxChunk ?? 1000;
  }

  private store(pool: pg.Pool, limit: number): RateLimiterPostgres {
    let byLimit = this.stores.get(pool);
    if (!byLimit) this.stores.set(pool, (byLimit = new Map()));
    let s = byLimit.get(limit);
    if (!s) {
      s = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: this.keyPrefix,
        points: limit,
        duration: WINDOW_SECONDS,
        // One hourly sweep of expired rows per pool is enough (it deletes across all prefixes).
        clearExpiredByTimeout: byLimit.size === 0,
      });
      byLimit.set(limit, s);
    }
    return s;
  }

  /**
   * Spends `points` of `subject`'s `limit` per minute. Resolves without a database round trip while this process
   * holds enough reserved points.
   */
  async take(pool: pg.Pool, subject: string, limit: number, points = 1): Promise<RateDecision> {
    const now = Date.now();
    let found = this.slots.get(subject);
    if (!found) {
      if (this.slots.size >= 50_000) this.evict(now);
      found = { limit, local: 0, windowEnd: 0, remainingAtSync: limit, blockedUntil: 0, debt: 0, pending: null, usedAt: now };
      this.slots.set(subject, found);
    }
    const s = found;
    s.usedAt = now;
    if (s.limit !== limit) {
      // The key's limit was changed: start over (what is held was reserved under the old limit).
      s.limit = limit;
      s.local = 0;
      s.blockedUntil = 0;
      s.debt = 0;
      s.remainingAtSync = limit;
    }
    if (now >= s.windowEnd) {
      s.local = 0;
      s.remainingAtSync = limit;
    }
    if (points > limit) return this.refuse(s, now, true);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (s.local >= points) {
        s.local -= points;
        this.prefetch(pool, subject, s);
        return this.allow(s, Date.now());
      }
      if (s.blockedUntil > Date.now()) return this.refuse(s, Date.now());
      if (this.downUntil > Date.now()) return this.failOpen(s);
      if (s.limit >= CREDIT_MIN_LIMIT && s.debt + points <= this.chunkOf(s)) {
        // far from the limit: admit now, pay from the reservation being made
        s.debt += points;
        this.stats.credited += points;
        s.pending ??= this.reserve(pool, subject, s, 0).finally(() => (s.pending = null));
        return this.allow(s, Date.now());
      }
      s.pending ??= this.reserve(pool, subject, s, points).finally(() => (s.pending = null));
      const failed = await s.pending;
      if (failed) return this.failOpen(s);
    }
    return s.local >= points ? ((s.local -= points), this.allow(s, Date.now())) : this.refuse(s, Date.now());
  }

  /** The next reservation in the background, when a quarter of the usual chunk is left. */
  private prefetch(pool: pg.Pool, subject: string, s: Slot) {
    const chunk = this.chunkOf(s);
    if (s.pending || s.blockedUntil > Date.now() || this.downUntil > Date.now()) return;
    if (s.debt === 0 && (chunk === 0 || s.local * 4 >= chunk)) return;
    s.pending = this.reserve(pool, subject, s, 0).finally(() => (s.pending = null));
  }

  private chunkOf(s: Slot): number {
    return Math.min(this.maxChunk, Math.floor(s.remainingAtSync * this.fraction));
  }

  /** One `consume` in the store; true when the store failed (the caller fails open). */
  private async reserve(pool: pg.Pool, subject: string, s: Slot, need: number): Promise<boolean> {
    const ask = need + s.debt + this.chunkOf(s);
    if (ask <= 0) return false;
    const limit = s.limit;
    this.stats.storeCalls++;
    let res: RateLimiterRes;
    try {
      res = await withTimeout(this.store(pool, limit).consume(subject, ask), this.timeoutMs);
    } catch (e) {
      if (e instanceof RateLimiterRes) res = e;
      else {
        this.storeFailed(e);
        return true;
      }
    }
    this.storeOk();
    if (s.limit !== limit) return false; // the limit changed meanwhile; the next call starts over
    const now = Date.now();
    const windowEnd = now + (res.msBeforeNext > 0 ? res.msBeforeNext : WINDOW_MS);
    if (windowEnd > s.windowEnd + 1000 || windowEnd < s.windowEnd - 1000) s.local = 0; // another window: what was held lapsed
    s.windowEnd = windowEnd;
    const before = res.consumedPoints - ask;
    const grant = Math.max(0, Math.min(ask, limit - before));
    s.local += grant;
    s.remainingAtSync = Math.max(0, limit - res.consumedPoints);
    // pay what was admitted on credit
    const pay = Math.min(s.local, s.debt);
    s.local -= pay;
    s.debt -= pay;
    if (grant < ask) {
      s.blockedUntil = windowEnd; // the window is used up beyond what this process now holds
      this.stats.overshoot += s.debt; // admitted on credit that the window did not have (bounded by one chunk)
      s.debt = 0;
    }
    return false;
  }

  private allow(s: Slot, now: number): RateDecision {
    this.stats.allowed++;
    return {
      allowed: true,
      limit: s.limit,
      remaining: Math.max(0, Math.min(s.limit, s.remainingAtSync + s.local - s.debt)),
      resetSeconds: s.windowEnd > now ? Math.ceil((s.windowEnd - now) / 1000) : WINDOW_SECONDS,
      retryAfterSeconds: 0,
    };
  }

  private refuse(s: Slot, now: number, tooBig = false): RateDecision {
    this.stats.refused++;
    const reset = s.windowEnd > now ? Math.ceil((s.windowEnd - now) / 1000) : WINDOW_SECONDS;
    return { allowed: false, limit: s.limit, remaining: tooBig ? Math.min(s.limit, s.remainingAtSync + s.local) : s.local, resetSeconds: reset, retryAfterSeconds: Math.max(1, reset), tooBig };
  }

  private failOpen(s: Slot): RateDecision {
    this.stats.failOpen++;
    return { allowed: true, limit: s.limit, remaining: s.limit, resetSeconds: WINDOW_SECONDS, retryAfterSeconds: 0, failOpen: true };
  }

  private storeFailed(e: unknown) {
    this.stats.storeErrors++;
    this.downUntil = Date.now() + STORE_BACKOFF_MS;
    if (!this.down) {
      this.down = true;
      logger().warn({ component: 'ratelimit', err: e instanceof Error ? e.message.slice(0, 200) : String(e).slice(0, 200) }, 'rate-limit store unavailable: requests are let through unlimited until it answers again');
    }
  }

  private storeOk() {
    if (this.down) {
      this.down = false;
      logger().info({ component: 'ratelimit', failOpen: this.stats.failOpen }, 'rate-limit store answers again: limits apply');
    }
  }

  private evict(now: number) {
    for (const [k, s] of this.slots) if (s.windowEnd < now && !s.pending) this.slots.delete(k);
    if (this.slots.size >= 50_000) this.slots.clear();
  }
}

// --- subjects, headers, errors -------------------------------------------------------------------------------------

/** Who a request is counted against, and their limit per minute; null for callers without a limit (the CLI, anonymous). */
export function subjectOf(p: Principal): { subject: string; limit: number } | null {
  const c = config();
  if (p.kind === 'apikey') return { subject: `key:${p.keyId}`, limit: p.rateLimitPerMinute ?? c.RATE_LIMIT_KEY_PER_MINUTE };
  if (p.kind === 'user') return { subject: `user:${p.userId}`, limit: c.RATE_LIMIT_USER_PER_MINUTE };
  return null;
}

export const NO_RATE_LIMIT_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * `RateLimit-*` (IETF draft httpapi-ratelimit-headers) and, when refused, `Retry-After` — on a refusal always, and
 * otherwise once the caller has spent at least half of the window's points (`remaining` ≤ `limit` / 2): a caller far
 * from its limit has nothing to pace, and four more headers on every answer cost the serve path measurable CPU
 * (Node validates and serialises each one; README "Speed"). Empty (a frozen, shared object) when there is nothing to say.
 */
export function rateLimitHeaders(d: RateDecision): Readonly<Record<string, string>> {
  if (d.allowed && d.remaining > d.limit / 2) return NO_RATE_LIMIT_HEADERS;
  const h: Record<string, string> = {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(Math.max(0, Math.floor(d.remaining))),
    'ratelimit-reset': String(d.resetSeconds),
    'ratelimit-policy': `${d.limit};w=${WINDOW_SECONDS}`,
  };
  if (!d.allowed) h['retry-after'] = String(d.retryAfterSeconds);
  return h;
}

/** A Fetch Response with the RateLimit-* headers of `d` (a copy when its headers are immutable). */
export function withRateLimitHeaders(res: Response, d: RateDecision | null): Response {
  if (!d) return res;
  const h = rateLimitHeaders(d);
  if (h === NO_RATE_LIMIT_HEADERS) return res;
  try {
    for (const [k, v] of Object.entries(h)) res.headers.set(k, v);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    for (const [k, v] of Object.entries(h)) copy.headers.set(k, v);
    return copy;
  }
}

/** The 429 of a refused decision (the transport adds rateLimitHeaders(decision)). */
export function rateLimitError(d: RateDecision, points: number, who: string): DomainError {
  const message = d.tooBig
    ? `This request costs ${points} points (one per item) but ${who} may spend ${d.limit} per minute; send smaller batches.`
    : `Rate limit exceeded: ${who} may spend ${d.limit} points per minute (one per call, one per item of a batch); retry in ${d.retryAfterSeconds} s.`;
  return new DomainError('TOO_MANY_REQUESTS', message, { retryAfterSeconds: d.retryAfterSeconds, limit: d.limit, points });
}

/** `key 'name'` / `user 'name'`, for messages. */
export function whoOf(p: Principal): string {
  return p.kind === 'apikey' ? `API key '${p.name}'` : p.kind === 'user' ? `user '${p.username}'` : 'this caller';
}

const g = globalThis as unknown as { __signalopsRequestLimiter?: RequestLimiter };

/** This process's limiter (one per process, also across Next.js bundles). */
export function requestLimiter(): RequestLimiter {
  return (g.__signalopsRequestLimiter ??= new RequestLimiter());
}

/**
 * Checks and spends `points` for the caller `p`: the decision (null when the caller has no limit, or RATE_LIMITS=off).
 * Transports add rateLimitHeaders(decision) to the answer (empty while far from the limit) and, when refused, answer rateLimitError (429).
 */
export async function limitRequest(pool: pg.Pool, p: Principal, points = 1, limiter: RequestLimiter = requestLimiter()): Promise<RateDecision | null> {
  if (config().RATE_LIMITS === 'off') return null;
  const s = subjectOf(p);
  if (!s) return null;
  return limiter.take(pool, s.subject, s.limit, Math.max(1, Math.ceil(points)));
}

// --- size caps ------------------------------------------------------------------------------------------------------

/**
 * Calls in a tRPC HTTP batch (`/api/trpc/a,b,c?batch=1`), or 1. One batch of 100 `data.chart` calls once answered
 * 307 MB; the tRPC route refuses a batch over TRPC_MAX_BATCH before running any of it (413, naming the limit), and the
 * clients (components/trpc/client.tsx, client/index.ts) split theirs below it.
 */
export function trpcBatchCalls(url: URL, endpoint = '/api/trpc'): number {
  if (url.searchParams.get('batch') !== '1') return 1;
  const p = url.pathname.startsWith(endpoint) ? url.pathname.slice(endpoint.length).replace(/^\//, '') : url.pathname;
  return decodeURIComponent(p).split(',').length;
}

/** The tRPC-shaped 413 for an oversized batch (one error object, as tRPC answers a batch it cannot parse). */
export function trpcBatchTooLarge(calls: number, max: number, requestId: string): Response {
  const message = `This tRPC batch has ${calls} calls; at most ${max} are allowed per HTTP request (TRPC_MAX_BATCH). Split the batch (httpBatchLink's maxItems).`;
  return Response.json(
    { error: { message, code: -32413, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, maxBatch: max, calls, request_id: requestId } } },
    { status: 413, headers: { 'x-request-id': requestId } },
  );
}
