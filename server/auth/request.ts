import type { Db } from '../db/client';
import type { Principal } from './principal';
import { principalFromApiKey } from './apikeys';
import { principalFromSession, SESSION_COOKIE } from './sessions';

/** Minimal header access, so both the Fetch API `Headers` and Node's IncomingHttpHeaders work. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

export function cookieValue(cookieHeader: string | null | undefined, name: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

/**
 * Who sent this request: an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`) wins over the session
 * cookie. A credential that does not check out yields `invalid` with the reason, not anonymous.
 */
export async function principalFromHeaders(db: Db, headers: HeaderSource): Promise<Principal> {
  const auth = headers.get('authorization');
  const xKey = headers.get('x-api-key');
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) return { kind: 'invalid', reason: 'Malformed Authorization header: expected "Bearer <api key>".' };
    return principalFromApiKey(db, m[1]);
  }
  if (xKey) return principalFromApiKey(db, xKey);
  const token = cookieValue(headers.get('cookie'), SESSION_COOKIE);
  if (token) return principalFromSession(db, token);
  return { kind: 'anonymous' };
}
