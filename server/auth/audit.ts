/**
 * The audit log: who did what, from where, with what outcome.
 *
 *   1. Origin: where an action came from (IP, user agent, API key id, request id). The transports (tRPC, REST, the
 *      serve process) bind it once per request (`withAuditOrigin` / `enterAuditOrigin`); `recordAudit` picks it up,
 *      so a domain function deep in a call chain records it without taking it as a parameter.
 *   2. `recordAudit`: one row per state change (`ok`, details `{ from, to }`), refusal (`denied`) or failed sign-in
 *      (`failed`). The table is append-only (migration 0008's trigger).
 *   3. Denials, bounded (`recordDenial`): the first of each (actor, action) per minute is written, the rest counted
 *      and written as one summary row when the minute ends.
 *   4. Reading: `listAudit` with filters and keyset paging (newest first, `before` = the last id seen).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import type { DbLike } from '../db/client';
import { auditLog } from '../../drizzle/schema';
import { and, desc, eq, gte, like, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Principal, Requirement } from './principal';
import { actorOf } from './principal';
import type { HeaderSource } from './request';
import { clientIp, userAgentOf } from '../http/client';
import { logger } from '../log';

// 1. Origin ----------------------------------------------------------------------------------------------------------

/** Where an audited action came from (HTTP callers; absent for the CLI and the system). */
export interface AuditOrigin {
  ip?: string | null;
  userAgent?: string | null;
  apiKeyId?: string | null;
  requestId?: string | null;
}

/** The origin of a request, from its caller, headers and id (`socketAddress` when the transport knows the peer). */
export function originOf(principal: Principal, headers: HeaderSource, requestId?: string | null, socketAddress?: string | null): AuditOrigin {
  return {
    ip: clientIp(headers, socketAddress),
    userAgent: userAgentOf(headers),
    apiKeyId: principal.kind === 'apikey' ? principal.keyId : null,
    requestId: requestId ?? null,
  };
}

interface AuditScope {
  /** The audit actor of the request's principal (`actorOf`). */
  actor: string;
  origin: AuditOrigin;
}

const scope = new AsyncLocalStorage<AuditScope>();

/** Runs `fn` with this request's origin bound for `recordAudit` (the tRPC middleware uses it). */
export function withAuditOrigin<T>(principal: Principal, origin: AuditOrigin, fn: () => T): T {
  return scope.run({ actor: actorOf(principal), origin }, fn);
}

/** Binds this request's origin for the rest of the current async call (for handlers that cannot wrap a callback). */
export function enterAuditOrigin(principal: Principal, origin: AuditOrigin): void {
  scope.enterWith({ actor: actorOf(principal), origin });
}

/**
 * The bound origin, when it belongs to `actor`. A timer or listener created during a request inherits that request's
 * async context forever, so a background action (actor `system`, `drift`, …) must not borrow a stale origin: the
 * origin applies only to entries of the request's own actor — or, for an anonymous request, to a sign-in (`user:…`,
 * the actor a login records before any session exists).
 */
function ambientOrigin(actor: string): AuditOrigin {
  const s = scope.getStore();
  if (!s) return {};
  if (s.actor === actor || (s.actor === 'anonymous' && actor.startsWith('user:'))) return s.origin;
  return {};
}

// 2. Recording -------------------------------------------------------------------------------------------------------

export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface AuditEntry extends AuditOrigin {
  actor: string;
  action: string;
  target?: string | null;
  details?: Record<string, unknown>;
  outcome?: AuditOutcome;
}

/**
 * Records an action: state changes (`outcome: 'ok'`, with from → to values in `details`), refused calls
 * (`'denied'`) and failed sign-ins (`'failed'`). Pass the transaction handle when the action is part of one.
 * Origin fields given here win over the request's bound origin.
 */
export async function recordAudit(db: DbLike, entry: AuditEntry): Promise<void> {
  const o = ambientOrigin(entry.actor);
  await db.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    details: entry.details ?? null,
    outcome: entry.outcome ?? 'ok',
    ip: bounded(entry.ip ?? o.ip, 64),
    userAgent: bounded(entry.userAgent ?? o.userAgent, 512),
    apiKeyId: entry.apiKeyId ?? o.apiKeyId ?? null,
    requestId: bounded(entry.requestId ?? o.requestId, 128),
  });
}

const bounded = (s: string | null | undefined, n: number) => (s ? s.slice(0, n) : null);

/**
 * `{ from, to }` of the fields that changed between two snapshots (only keys of `to` that are defined and differ),
 * or null when nothing changed. Dates compare by instant and are written as ISO strings.
 */
