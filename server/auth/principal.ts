import { DomainError } from '../errors';
import { ROLES, type Role, type ApiScope } from '../../drizzle/schema';

/** Who is calling. Every procedure declares which of these it accepts. */
export type Principal =
  | { kind: 'user'; userId: string; username: string; role: Role; sessionHash: string | null }
  /** `rateLimitPerMinute`: the key's own request limit (null or absent = RATE_LIMIT_KEY_PER_MINUTE). */
  | { kind: 'apikey'; keyId: string; name: string; scopes: ApiScope[]; rateLimitPerMinute?: number | null }
  | { kind: 'cli' }
  /** A credential was sent but is not valid: `reason` says why (unknown, revoked, expired). */
  | { kind: 'invalid'; reason: string }
  | { kind: 'anonymous' };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function hasScope(scopes: readonly ApiScope[], needed: ApiScope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

/** The audit-log actor string of a principal. */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case 'user':
      return `user:${p.username}`;
    case 'apikey':
      return `apikey:${p.name}`;
    case 'cli':
      return 'cli';
    default:
      return 'anonymous';
  }
}

export interface Requirement {
  /** Minimum role of a signed-in user. */
  role: Role;
  /** Scope an API key must carry. */
  scope: ApiScope;
}

export type AccessDecision = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** The single access rule, shared by tRPC procedures and REST handlers. */
export function checkAccess(p: Principal, need: Requirement): AccessDecision {
  switch (p.kind) {
    case 'anonymous':
      return {
        ok: false,
        status: 401,
        message: 'Not signed in: sign in, or send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      };
    case 'invalid':
      return { ok: false, status: 401, message: p.reason };
    case 'cli':
      return { ok: true };
    case 'user':
      return roleAtLeast(p.role, need.role)
        ? { ok: true }
        : {
            ok: false,
            status: 403,
            message: `This needs the ${need.role} role${need.role === 'admin' ? '' : ' or higher'}; user '${p.username}' is ${p.role}.`,
          };
    case 'apikey':
      return hasScope(p.scopes, need.scope)
        ? { ok: true }
        : {
            ok: false,
            status: 403,
            message: `This needs an API key with the '${need.scope}' scope; key '${p.name}' has ${p.scopes.map((s) => `'${s}'`).join(', ')}.`,
          };
  }
}

/**
 * The 401/403 decision as an error, in one place for tRPC, REST and the serve process: null when any of `needs`
 * is met, else UNAUTHORIZED or FORBIDDEN with the reason of the last requirement checked.
 */
export function accessError(p: Principal, needs: Requirement | readonly Requirement[]): DomainError | null {
  let last: AccessDecision = { ok: true };
  for (const need of Array.isArray(needs) ? needs : [needs as Requirement]) {
    last = checkAccess(p, need);
    if (last.ok) return null;
  }
  return last.ok ? null : new DomainError(last.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', last.message);
}
