import { z } from 'zod';
import { router, adminProcedure } from '../init';
import { createApiKey, listApiKeys, revokeApiKey, ZCreateApiKeyRequest } from '../../auth/apikeys';

export const apiKeysRouter = router({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  /** Returns the key once; only its hash is kept. */
  create: adminProcedure.input(ZCreateApiKeyRequest).mutation(({ ctx, input }) => createApiKey(ctx.db, input, ctx.actor)),
  revoke: adminProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => revokeApiKey(ctx.db, input.id, ctx.actor)),
});
