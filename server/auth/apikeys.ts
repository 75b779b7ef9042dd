import crypto from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { apiKeys, API_SCOPES, type ApiScope } from '../../drizzle/schema';
import { recordAudit } from './audit';
import { notifyServing } from '../db/notify';
import { notFound } from '../errors';
import type { Principal } from './principal';

/** Keys look like `so_<43 base64url chars>` (256 random bits). Only the SHA-256 is stored. */
const KEY_PREFIX = 'so_';

export const ZApiScope = z.enum(API_SCOPES);
/** A key's own request limit (server/http/ratelimit.ts). */
export const ZRateLimitPerMinute = z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000_000, 'must be at most 100,000,000');
/** apiKeys.update: change a key's request limit (null = back to the default). */
export const ZUpdateApiKeyRequest = z.object({ id: z.uuid(), rateLimitPerMinute: ZRateLimitPerMinute.nullable() });
export const ZCreateApiKeyRequest = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(ZApiScope).min(1, 'choose at least one scope'),
  /** Optional expiry: an ISO date-time in the future. */
  expiresAt: z.coerce
    .date()
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .optional()
    .nullable(),
  /** Points per minute this key may spend (one per call, one per item of a batch); null/absent = RATE_LIMIT_KEY_PER_MINUTE. */
  rateLimitPerMinute: ZRateLimitPerMinute.optional().nullable(),
});
export type CreateApiKeyRequest = z.infer<typeof ZCreateApiKeyRequest>;

export interface PublicApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** Null: the default (RATE_LIMIT_KEY_PER_MINUTE). */
  rateLimitPerMinute: number | null;
}

const publicColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  createdBy: apiKeys.createdBy,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
  rateLimitPerMinute: apiKeys.rateLimitPerMinute,
};

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/** Creates a key. The returned `key` is the only time the secret is available. */
export async function createApiKey(db: Db, input: CreateApiKeyRequest, actor: string): Promise<{ key: string; apiKey: PublicApiKey }> {
  const data = ZCreateApiKeyRequest.parse(input);
  const key = KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
  const scopes = [...new Set(data.scopes)];
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        name: data.name,
        prefix: key.slice(0, 10),
        keyHash: sha256(key),
        scopes,
        createdBy: actor,
        expiresAt: data.expiresAt ?? null,
        rateLimitPerMinute: data.rateLimitPerMinute ?? null,
      })
      .returning(publicColumns);
    await recordAudit(tx, { actor, action: 'apikey.create', target: row.name, details: { id: row.id, scopes, to: { scopes, expiresAt: row.expiresAt?.toISOString() ?? null, rateLimitPerMinute: row.rateLimitPerMinute } } });
    return { key, apiKey: row };
  });
}

export async function listApiKeys(db: Db): Promise<PublicApiKey[]> {
  return db.select(publicColumns).from(apiKeys).orderBy(desc(apiKeys.createdAt));
}

/** Sets a key's request limit (null = the default); serving processes drop their cached key checks, so it applies within seconds. */
export async function updateApiKey(db: Db, input: z.input<typeof ZUpdateApiKeyRequest>, actor: string): Promise<PublicApiKey> {
  const data = ZUpdateApiKeyRequest.parse(input);
  return db.transaction(async (tx) => {
    const [prev] = await tx.select({ rateLimitPerMinute: apiKeys.rateLimitPerMinute }).from(apiKeys).where(eq(apiKeys.id, data.id)).for('update');
    if (!prev) throw notFound(`No API key with id ${data.id}.`);
    const [row] = await tx.update(apiKeys).set({ rateLimitPerMinute: data.rateLimitPerMinute }).where(eq(apiKeys.id, data.id)).returning(publicColumns);
    await recordAudit(tx, {
      actor,
      action: 'apikey.update',
      target: row.name,
      details: { id: row.id, from: { rateLimitPerMinute: prev.rateLimitPerMinute }, to: { rateLimitPerMinute: row.rateLimitPerMinute } },
    });
    await notifyServing(tx, 'api key changed');
    return row;
  });
}

export async function revokeApiKey(db: Db, id: string, actor: string): Promise<PublicApiKey> {
  return db.transaction(async (tx) => {
    const [prev] = await tx.select({ revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, id)).for('update');
    const [row] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id)).returning(publicColumns);
    if (!row || !prev) throw notFound(`No API key with id ${id}.`);
    await recordAudit(tx, { actor, action: 'apikey.revoke', target: row.name, details: { id, from: { revokedAt: prev.revokedAt?.toISOString() ?? null }, to: { revokedAt: row.revokedAt?.toISOString() ?? null } } });
    await notifyServing(tx, 'api key revoked'); // serving processes drop their cached key checks
    return row;
  });
}

/** `lastUsedAt` is refreshed at most once a minute per key, so verification stays one indexed read. */
const lastTouched = new Map<string, number>();

export async function principalFromApiKey(db: Db, key: string): Promise<Principal> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, sha256(key.trim())));
  if (!row) return { kind: 'invalid', reason: 'Unknown API key.' };
  if (row.revokedAt) return { kind: 'invalid', reason: `API key '${row.name}' was revoked.` };
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    return { kind: 'invalid', reason: `API key '${row.name}' expired at ${row.expiresAt.toISOString()}.` };
  }
  const now = Date.now();
  if ((lastTouched.get(row.id) ?? 0) < now - 60_000) {
    lastTouched.set(row.id, now);
    await db.update(apiKeys).set({ lastUsedAt: new Date(now) }).where(eq(apiKeys.id, row.id));
  }
  return { kind: 'apikey', keyId: row.id, name: row.name, scopes: row.scopes, rateLimitPerMinute: row.rateLimitPerMinute };
}
