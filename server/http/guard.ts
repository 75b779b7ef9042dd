/**
 * Guards for requests from browsers, and the security headers of every answer — one module for the Next.js proxy
 * (proxy.ts: pages and tRPC), the REST route handlers (app/api/v1/**) and the serve process (server/bin/serve.ts).
 *
 * 1. Cross-origin protection. A state-changing request (anything but GET/HEAD/OPTIONS) that does not carry an API
 *    key — i.e. one the session cookie authenticates, or a sign-in (login CSRF) — must come from this server's own
 *    origin. The rule is Go's net/http CrossOriginProtection (Go 1.25; Filippo Valsorda, "Cross-Site Request
 *    Forgery", 2025):
 *      - an Origin listed in ALLOWED_ORIGINS passes;
 *      - else `Sec-Fetch-Site` decides when the browser sent it: `same-origin` (or `none`, a user-typed request)
 *        passes; `same-site` and `cross-site` are refused — a page on another port of this host is same-site, not
 *        same-origin, and the SameSite=Lax cookie goes along with its requests;
 *      - else (an older browser) the Origin must equal this server's origin (scheme, host and port);
 *      - a request with neither header is not from a browser (curl, scripts, Playwright's request context): a forged
 *        request needs a browser, and every browser since 2020 sends one of them on a POST.
 *    API-key requests (`Authorization: Bearer …`, `X-API-Key`) pass: a browser cannot add those headers to a
 *    cross-origin request without a CORS preflight, which SignalOps never grants.
 * 2. Content types. Where JSON is expected, a body must be sent as `application/json` (or `…+json`); anything else
 *    is 415 naming what is accepted. HTML forms can only send urlencoded, multipart or text/plain bodies, so this
 *    also closes the form-post route around the Origin check. tRPC takes JSON from everyone (it would otherwise parse
 *    multipart and octet-stream bodies); the REST routes check the browser's requests (API-key callers keep today's
 *    leniency).
 * 3. Headers. Pages get a nonce-based Content-Security-Policy (set by proxy.ts, which Next.js reads to put the nonce
 *    on its own scripts); JSON answers a `default-src 'none'` one; both `frame-ancestors 'none'`. Every answer:
 *    X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Cross-Origin-Opener-Policy, and HSTS when
 *    COOKIE_SECURE=true (the server is reached over HTTPS).
 */
import { config } from '../config';
import type { HeaderSource } from '../auth/request';

export interface GuardOptions {
  /** Origins besides our own that may send state-changing browser requests (ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
  /** Take our own origin from X-Forwarded-Host / X-Forwarded-Proto (TRUST_PROXY). */
  trustProxy: boolean;
}

export function guardOptions(): GuardOptions {
  const c = config();
  return { allowedOrigins: c.ALLOWED_ORIGINS, trustProxy: c.TRUST_PROXY };
}

export type GuardDecision = { ok: true } | { ok: false; status: 403 | 415; code: 'FORBIDDEN' | 'UNSUPPORTED_MEDIA_TYPE'; message: string };
const OK: GuardDecision = { ok: true };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isStateChanging(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

/** The request carries an API key (which then wins over any cookie: server/auth/request.ts). */
export function hasApiKey(headers: HeaderSource): boolean {
  return !!headers.get('authorization') || !!headers.get('x-api-key');
}

function first(v: string | null | undefined): string | null {
  const s = v?.split(',')[0]?.trim();
  return s ? s : null;
}

/**
 * This server's origin as the browser sees it: `scheme://Host`. `scheme` is the transport's (http for `npm start`
 * and serve; https when the socket is TLS); behind a reverse proxy, with TRUST_PROXY, X-Forwarded-Proto and
 * X-Forwarded-Host say what the browser used.
 */
export function ownOrigin(headers: HeaderSource, opts: Pick<GuardOptions, 'trustProxy'>, scheme: 'http' | 'https' = 'http'): string | null {
  const host = (opts.trustProxy && first(headers.get('x-forwarded-host'))) || first(headers.get('host'));
  const proto = (opts.trustProxy && first(headers.get('x-forwarded-proto'))?.toLowerCase()) || scheme;
  if (!host || (proto !== 'http' && proto !== 'https')) return null;
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return null;
  }
}

function normalOrigin(origin: string): string | null {
  if (origin === 'null') return null;
  try {
    const u = new URL(origin);
    return u.origin === 'null' ? null : u.origin;
  } catch {
    return null;
  }
}

