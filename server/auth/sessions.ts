import crypto from 'node:crypto';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sessions, users } from '../../drizzle/schema';
import { getSecret } from './secrets';
import { config } from '../config';
import type { Principal } from './principal';

export const SESSION_COOKIE = 'so_session';

async function hashToken(db: Db, token: string): Promise<string> {
  const secret = await getSecret(db, 'session', config().SESSION_SECRET);
  return crypto.createHmac('sha256', secret).update(token).digest('base64url');
}

/** Starts a session; returns the cookie token (only its HMAC is stored). */
export async function createSession(db: Db, userId: string, userAgent?: string | null): Promise<{ token: string; expiresAt: Date }> {
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + config().SESSION_TTL_HOURS * 3600_000);
  await db.insert(sessions).values({ tokenHash: await hashToken(db, token), userId, expiresAt, userAgent: userAgent?.slice(0, 300) ?? null });
  // Housekeeping: expired sessions of anyone go.
  await db.delete(sessions).where(lt(sessions.expiresAt, new Date()));
  return { token, expiresAt };
}

export async function principalFromSession(db: Db, token: string): Promise<Principal> {
  const tokenHash = await hashToken(db, token);
  const [row] = await db
    .select({ userId: users.id, username: users.username, role: users.role, disabledAt: users.disabledAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, new Date())));
  if (!row) return { kind: 'invalid', reason: 'Your session has expired or was ended; sign in again.' };
  if (row.disabledAt) return { kind: 'invalid', reason: `User '${row.username}' is disabled.` };
  return { kind: 'user', userId: row.userId, username: row.username, role: row.role, sessionHash: tokenHash };
}

export async function endSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** The Set-Cookie header value for a session token (or for clearing it when token is null). */
export function sessionCookie(token: string | null, expiresAt?: Date): string {
  const parts = [`${SESSION_COOKIE}=${token ?? ''}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (config().COOKIE_SECURE) parts.push('Secure');
  parts.push(token && expiresAt ? `Expires=${expiresAt.toUTCString()}` : 'Max-Age=0');
  return parts.join('; ');
}
