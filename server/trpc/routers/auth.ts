import { z } from 'zod';
import { router, publicProcedure } from '../init';
import { verifyLogin } from '../../auth/users';
import { createSession, endSession, sessionCookie } from '../../auth/sessions';
import { recordAudit } from '../../auth/audit';
import { loginThrottle } from '../../auth/throttle';
import { DomainError, isDomainError } from '../../errors';
import type { Context } from '../init';

export const ZLoginRequest = z.object({
  username: z.string().trim().min(1, 'is required').max(64),
  password: z.string().min(1, 'is required').max(256),
});

export const ZMeResponse = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), username: z.string(), role: z.enum(['analyst', 'engineer', 'admin']) }),
  z.object({ kind: z.literal('apikey'), name: z.string(), scopes: z.array(z.string()) }),
  z.object({ kind: z.literal('cli') }),
  z.object({ kind: z.literal('anonymous'), reason: z.string().nullable() }),
]);

export const authRouter = router({
  /** Who am I? Public: tells an anonymous caller why (e.g. an expired session). */
  me: publicProcedure.output(ZMeResponse).query(({ ctx }) => {
    const p = ctx.principal;
    switch (p.kind) {
      case 'user':
        return { kind: 'user' as const, username: p.username, role: p.role };
      case 'apikey':
        return { kind: 'apikey' as const, name: p.name, scopes: p.scopes };
      case 'cli':
        return { kind: 'cli' as const };
      case 'invalid':
        return { kind: 'anonymous' as const, reason: p.reason };
      default:
        return { kind: 'anonymous' as const, reason: null };
    }
  }),

  login: publicProcedure
    .input(ZLoginRequest)
    .output(z.object({ username: z.string(), role: z.enum(['analyst', 'engineer', 'admin']) }))
    .mutation(async ({ ctx, input }) => {
      // Throttled per account and per address (server/auth/throttle.ts); every failure is in the audit log.
      const throttle = loginThrottle(ctx.db.$client);
      const attempt = await throttle.begin(input.username, ctx.ip ?? null);
      if (!('failures' in attempt)) {
        await auditFailedLogin(ctx, input.username, attempt.reason, { retryAfterSeconds: attempt.retryAfterSeconds });
        ctx.resHeaders?.set('Retry-After', String(attempt.retryAfterSeconds));
        throw new DomainError(
          'TOO_MANY_REQUESTS',
          attempt.reason === 'account-locked'
            ? `Too many failed sign-ins for '${input.username}': it is locked; try again in ${attempt.retryAfterSeconds} s, or ask an admin to unlock it.`
            : `Too many failed sign-ins from your address; try again in ${attempt.retryAfterSeconds} s.`,
          { reason: attempt.reason, retryAfterSeconds: attempt.retryAfterSeconds },
        );
      }
      let user: Awaited<ReturnType<typeof verifyLogin>>;
      try {
        user = await verifyLogin(ctx.db, input.username, input.password);
      } catch (e) {
        if (!isDomainError(e) || e.code !== 'UNAUTHORIZED') throw e;
        const { lockedForSeconds, failures } = await attempt.failed();
        await auditFailedLogin(ctx, input.username, /disabled/.test(e.message) ? 'disabled' : 'wrong-password', { failures, ...(lockedForSeconds ? { lockedForSeconds } : {}) });
        if (!lockedForSeconds) throw e;
        throw new DomainError('UNAUTHORIZED', `${e.message} After ${failures} failed attempts, sign-in for '${input.username}' is locked for ${lockedForSeconds} s.`, { lockedForSeconds });
      }
      await attempt.succeeded();
      const { token, expiresAt } = await createSession(ctx.db, user.id, ctx.userAgent);
      ctx.resHeaders?.append('Set-Cookie', sessionCookie(token, expiresAt));
      await recordAudit(ctx.db, { actor: `user:${user.username}`, action: 'auth.login' });
      return { username: user.username, role: user.role };
    }),

  logout: publicProcedure.output(z.object({ ok: z.literal(true) })).mutation(async ({ ctx }) => {
    if (ctx.principal.kind === 'user' && ctx.principal.sessionHash) {
      await endSession(ctx.db, ctx.principal.sessionHash);
      await recordAudit(ctx.db, { actor: `user:${ctx.principal.username}`, action: 'auth.logout' });
    }
    ctx.resHeaders?.append('Set-Cookie', sessionCookie(null));
    return { ok: true as const };
  }),
});

/** A failed or refused sign-in in the audit log: who was tried, from where, and why it failed (never the password). */
async function auditFailedLogin(ctx: Context, username: string, reason: string, extra: Record<string, unknown>) {
  await recordAudit(ctx.db, {
    actor: 'anonymous',
    action: 'auth.login',
    target: username,
    outcome: 'failed',
    ip: ctx.ip ?? null,
    userAgent: ctx.origin?.userAgent ?? ctx.userAgent ?? null,
    requestId: ctx.requestId ?? null,
    details: { username, reason, ...extra },
  });
}