const HINT = 'send it from the SignalOps pages themselves, or use an API key (Authorization: Bearer <key>) for programs';

/** The cross-origin rule (see the top of this file). */
export function checkOrigin(method: string | undefined, headers: HeaderSource, opts: GuardOptions, scheme: 'http' | 'https' = 'http'): GuardDecision {
  if (!isStateChanging(method) || hasApiKey(headers)) return OK;
  const originHeader = headers.get('origin');
  const origin = originHeader ? normalOrigin(originHeader) : null;
  if (origin && opts.allowedOrigins.includes(origin)) return OK;
  const site = headers.get('sec-fetch-site')?.toLowerCase();
  if (site) {
    if (site === 'same-origin' || site === 'none') return OK;
    return {
      ok: false,
      status: 403,
      code: 'FORBIDDEN',
      message: `Cross-origin request refused: this ${site} request${originHeader ? ` from ${originHeader.slice(0, 100)}` : ''} may not change anything with the session cookie; ${HINT}.${site === 'same-site' ? ' (Another port or subdomain of this host is a different origin.)' : ''}`,
    };
  }
  if (!originHeader) return OK; // not a browser
  const own = ownOrigin(headers, opts, scheme);
  if (origin && own && origin === own) return OK;
  return {
    ok: false,
    status: 403,
    code: 'FORBIDDEN',
    message: `Cross-origin request refused: Origin ${originHeader.slice(0, 100)} is not this server's origin (${own ?? 'unknown'}); ${HINT}. Behind a proxy that changes the host or scheme, set TRUST_PROXY=true or list the public origin in ALLOWED_ORIGINS.`,
  };
}

export const JSON_TYPES = ['application/json'] as const;

/** The media type of the body, lower-case, without parameters ('' when there is no Content-Type). */
export function mediaType(headers: HeaderSource): string {
  return (headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

function hasBody(headers: HeaderSource): boolean {
  const len = headers.get('content-length');
  if (len !== null && len !== undefined && len !== '') return Number(len) > 0;
  return !!headers.get('transfer-encoding');
}

/**
 * A state-changing request's body must be one of `accepts` (`application/json` also admits `…+json`); a request
 * without a body needs no Content-Type. 415 names what is accepted.
 */
export function checkContentType(method: string | undefined, headers: HeaderSource, accepts: readonly string[]): GuardDecision {
  if (!isStateChanging(method)) return OK;
  const type = mediaType(headers);
  if (!type && !hasBody(headers)) return OK;
  if (type && (accepts.includes(type) || (accepts.includes('application/json') && /^application\/[a-z0-9.+-]+\+json$/.test(type)))) return OK;
  return {
    ok: false,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: `Content-Type: send ${accepts.join(' or ')}; got ${type ? `'${type.slice(0, 80)}'` : 'none'}.`,
  };
}

/**
 * Both checks for one request from a browser-facing route. `apiKeyContentType`: check the content type of API-key
 * requests too (tRPC); REST routes leave API-key callers as they were.
 */
export function checkRequest(
  req: { method: string | undefined; headers: HeaderSource; scheme?: 'http' | 'https' },
  opts: { accepts?: readonly string[]; apiKeyContentType?: boolean } & Partial<GuardOptions> = {},
): GuardDecision {
  const g = { ...guardOptions(), ...stripUndefined({ allowedOrigins: opts.allowedOrigins, trustProxy: opts.trustProxy }) };
  const origin = checkOrigin(req.method, req.headers, g, req.scheme);
  if (!origin.ok) return origin;
  if (!opts.accepts) return OK;
  if (hasApiKey(req.headers) && !opts.apiKeyContentType) return OK;
  return checkContentType(req.method, req.headers, opts.accepts);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// --- headers -------------------------------------------------------------------------------------------------------

/** A fresh CSP nonce (128 random bits, base64). */
export function newNonce(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b));
}

/**
 * The Content-Security-Policy of a page. Scripts: only those carrying this response's nonce, and what they load
 * ('strict-dynamic'); Next.js puts the nonce on its own scripts when it finds it in the request's CSP header.
 * Styles: 'unsafe-inline', because the charts (recharts) set style attributes, which a nonce cannot allow.
 */
export function pageCsp(nonce: string, o: { dev?: boolean; secure?: boolean } = {}): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${o.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${o.dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(o.secure ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** JSON and text answers: nothing to load, nothing may frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const HSTS = 'max-age=31536000';

/** The headers every answer carries; `csp` defaults to the API policy. */
export function securityHeaders(o: { csp?: string; secure?: boolean } = {}): Record<string, string> {
  const secure = o.secure ?? config().COOKIE_SECURE;
  return {
    'content-security-policy': o.csp ?? API_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    ...(secure ? { 'strict-transport-security': HSTS } : {}),
  };
}

/** Sets the security headers on a Fetch Response (headers already present, e.g. a page's CSP, are kept). */
export function withSecurityHeaders(res: Response, o: { csp?: string; secure?: boolean } = {}): Response {
  const add = securityHeaders(o);
  try {
    for (const [k, v] of Object.entries(add)) if (!res.headers.has(k)) res.headers.set(k, v);
    return res;
  } catch {
    // Immutable headers (e.g. a Response from fetch()): copy.
    const h = new Headers(res.headers);
    for (const [k, v] of Object.entries(add)) if (!h.has(k)) h.set(k, v);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: h });
  }
}

// --- adapters -----------------------------------------------------------------------------------------------------

/** The caller's sane `x-request-id` (as server/http/rest.ts requestIdFrom), else a new one. */
export function saneRequestId(headers: HeaderSource): string {
  const id = headers.get('x-request-id');
  return id && /^[A-Za-z0-9._-]{1,128}$/.test(id) ? id : crypto.randomUUID();
}

/** Headers of a refusal: the request id, and for a 415 what is accepted (RFC 9110 §15.5.16). */
export function refusalHeaders(d: Exclude<GuardDecision, { ok: true }>, requestId: string, accepts?: readonly string[]): Record<string, string> {
  return { 'x-request-id': requestId, ...(d.status === 415 && accepts ? { accept: accepts.join(', ') } : {}) };
}

const JSON_RPC_CODES = { FORBIDDEN: -32003, UNSUPPORTED_MEDIA_TYPE: -32415 } as const;

/**
 * A refusal in tRPC's error shape, so the typed client shows the message: one error per procedure of a batch
 * (`/api/trpc/a,b?batch=1`), a single one otherwise.
 */
export function trpcRefusalBody(d: Exclude<GuardDecision, { ok: true }>, url: URL, requestId: string): unknown {
  const paths = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\/?/, '')).split(',');
  const one = (path: string) => ({ error: { message: d.message, code: JSON_RPC_CODES[d.code], data: { code: d.code, httpStatus: d.status, path, request_id: requestId } } });
  return url.searchParams.get('batch') === '1' ? paths.map(one) : one(paths[0] ?? '');
}

