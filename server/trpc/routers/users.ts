import { z } from 'zod';
import { router, adminProcedure, type Assert, type SameShape } from '../init';
import { listUsers, createUser, updateUser, ZCreateUserRequest, ZRole, ZPassword, type PublicUser } from '../../auth/users';
import { lockedUntilFor, unlockUser } from '../../auth/throttle';

/** A user as admins see it (never the password hash). Dates are Date objects here, ISO strings over HTTP. */
export const ZUser = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string().nullable(),
  role: ZRole,
  createdAt: z.date(),
  createdBy: z.string(),
  disabledAt: z.date().nullable(),
  lastLoginAt: z.date().nullable(),
});
type _User = Assert<SameShape<z.output<typeof ZUser>, PublicUser>>;

/** A user in the admin list: also when their sign-in lock (too many failed attempts) ends, null when not locked. */
export const ZListedUser = ZUser.extend({ lockedUntil: z.date().nullable() });

export const usersRouter = router({
  list: adminProcedure.output(z.array(ZListedUser)).query(async ({ ctx }) => {
    const users = await listUsers(ctx.db);
    const locks = await lockedUntilFor(ctx.db, users.map((u) => u.username));
    return users.map((u) => ({ ...u, lockedUntil: locks.get(u.username) ?? null }));
  }),
  create: adminProcedure.input(ZCreateUserRequest).mutation(({ ctx, input }) => createUser(ctx.db, input, ctx.actor)),
  update: adminProcedure
    .input(z.object({ id: z.uuid(), role: ZRole.optional(), disabled: z.boolean().optional(), password: ZPassword.optional() }))
    .mutation(({ ctx, input }) => updateUser(ctx.db, input, ctx.actor)),
  /** Lifts a sign-in lock (too many failed attempts) at once; any username, known or not (unknown ones are counted too). */
  unlock: adminProcedure
    .input(z.object({ username: z.string().trim().min(1, 'is required').max(64) }))
    .output(z.object({ username: z.string(), wasLocked: z.boolean() }))
    .mutation(({ ctx, input }) => unlockUser(ctx.db, input.username, ctx.actor)),
});
