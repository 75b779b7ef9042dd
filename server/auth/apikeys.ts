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
export const ZCreateApiKeyRequest = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(ZApiScope).min(1, 'choose at least one scope'),
  /** Optional expiry: an ISO date-time in the future. */
  expiresAt: z.coerce
    .date()
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .optional()
    .nullable(),
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
      })
      .returning(publicColumns);
    await recordAudit(tx, { actor, action: 'apikey.create', target: row.name, details: { id: row.id, scopes } });
    return { key, apiKey: row };
  });
}

export async function listApiKeys(db: Db): Promise<PublicApiKey[]> {
  return db.select(publicColumns).from(apiKeys).orderBy(desc(apiKeys.createdAt));
}

export async function revokeApiKey(db: Db, id: string, actor: string): Promise<PublicApiKey> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id)).returning(publicColumns);
    if (!row) throw notFound(`No API key with id ${id}.`);
    await recordAudit(tx, { actor, action: 'apikey.revoke', target: row.name, details: { id } });
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
  return { kind: 'apikey', keyId: row.id, name: row.name, scopes: row.scopes };
}
