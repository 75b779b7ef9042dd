import { z } from 'zod';
import { router, adminProcedure, type Assert, type SameShape } from '../init';
import { createApiKey, listApiKeys, revokeApiKey, ZCreateApiKeyRequest, type PublicApiKey } from '../../auth/apikeys';
import { API_SCOPES } from '../../../drizzle/schema';

/** An API key as admins see it (its prefix, never the key or its hash). Dates are Date objects here, ISO strings over HTTP. */
export const ZApiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(API_SCOPES)),
  createdAt: z.date(),
  createdBy: z.string(),
  expiresAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
});
type _ApiKey = Assert<SameShape<z.output<typeof ZApiKey>, PublicApiKey>>;

export const apiKeysRouter = router({
  list: adminProcedure.output(z.array(ZApiKey)).query(({ ctx }) => listApiKeys(ctx.db)),
  /** Returns the key once; only its hash is kept. */
  create: adminProcedure.input(ZCreateApiKeyRequest).mutation(({ ctx, input }) => createApiKey(ctx.db, input, ctx.actor)),
  revoke: adminProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => revokeApiKey(ctx.db, input.id, ctx.actor)),
});
