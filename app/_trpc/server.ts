import 'server-only';
import { cache } from 'react';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { appDb } from '@/server/db/app';
import { createCaller } from '@/server/trpc/root';
import { principalFromHeaders } from '@/server/auth/request';
import type { Principal } from '@/server/auth/principal';

/** The caller of this request (cached per request). */
export const currentPrincipal = cache(async (): Promise<Principal> => {
  const h = await headers();
  const c = await cookies();
  const cookie = c.toString();
  return principalFromHeaders(appDb().db, {
    get: (name: string) => (name.toLowerCase() === 'cookie' ? cookie : h.get(name)),
  });
});

/** A tRPC caller for server components, acting as the signed-in user. */
export const serverCaller = cache(async () => createCaller({ db: appDb().db, principal: await currentPrincipal() }));

/** The signed-in user, or a redirect to the login page. */
export async function requireUser() {
  const p = await currentPrincipal();
  if (p.kind !== 'user') redirect('/login');
  return p;
}
