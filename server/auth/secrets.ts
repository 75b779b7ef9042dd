import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { systemSecrets } from '../../drizzle/schema';

/**
 * A named secret: from the environment when set (e.g. SESSION_SECRET), otherwise generated once and stored in the
 * database, so every process on this database shares it. Never logged.
 */
const cache = new WeakMap<object, Map<string, string>>();

export async function getSecret(db: Db, name: 'session', envValue?: string): Promise<string> {
  if (envValue) return envValue;
  let m = cache.get(db.$client);
  if (!m) cache.set(db.$client, (m = new Map()));
  const hit = m.get(name);
  if (hit) return hit;
  await db
    .insert(systemSecrets)
    .values({ name, value: crypto.randomBytes(32).toString('base64url') })
    .onConflictDoNothing();
  const [row] = await db.select().from(systemSecrets).where(eq(systemSecrets.name, name));
  m.set(name, row.value);
  return row.value;
}