/** The REST error body of a refusal (`{ error: { code, message } }`). */
export function refusalBody(d: Exclude<GuardDecision, { ok: true }>, requestId?: string): { error: Record<string, unknown> } {
  return { error: { code: d.code, message: d.message, ...(requestId ? { request_id: requestId } : {}) } };
}

/** What each REST route accepts from a browser. */
export const ACCEPTS = {
  json: JSON_TYPES,
  /** POST /api/v1/datasets/{name}/candles: JSON bars or a CSV file. */
  candles: ['application/json', 'text/csv', 'application/csv', 'text/plain', 'text/tab-separated-values'],
  /** POST /api/v1/datasets: a CSV file, raw or as the `file` field of a multipart form. */
  upload: ['text/csv', 'application/csv', 'text/plain', 'text/tab-separated-values', 'application/octet-stream', 'multipart/form-data'],
} as const;

type RouteHandler<A extends unknown[]> = (req: Request, ...rest: A) => Promise<Response> | Response;

/**
 * Wraps a Next.js route handler: the cross-origin and content-type checks (`accepts`; none for GET), and the security
 * headers on whatever it answers. `guard: false` only adds headers (the inference routes guard inside dispatch, which
 * the serve process shares).
 */
export function guarded<A extends unknown[]>(handler: RouteHandler<A>, o: { accepts?: readonly string[]; guard?: boolean } = {}): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    if (o.guard !== false) {
      const d = checkRequest({ method: req.method, headers: req.headers }, { accepts: o.accepts });
      if (!d.ok) {
        const requestId = saneRequestId(req.headers);
        return withSecurityHeaders(Response.json(refusalBody(d, requestId), { status: d.status, headers: refusalHeaders(d, requestId, o.accepts) }));
      }
    }
    return withSecurityHeaders(await handler(req, ...rest));
  };
}