export function changes<T extends Record<string, unknown>>(from: T, to: Partial<T>): { from: Partial<T>; to: Partial<T> } | null {
  const f: Partial<T> = {};
  const t: Partial<T> = {};
  for (const k of Object.keys(to) as (keyof T)[]) {
    const a = norm(from[k]);
    const b = norm(to[k]);
    if (to[k] === undefined || JSON.stringify(a) === JSON.stringify(b)) continue;
    f[k] = a as T[keyof T];
    t[k] = b as T[keyof T];
  }
  return Object.keys(t).length ? { from: f, to: t } : null;
}
const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v === undefined ? null : v);

// 3. Denials, bounded ------------------------------------------------------------------------------------------------

/**
 * Records an authorization denial without letting a flood of them flood the table.
 *
 * Which: every denial of an authenticated caller (a user, an API key) and every state-changing attempt (a mutation,
 * a non-GET request) of a caller without valid credentials. Anonymous reads are not recorded: an expired session
 * polling a dashboard, or a crawler, would otherwise bury the entries that matter.
 *
 * How many: per process, the first denial of each (actor, action) in a minute is written at once, with its origin;
 * further ones in that minute are only counted, and one summary row (`details.aggregated`, `details.count`, the
 * window) is written when the minute ends. At most DENIAL_KEYS distinct (actor, action) pairs are tracked per minute;
 * beyond that denials are counted under one overflow pair (`actor: '*'`). So a flood costs at most
 * DENIAL_KEYS + a few rows per minute per process. Writes never block the answer: they are fire-and-forget with a
 * bounded number in flight (beyond it, the row becomes a count). Counts of the current minute are lost if the process
 * dies before it ends — the first denial of every pair is always on record.
 */
export interface DenialInput {
  principal: Principal;
  /** The procedure path (`users.update`) or `METHOD /route`. */
  action: string;
  need: Requirement | readonly Requirement[] | string;
  message: string;
  /** Does the call change state (a mutation / a non-GET request)? */
  mutating: boolean;
  origin: AuditOrigin;
}

const DENIAL_WINDOW_MS = 60_000;
const DENIAL_KEYS = 500;
const MAX_IN_FLIGHT = 20;

interface Pending {
  db: DbLike;
  actor: string;
  action: string;
  count: number;
  windowStart: number;
  last: AuditOrigin;
}

class DenialRecorder {
  private windowStart = 0;
  private pending = new Map<string, Pending>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  now: () => number = Date.now;

  /** True when the denial was written as its own row (first of its pair this minute), false when only counted. */
  record(db: DbLike, d: DenialInput): boolean {
    if (!shouldRecordDenial(d)) return false;
    const now = this.now();
    if (now - this.windowStart >= DENIAL_WINDOW_MS) {
      void this.flush();
      this.windowStart = now;
    }
    const actor = actorOf(d.principal);
    d = { ...d, action: d.action.slice(0, 200) };
    let key = `${actor}\u0000${d.action}`;
    const seen = this.pending.get(key);
    if (seen) {
      seen.count++;
      seen.last = d.origin;
      return false;
    }
    if (this.pending.size >= DENIAL_KEYS) {
      key = '*\u0000*';
      const o = this.pending.get(key) ?? { db, actor: '*', action: '*', count: 0, windowStart: this.windowStart, last: d.origin };
      o.count++;
      this.pending.set(key, o);
      return false;
    }
    this.pending.set(key, { db, actor, action: d.action, count: 0, windowStart: this.windowStart, last: d.origin });
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.pending.get(key)!.count++;
      return false;
    }
    this.write(db, {
      actor,
      action: d.action,
      target: null,
      outcome: 'denied',
      details: { requirement: describeNeed(d.need), message: d.message, principal: d.principal.kind },
      ...d.origin,
    });
    this.schedule();
    return true;
  }

  /** Writes the counts of the current window (one summary row per pair with more than one denial) and starts over. */
  async flush(): Promise<void> {
    const rows = [...this.pending.values()].filter((p) => p.count > 0);
    this.pending = new Map();
    const until = new Date(this.now()).toISOString();
    await Promise.all(
      rows.map((p) =>
        this.writeNow(p.db, {
          actor: p.actor,
          action: p.action,
          outcome: 'denied',
          details: { aggregated: true, count: p.count, from: new Date(p.windowStart).toISOString(), until },
          ...p.last,
        }),
      ),
    );
  }

  /** Resolves when every write started so far has finished (tests). */
  async settle(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  }

  reset() {
    this.pending = new Map();
    this.windowStart = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.windowStart = 0;
      void this.flush();
    }, DENIAL_WINDOW_MS);
    this.timer.unref();
  }

  private write(db: DbLike, e: AuditEntry) {
    void this.writeNow(db, e);
  }

  private async writeNow(db: DbLike, e: AuditEntry) {
    this.inFlight++;
    try {
      // Outside any request scope: the origin is the denied request's, passed explicitly.
      await scope.exit(() => recordAudit(db, e));
    } catch (err) {
      logger().warn({ err: (err as Error).message, action: e.action }, 'audit: could not record a denial');
    } finally {
      this.inFlight--;
    }
  }
}

