/**
 * tRPC initialisation, in three parts:
 *   1. Context: the database handle and the caller (Principal) of each request.
 *   2. Initialisation: transformer-free JSON, an error formatter that returns zod's flattened errors, and the
 *      mapping of domain errors to tRPC codes (so HTTP statuses are right: 4xx for bad input, never 500).
 *   3. Procedure builders per role: public → viewer (analyst and up / `read` key) → engineer (`train` key) →
 *      admin (`admin` key), and `scopedProcedure(scope)` for machine calls such as `predict`.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Db } from '../db/client';
import type { Principal, Requirement } from '../auth/principal';
import { accessError, actorOf } from '../auth/principal';
import { principalFromHeaders, type HeaderSource } from '../auth/request';
import { originOf, recordDenial, withAuditOrigin, type AuditOrigin } from '../auth/audit';
import { badRequestFromZod, domainErrorFromDb, isDomainError, isZodError, logFieldsOf } from '../errors';
import { logger } from '../log';
import { checkRawInput } from '../validation';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable';
import { limitRequest, rateLimitError, rateLimitHeaders, whoOf } from '../http/ratelimit';
import { config } from '../config';
import { PROMOTE } from '../promotion/access';
import { APPEND } from '../market/access';
import type { ApiScope } from '../../drizzle/schema';

// 1. Context ------------------------------------------------------------------------------------------------------
export interface Context {
  db: Db;
  principal: Principal;
  /** Response headers (Set-Cookie on login/logout). Absent for server-side callers. */
  resHeaders?: Headers;
  userAgent?: string | null;
  /** The caller's address (server/http/client.ts clientIp) and this request's id. */
  ip?: string | null;
  requestId?: string | null;
  /** Where the request came from, for the audit log (bound for recordAudit by publicProcedure). */
  origin?: AuditOrigin;
}

export async function createContext(opts: { db: Db; headers: HeaderSource; resHeaders?: Headers; requestId?: string }): Promise<Context> {
  const principal = await principalFromHeaders(opts.db, opts.headers);
  const origin = originOf(principal, opts.headers, opts.requestId);
  return {
    db: opts.db,
    principal,
    resHeaders: opts.resHeaders,
    userAgent: opts.headers.get('user-agent'),
    ip: origin.ip,
    requestId: opts.requestId ?? null,
    origin,
  };
}

// 2. Initialisation ----------------------------------------------------------------------------------------------
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // No stack traces leave the server.
        stack: undefined,
        zodError: isZodError(cause) ? z.flattenError(cause) : null,
        details: isDomainError(cause) ? (cause.details ?? null) : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Domain errors (and zod errors thrown inside domain code) become tRPC errors with the right code. */
const domainErrors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (isDomainError(cause)) {
      throw new TRPCError({ code: cause.code, message: cause.message, cause });
    }
    if (isZodError(cause) && result.error.code === 'INTERNAL_SERVER_ERROR') {
      const bad = badRequestFromZod(cause);
      throw new TRPCError({ code: 'BAD_REQUEST', message: bad.message, cause: bad });
    }
    // The database is down or moving (server/db/unavailable.ts): 503 SERVICE_UNAVAILABLE, never a 500.
    if (result.error.code === 'INTERNAL_SERVER_ERROR' && isDatabaseUnavailable(cause)) {
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE_MESSAGE, cause });
    }
    // A database error the caller caused (out of range, duplicate): a 4xx without the SQL (server/errors.ts).
    const fromDb = result.error.code === 'INTERNAL_SERVER_ERROR' ? domainErrorFromDb(cause) : null;
    if (fromDb) {
      logger().warn({ path, ...logFieldsOf(cause) }, 'database rejected an input that validation let through');
      throw new TRPCError({ code: fromDb.code, message: fromDb.message, cause: fromDb });
    }
  }
  return result;
});

// 3. Procedures --------------------------------------------------------------------------------------------------
/** Binds the request's origin (IP, user agent, API key id, request id) for every recordAudit of the call (server/auth/audit.ts). */
const auditOriginBound = t.middleware(({ ctx, next }) => (ctx.origin ? withAuditOrigin(ctx.principal, ctx.origin, () => next()) : next()));

/** Every raw input, before its schema: a NUL byte, a `__proto__` key or absurd nesting is a 400 naming the field (server/validation.ts). */
const rawInputChecked = t.middleware(async ({ getRawInput, next }) => {
  checkRawInput(await getRawInput());
  return next();
});

export const publicProcedure = t.procedure.use(domainErrors).use(auditOriginBound).use(rawInputChecked);

function requiring(need: Requirement | readonly Requirement[]) {
  return publicProcedure.use(({ ctx, next, path, type }) => {
    const denied = accessError(ctx.principal, need);
    // Bounded and asynchronous (server/auth/audit.ts recordDenial): anonymous reads are not recorded.
    if (denied) recordDenial(ctx.db, { principal: ctx.principal, action: path, need, message: denied.message, mutating: type === 'mutation', origin: ctx.origin ?? {} });
    if (denied) throw new TRPCError({ code: denied.code as 'UNAUTHORIZED' | 'FORBIDDEN', message: denied.message, cause: denied });
    return next({ ctx: { ...ctx, actor: actorOf(ctx.principal) } });
  }).use(rateLimited);
}

/**
 * The caller's request limit (server/http/ratelimit.ts; per API key and per user, shared by all replicas): one point
 * per call, a batch input (`requests: [...]`) one per item. RateLimit-* headers on the answer; 429 TOO_MANY_REQUESTS
 * with Retry-After when refused.
 */
const rateLimited = t.middleware(async ({ ctx, getRawInput, next }) => {
  const raw = (await getRawInput()) as { requests?: unknown } | null | undefined;
  const points = raw && typeof raw === 'object' && Array.isArray(raw.requests) ? Math.max(1, Math.min(raw.requests.length, config().SERVING_MAX_BATCH_ITEMS)) : 1;
  const d = await limitRequest(ctx.db.$client, ctx.principal, points);
  if (d) for (const [k, v] of Object.entries(rateLimitHeaders(d))) ctx.resHeaders?.set(k, v);
  if (d && !d.allowed) {
    const e = rateLimitError(d, points, whoOf(ctx.principal));
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: e.message, cause: e });
  }
  return next();
});

/** Read-only dashboards: users analyst and up, API keys with `read`. */
export const viewerProcedure = requiring({ role: 'analyst', scope: 'read' });
/** Train, import, promote: users engineer and up, API keys with `train`. */
export const engineerProcedure = requiring({ role: 'engineer', scope: 'train' });
/** Promotion changes (splits, aliases, canary, shadow, rollback): users engineer and up, API keys with `promote` (or `train`). */
export const promoterProcedure = requiring(PROMOTE);
/** Appending bars: users engineer and up, API keys with `data` (or `train`). */
export const appendProcedure = requiring(APPEND);
/** Users, keys, settings: admins, API keys with `admin`. */
export const adminProcedure = requiring({ role: 'admin', scope: 'admin' });
/** Machine calls (e.g. `predict`): API keys with that scope, or any signed-in user. */
export const scopedProcedure = (scope: ApiScope) => requiring({ role: 'analyst', scope });

// 4. Output schemas ---------------------------------------------------------------------------------------------------
/**
 * Compile-time check of an `.output()` schema against what the domain function returns: `true` only when each is
 * assignable to the other. A z.object strips the keys it does not list, so a key the schema forgot would silently
 * vanish from the response; `Assert<SameShape<z.output<typeof ZSchema>, DomainType>>` fails the build instead.
 */
export type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Assert<T extends true> = T;
