import { z } from 'zod';
import { router, adminProcedure, type Assert, type SameShape } from '../init';
import { listUsers, createUser, updateUser, ZCreateUserRequest, ZRole, ZPassword, type PublicUser } from '../../auth/users';

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

export const usersRouter = router({
  list: adminProcedure.output(z.array(ZUser)).query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure.input(ZCreateUserRequest).mutation(({ ctx, input }) => createUser(ctx.db, input, ctx.actor)),
  update: adminProcedure
    .input(z.object({ id: z.uuid(), role: ZRole.optional(), disabled: z.boolean().optional(), password: ZPassword.optional() }))
    .mutation(({ ctx, input }) => updateUser(ctx.db, input, ctx.actor)),
});
