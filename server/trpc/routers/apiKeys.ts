import { z } from 'zod';
import { router, adminProcedure, type Assert, type SameShape } from '../init';
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey, ZCreateApiKeyRequest, ZUpdateApiKeyRequest, type PublicApiKey } from '../../auth/apikeys';
import { API_SCOPES } from '../../../drizzle/schema';
import { zDateInRange, zList } from '../../validation';

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
  /** Points per minute (one per call, one per item of a batch); null = the default (RATE_LIMIT_KEY_PER_MINUTE). */
  rateLimitPerMinute: z.number().int().nullable(),
});
type _ApiKey = Assert<SameShape<z.output<typeof ZApiKey>, PublicApiKey>>;

/**
 * The create request with its bounds checked before SQL: an expiry PostgreSQL can store (years up to 9999; a later
 * date serialises as `+275760-…`, which it rejects) and at most 20 scopes (there are six).
 */
const ZCreateApiKeyInput = ZCreateApiKeyRequest.extend({
  scopes: zList(ZCreateApiKeyRequest.shape.scopes.element, 20, 1),
  expiresAt: zDateInRange()
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .optional()
    .nullable(),
});

export const apiKeysRouter = router({
  list: adminProcedure.output(z.array(ZApiKey)).query(({ ctx }) => listApiKeys(ctx.db)),
  /** Returns the key once; only its hash is kept. */
  create: adminProcedure.input(ZCreateApiKeyInput).mutation(({ ctx, input }) => createApiKey(ctx.db, input, ctx.actor)),
  /** Changes a key's request limit (null = the default); applies on every replica within seconds. */
  update: adminProcedure.input(ZUpdateApiKeyRequest).output(ZApiKey).mutation(({ ctx, input }) => updateApiKey(ctx.db, input, ctx.actor)),
  revoke: adminProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => revokeApiKey(ctx.db, input.id, ctx.actor)),
});
