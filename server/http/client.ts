import type { HeaderSource } from '../auth/request';

/**
 * Who is on the other end of a request, for throttling and the audit log.
 *
 * The serve process passes the socket's address. Next.js route handlers see no socket: Next sets `x-forwarded-for`
 * to the peer address only when the request did not carry one, so behind no proxy a client can choose its own value.
 * That is why per-IP limits are a second line only — per-account and per-key limits do not depend on it — and why a
 * deployment behind a reverse proxy should have the proxy overwrite `X-Forwarded-For` (README: Security).
 */
export function clientIp(headers: HeaderSource, socketAddress?: string | null): string | null {
  if (socketAddress) return normaliseIp(socketAddress);
  const xff = headers.get('x-forwarded-for');
  const first = xff?.split(',')[0]?.trim();
  return first ? normaliseIp(first).slice(0, 64) : null;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** The user agent, bounded (it lands in the audit log). */
export function userAgentOf(headers: HeaderSource): string | null {
  const ua = headers.get('user-agent');
  return ua ? ua.slice(0, 512) : null;
}
