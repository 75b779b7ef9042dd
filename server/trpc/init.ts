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
import { badRequestFromZod, isDomainError, isZodError } from '../errors';
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
}

export async function createContext(opts: { db: Db; headers: HeaderSource; resHeaders?: Headers }): Promise<Context> {
  return {
    db: opts.db,
    principal: await principalFromHeaders(opts.db, opts.headers),
    resHeaders: opts.resHeaders,
    userAgent: opts.headers.get('user-agent'),
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
const domainErrors = t.middleware(async ({ next }) => {
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
  }
  return result;
});

// 3. Procedures --------------------------------------------------------------------------------------------------
export const publicProcedure = t.procedure.use(domainErrors);

function requiring(need: Requirement | readonly Requirement[]) {
  return publicProcedure.use(({ ctx, next }) => {
    const denied = accessError(ctx.principal, need);
    if (denied) throw new TRPCError({ code: denied.code as 'UNAUTHORIZED' | 'FORBIDDEN', message: denied.message, cause: denied });
    return next({ ctx: { ...ctx, actor: actorOf(ctx.principal) } });
  });
}

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
