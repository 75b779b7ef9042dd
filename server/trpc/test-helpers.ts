import { createCaller } from './root';
import type { Db } from '../db/client';
import type { Principal } from '../auth/principal';
import { principalFromHeaders } from '../auth/request';
import { createUser } from '../auth/users';
import { createApiKey } from '../auth/apikeys';
import type { ApiScope, Role } from '../../drizzle/schema';

/** A tRPC caller acting as `principal` (no HTTP in between). */
export function callerAs(db: Db, principal: Principal, resHeaders?: Headers) {
  return createCaller({ db, principal, resHeaders });
}

/** A caller authenticated exactly as an HTTP request with these headers would be. */
export async function callerWithHeaders(db: Db, headers: Record<string, string>) {
  const h = new Headers(headers);
  return createCaller({ db, principal: await principalFromHeaders(db, h), resHeaders: new Headers() });
}

let n = 0;
/** Creates a real user with `role` and returns a caller acting as them. */
export async function userCaller(db: Db, role: Role) {
  const username = `${role}-${++n}-${Date.now().toString(36)}`;
  const u = await createUser(db, { username, password: 'correct-horse-battery', role }, 'test');
  return callerAs(db, { kind: 'user', userId: u.id, username, role, sessionHash: null });
}

/** Creates a real API key with `scopes`; returns the key and a caller that sends it. */
export async function apiKeyCaller(db: Db, scopes: ApiScope[]) {
  const { key } = await createApiKey(db, { name: `key-${++n}`, scopes }, 'test');
  return { key, caller: await callerWithHeaders(db, { authorization: `Bearer ${key}` }) };
}
