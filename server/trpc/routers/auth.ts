import { z } from 'zod';
import { router, publicProcedure } from '../init';
import { verifyLogin } from '../../auth/users';
import { createSession, endSession, sessionCookie } from '../../auth/sessions';
import { recordAudit } from '../../auth/audit';

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
      const user = await verifyLogin(ctx.db, input.username, input.password);
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
