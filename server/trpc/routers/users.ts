import { z } from 'zod';
import { router, adminProcedure } from '../init';
import { listUsers, createUser, updateUser, ZCreateUserRequest, ZRole, ZPassword } from '../../auth/users';

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure.input(ZCreateUserRequest).mutation(({ ctx, input }) => createUser(ctx.db, input, ctx.actor)),
  update: adminProcedure
    .input(z.object({ id: z.uuid(), role: ZRole.optional(), disabled: z.boolean().optional(), password: ZPassword.optional() }))
    .mutation(({ ctx, input }) => updateUser(ctx.db, input, ctx.actor)),
});
