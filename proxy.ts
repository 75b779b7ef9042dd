/**
 * Next.js 16 proxy (formerly middleware; Node.js runtime): runs before every page, tRPC and browser request.
 *
 *  - Refuses forged state-changing requests: cross-origin (incl. same-site: another port of this host) POSTs that the
 *    session cookie would authenticate, sign-ins from other origins (login CSRF), and tRPC bodies that are not JSON
 *    (a multipart form reached mutations) — server/http/guard.ts, shared with the REST routes and the serve process.
 *  - Sets the security headers; a page gets a fresh CSP nonce, passed to Next.js in the request's
 *    Content-Security-Policy header so that it puts the nonce on its own scripts (every page renders dynamically).
 *
 * Not matched: static assets; API-key requests (they skip the origin rule anyway, and the hot inference path should not
 * pay for a proxy pass); /api/v1/* — the REST routes guard and set headers themselves (app/api/v1/**, guarded()),
 * because the proxy would buffer request bodies, and uploads reach 500 MB. tRPC is matched for every caller (its
 * bodies are JSON and small), so its answers carry the headers too.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { JSON_TYPES, checkRequest, newNonce, pageCsp, refusalBody, refusalHeaders, saneRequestId, securityHeaders, trpcRefusalBody } from './server/http/guard';
import { config as appConfig } from './server/config';
import servingPaths from './server/serving/paths.json';

/** JSON endpoints outside /api: the inference paths at the root (today's clients) and the trading team's rewrites. */
const ROOT_API = new Set(Object.keys(servingPaths).filter((p) => p !== '//').map((p) => `/${p}`).concat('/drift-detection'));
const isApiPath = (p: string, h: Headers) =>
  p.startsWith('/api/') ||
  ROOT_API.has(p.replace(/\/+$/, '')) ||
  /^\/models\/v\d+\/promote\/?$/.test(p) ||
  // /metrics is the Metrics page for a browser and the Prometheus exposition for anyone else (next.config.mjs rewrites).
  (p === '/metrics' && !h.has('rsc') && !h.has('next-router-prefetch') && !/text\/html/.test(h.get('accept') ?? ''));

export function proxy(request: NextRequest) {
  const path = request.nextUrl.pathname;
  const trpc = path === '/api/trpc' || path.startsWith('/api/trpc/');
  const secure = appConfig().COOKIE_SECURE;
  const d = checkRequest({ method: request.method, headers: request.headers }, trpc ? { accepts: JSON_TYPES, apiKeyContentType: true } : {});
  if (!d.ok) {
    const requestId = saneRequestId(request.headers);
    const body = trpc ? trpcRefusalBody(d, request.nextUrl, requestId) : refusalBody(d, requestId);
    return NextResponse.json(body, { status: d.status, headers: { ...securityHeaders({ secure }), ...refusalHeaders(d, requestId, trpc ? JSON_TYPES : undefined) } });
  }
  if (isApiPath(path, request.headers)) {
    const res = NextResponse.next();
    for (const [k, v] of Object.entries(securityHeaders({ secure }))) res.headers.set(k, v);
    return res;
  }
  const nonce = newNonce();
  const csp = pageCsp(nonce, { dev: process.env.NODE_ENV === 'development', secure });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', csp);
  requestHeaders.set('x-nonce', nonce);
  const res = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [k, v] of Object.entries(securityHeaders({ csp, secure }))) res.headers.set(k, v);
  return res;
}

export const config = {
  matcher: [
    {
      source: '/((?!_next/static|_next/image|favicon\\.ico|icon\\.svg|api/v1/).*)',
      missing: [
        { type: 'header', key: 'authorization' },
        { type: 'header', key: 'x-api-key' },
      ],
    },
    '/api/trpc/:path*',
  ],
};