/** Which denials are worth a row (see DenialInput): authenticated callers always; others when they try to change state. */
export function shouldRecordDenial(d: Pick<DenialInput, 'principal' | 'mutating'>): boolean {
  return d.principal.kind === 'user' || d.principal.kind === 'apikey' || d.mutating;
}

function describeNeed(need: DenialInput['need']): string {
  if (typeof need === 'string') return need;
  const list = Array.isArray(need) ? need : [need as Requirement];
  return list.map((n) => `role ${n.role} or scope ${n.scope}`).join('; or ');
}

const g = globalThis as unknown as { __signalopsDenials?: DenialRecorder };
/** One recorder per process (module copies in different Next.js bundles share it). */
export const denials: DenialRecorder = (g.__signalopsDenials ??= new DenialRecorder());

/** Records an authorization denial, bounded (see DenialInput). Never throws, never waits for the database. */
export function recordDenial(db: DbLike, d: DenialInput): void {
  try {
    denials.record(db, d);
  } catch (err) {
    logger().warn({ err: (err as Error).message }, 'audit: could not record a denial');
  }
}

// 4. Reading ---------------------------------------------------------------------------------------------------------

export interface AuditFilter {
  /** Exact actor (`user:alice`, `apikey:trader`, `cli`, `system`). */
  actor?: string;
  /** Action, or a prefix ending in `.` (`user.` matches `user.create`, `user.update`). */
  action?: string;
  outcome?: AuditOutcome;
  /** Inclusive time range. */
  from?: Date;
  to?: Date;
  /** Case-insensitive substring of the target. */
  q?: string;
  /** Keyset paging: rows with an id below this one (the last id of the previous page). */
  before?: number;
}

export const AUDIT_PAGE_MAX = 500;

const noNul = (s: string) => !s.includes('\u0000');
const ZText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).refine(noNul, 'must not contain NUL bytes');
/** ISO 8601; a time without a zone (a datetime-local form field) is UTC. */
const ZWhen = z
  .preprocess((v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+$/.test(v) ? `${v}Z` : v), z.coerce.date({ error: 'must be a date and time (ISO 8601)' }))
  .refine((d) => d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999, 'must be between 1970 and 9999');
/** Empty strings (an untouched form field, `?actor=`) mean "no filter". */
const opt = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), t.optional());

/** The filters of the audit list, shared by tRPC (`system.audit`) and REST (`GET /api/v1/audit`, query strings). */
export const ZAuditRequest = z
  .object({
    actor: opt(ZText(200)),
    action: opt(ZText(200)),
    outcome: opt(z.enum(['ok', 'denied', 'failed'])),
    from: opt(ZWhen),
    to: opt(ZWhen),
    q: opt(ZText(200)),
    before: opt(z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER)),
    limit: opt(z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX)),
  })
  .default({});

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function auditWhere(f: AuditFilter): SQL | undefined {
  const conds: SQL[] = [];
  if (f.actor) conds.push(eq(auditLog.actor, f.actor));
  if (f.action) conds.push(f.action.endsWith('.') ? like(auditLog.action, `${escapeLike(f.action)}%`) : eq(auditLog.action, f.action));
  if (f.outcome) conds.push(eq(auditLog.outcome, f.outcome));
  if (f.from) conds.push(gte(auditLog.at, f.from));
  if (f.to) conds.push(lte(auditLog.at, f.to));
  if (f.q) conds.push(sql`${auditLog.target} ILIKE ${`%${escapeLike(f.q)}%`}`);
  if (f.before !== undefined) conds.push(lt(auditLog.id, f.before));
  return conds.length ? and(...conds) : undefined;
}

/** Newest first, at most AUDIT_PAGE_MAX rows; the next page is `before: <last row's id>`. */
export async function listAudit(db: DbLike, opts: AuditFilter & { limit?: number } = {}) {
  const limit = Math.min(Math.max(1, opts.limit ?? 100), AUDIT_PAGE_MAX);
  return db.select().from(auditLog).where(auditWhere(opts)).orderBy(desc(auditLog.id)).limit(limit);
}

export type AuditRow = Awaited<ReturnType<typeof listAudit>>[number];

/** The distinct actors and actions on record (for the page's filter menus), capped. */
export async function auditFacets(db: DbLike): Promise<{ actors: string[]; actions: string[] }> {
  const [actors, actions] = await Promise.all([
    db.selectDistinct({ v: auditLog.actor }).from(auditLog).orderBy(auditLog.actor).limit(200),
    db.selectDistinct({ v: auditLog.action }).from(auditLog).orderBy(auditLog.action).limit(200),
  ]);
  return { actors: actors.map((r) => r.v), actions: actions.map((r) => r.v) };
}
