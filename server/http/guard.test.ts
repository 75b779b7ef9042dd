import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { NextRequest } from 'next/server';
import { createTestDb } from '../db/test-db';
import type { Db } from '../db/client';
import { checkContentType, checkOrigin, checkRequest, ownOrigin, pageCsp, securityHeaders, API_CSP } from './guard';
import { createUser } from '../auth/users';
import { createSession, SESSION_COOKIE } from '../auth/sessions';
import { createApiKey } from '../auth/apikeys';
import { trainingRuns } from '../../drizzle/schema';
import { InferenceEngine, engineOptionsFromEnv } from '../serving/engine';
import { AuthCache, type ServingContext } from '../serving/http';
import { logger } from '../log';

let db: Db;
let url: string;
beforeAll(async () => {
  const t = await createTestDb();
  ({ db, url } = t);
  // appDb() of the route modules: set before anything reads the configuration (it is read once, on first use).
  process.env.DATABASE_URL = t.url;
});

const G = { allowedOrigins: [] as string[], trustProxy: false };
const H = (h: Record<string, string>) => new Headers(h);
const SITE = 'http://127.0.0.1:3000';

describe('the cross-origin rule (Origin, Sec-Fetch-Site)', () => {
  const post = (h: Record<string, string>, o = G) => checkOrigin('POST', H({ host: '127.0.0.1:3000', cookie: 'so_session=x', ...h }), o);

  it('refuses a cookie POST from a foreign origin, and from another port of this host (same-site ≠ same-origin)', () => {
    expect(post({ origin: 'http://evil.example' })).toMatchObject({ ok: false, status: 403 });
    expect(post({ origin: 'http://127.0.0.1:4000' })).toMatchObject({ ok: false, status: 403 }); // an older browser: no Sec-Fetch-Site
    expect(post({ origin: 'https://127.0.0.1:3000' })).toMatchObject({ ok: false, status: 403 }); // another scheme
    expect(post({ origin: 'null' })).toMatchObject({ ok: false, status: 403 }); // sandboxed frame, file:, data:
    const sameSite = post({ origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-site' });
    expect(sameSite).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
    expect(!sameSite.ok && sameSite.message).toMatch(/same-site request from http:\/\/127\.0\.0\.1:4000.*another port/i);
    expect(post({ 'sec-fetch-site': 'cross-site' })).toMatchObject({ ok: false, status: 403 });
    // Sec-Fetch-Site wins over a matching Origin (a browser that sends it knows better).
    expect(post({ origin: SITE, 'sec-fetch-site': 'same-site' })).toMatchObject({ ok: false });
  });

  it('lets the dashboard, non-browser clients and API keys through', () => {
    expect(post({ origin: SITE, 'sec-fetch-site': 'same-origin' })).toEqual({ ok: true });
    expect(post({ origin: SITE })).toEqual({ ok: true });
    expect(post({ 'sec-fetch-site': 'none' })).toEqual({ ok: true }); // typed in the address bar
    expect(post({})).toEqual({ ok: true }); // curl, scripts: neither header, so not a browser
    expect(checkOrigin('POST', H({ authorization: 'Bearer so_x' }), G)).toEqual({ ok: true });
    expect(checkOrigin('POST', H({ 'x-api-key': 'so_x', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }), G)).toEqual({ ok: true });
    // Reading is never refused (GET/HEAD/OPTIONS change nothing).
    expect(checkOrigin('GET', H({ cookie: 'so_session=x', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }), G)).toEqual({ ok: true });
  });

  it('ALLOWED_ORIGINS and TRUST_PROXY (X-Forwarded-Host/-Proto) widen it only when configured', () => {
    const behind = { host: 'web-1:3000', 'x-forwarded-host': 'signalops.example.com', 'x-forwarded-proto': 'https', origin: 'https://signalops.example.com' };
    expect(post(behind)).toMatchObject({ ok: false }); // forwarded headers are ignored unless trusted
    expect(post(behind, { ...G, trustProxy: true })).toEqual({ ok: true });
    expect(ownOrigin(H(behind), { trustProxy: true })).toBe('https://signalops.example.com');
    expect(post({ origin: 'https://ops.example.com', 'sec-fetch-site': 'cross-site' }, { ...G, allowedOrigins: ['https://ops.example.com'] })).toEqual({ ok: true });
  });
});

describe('content types', () => {
  it('JSON where JSON is expected: 415 names what is accepted; no body needs no Content-Type', () => {
    const form = checkContentType('POST', H({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': '10' }), ['application/json']);
    expect(form).toMatchObject({ ok: false, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(!form.ok && form.message).toMatch(/send application\/json; got 'multipart\/form-data'/);
    expect(checkContentType('POST', H({ 'content-type': 'text/plain', 'content-length': '2' }), ['application/json'])).toMatchObject({ status: 415 });
    expect(checkContentType('POST', H({ 'content-length': '2' }), ['application/json'])).toMatchObject({ status: 415 });
    expect(checkContentType('POST', H({ 'content-type': 'application/json; charset=utf-8' }), ['application/json'])).toEqual({ ok: true });
    expect(checkContentType('POST', H({ 'content-type': 'application/vnd.api+json' }), ['application/json'])).toEqual({ ok: true });
    expect(checkContentType('POST', H({ 'content-length': '0' }), ['application/json'])).toEqual({ ok: true });
    // API-key callers of the REST routes keep today's leniency; tRPC asks everyone for JSON.
    const keyed = { method: 'POST', headers: H({ authorization: 'Bearer k', 'content-type': 'text/plain', 'content-length': '2' }) };
    expect(checkRequest(keyed, { ...G, accepts: ['application/json'] })).toEqual({ ok: true });
    expect(checkRequest(keyed, { ...G, accepts: ['application/json'], apiKeyContentType: true })).toMatchObject({ status: 415 });
  });
});

describe('headers', () => {
  it('pages: a nonce CSP with frame-ancestors none; APIs: default-src none; HSTS only with COOKIE_SECURE', () => {
    const csp = pageCsp('abc123');
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(pageCsp('n', { dev: true })).toContain("'unsafe-eval'");
    expect(pageCsp('n', { secure: true })).toContain('upgrade-insecure-requests');
    expect(securityHeaders({ secure: false })).toEqual({
      'content-security-policy': API_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(securityHeaders({ secure: true })['strict-transport-security']).toBe('max-age=31536000');
  });
});

describe('proxy.ts (pages and tRPC)', () => {
  let proxy: (r: NextRequest) => Response;
  beforeAll(async () => {
    ({ proxy } = (await import('../../proxy')) as unknown as { proxy: (r: NextRequest) => Response });
  });
  const req = (p: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new NextRequest(`http://localhost:3000${p}`, { method: init.method ?? 'GET', headers: { host: '127.0.0.1:3000', ...init.headers }, body: init.body });

  it('a forged POST to a tRPC mutation: 403 in tRPC’s error shape (one per call of a batch)', async () => {
    const res = proxy(req('/api/trpc/system.ping', { method: 'POST', headers: { cookie: 'so_session=t', origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body: '{}' }));
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: -32003, data: { code: 'FORBIDDEN', httpStatus: 403, path: 'system.ping' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const batch = proxy(req('/api/trpc/system.ping,auth.logout?batch=1', { method: 'POST', headers: { cookie: 'so_session=t', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{}' }));
    expect(await batch.json()).toHaveLength(2);
    // Login CSRF: a sign-in from another origin is refused too (no cookie involved).
    expect(proxy(req('/api/trpc/auth.login', { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: '{}' })).status).toBe(403);
  });

  it('a multipart body to a tRPC mutation: 415, even same-origin and even with an API key', async () => {
    const form = { 'content-type': 'multipart/form-data; boundary=b', 'content-length': '44' };
    const body = '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n';
    const same = proxy(req('/api/trpc/system.ping', { method: 'POST', headers: { cookie: 'so_session=t', origin: SITE, 'sec-fetch-site': 'same-origin', ...form }, body }));
    expect(same.status).toBe(415);
    expect(same.headers.get('accept')).toBe('application/json');
    expect((await same.json()).error.message).toMatch(/send application\/json; got 'multipart\/form-data'/);
    expect(proxy(req('/api/trpc/system.ping', { method: 'POST', headers: { authorization: 'Bearer so_k', ...form }, body })).status).toBe(415);
    // The dashboard's own call passes: same origin, JSON.
    const ok = proxy(req('/api/trpc/system.ping', { method: 'POST', headers: { cookie: 'so_session=t', origin: SITE, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, body: '{}' }));
    expect(ok.headers.get('x-middleware-next')).toBe('1');
    expect(ok.headers.get('content-security-policy')).toBe(API_CSP);
  });

  it('a page: a fresh nonce, in the response CSP and in the request header Next.js reads', () => {
    const a = proxy(req('/settings'));
    const b = proxy(req('/settings'));
    const csp = a.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(nonce).not.toBe(/'nonce-([^']+)'/.exec(b.headers.get('content-security-policy')!)![1]);
    expect(a.headers.get('x-middleware-request-content-security-policy')).toBe(csp);
    expect(a.headers.get('x-middleware-request-x-nonce')).toBe(nonce);
    for (const h of ['x-frame-options', 'x-content-type-options', 'referrer-policy']) expect(a.headers.get(h), h).toBeTruthy();
    // A root inference path is JSON, not a page.
    expect(proxy(req('/health')).headers.get('content-security-policy')).toBe(API_CSP);
    // /metrics: the page for a browser, the Prometheus text for anyone else.
    expect(proxy(req('/metrics')).headers.get('content-security-policy')).toBe(API_CSP);
    expect(proxy(req('/metrics', { headers: { accept: 'text/html,*/*' } })).headers.get('content-security-policy')).toContain("'nonce-");
  });

  it('its matcher skips static files, API-key requests and /api/v1 (whose routes guard themselves)', async () => {
    const { config } = (await import('../../proxy')) as unknown as { config: { matcher: [{ source: string; missing: unknown[] }, string] } };
    const re = new RegExp(`^${config.matcher[0].source}$`);
    for (const p of ['/', '/settings', '/api/trpc/x', '/api/ready', '/predict']) expect(re.test(p), p).toBe(true);
    for (const p of ['/_next/static/chunks/a.js', '/favicon.ico', '/api/v1/train']) expect(re.test(p), p).toBe(false);
    expect(config.matcher[0].missing).toEqual([{ type: 'header', key: 'authorization' }, { type: 'header', key: 'x-api-key' }]);
    expect(config.matcher[1]).toBe('/api/trpc/:path*');
  });
});

describe('REST routes, /api/ready and the serve process (real database)', () => {
  let cookie: string;
  let trainKey: string;
  let readKey: string;
  beforeAll(async () => {
    const u = await createUser(db, { username: 'eng', password: 'engineer-password', role: 'engineer' }, 'test');
    cookie = `${SESSION_COOKIE}=${(await createSession(db, u.id)).token}`;
    trainKey = (await createApiKey(db, { name: 'trainer', scopes: ['train'] }, 'test')).key;
    readKey = (await createApiKey(db, { name: 'reader', scopes: ['read'] }, 'test')).key;
  });

  type Route = (req: Request, ...rest: unknown[]) => Promise<Response>;
  const post = (p: string, headers: Record<string, string>, body = '{"dataset":"nope","modelName":"forged"}') =>
    new Request(`http://127.0.0.1:3000${p}`, { method: 'POST', headers: { host: '127.0.0.1:3000', ...headers }, body });

  it('POST /api/v1/train with the cookie from another origin: 403, nothing queued; text/plain: 415; an API key without Origin passes', async () => {
    const { POST } = (await import('../../app/api/v1/train/route')) as unknown as { POST: Route };
    const forged = await POST(post('/api/v1/train', { cookie, origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }));
    expect(forged.status).toBe(403);
    expect((await forged.json()).error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/Cross-origin request refused/) });
    expect(forged.headers.get('x-frame-options')).toBe('DENY');
    expect(await db.select().from(trainingRuns).where(eq(trainingRuns.modelName, 'forged'))).toEqual([]);
    const plain = await POST(post('/api/v1/train', { cookie, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' }));
    expect(plain.status).toBe(415);
    expect((await plain.json()).error.message).toMatch(/send application\/json; got 'text\/plain'/);
    // Same origin and JSON: through the guard to the handler (which answers about the unknown dataset).
    const own = await POST(post('/api/v1/train', { cookie, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }));
    expect([400, 404]).toContain(own.status);
    const keyed = await POST(post('/api/v1/train', { authorization: `Bearer ${trainKey}`, 'content-type': 'application/json' }));
    expect([400, 404]).toContain(keyed.status);
    expect(keyed.headers.get('content-security-policy')).toBe(API_CSP);
  });

  it('the candles route still takes CSV from the dashboard; the import route CSV and multipart', async () => {
    const { POST: append } = (await import('../../app/api/v1/datasets/[name]/candles/route')) as unknown as { POST: Route };
    const same = { cookie, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' };
    const csv = await append(post('/api/v1/datasets/none/candles', { ...same, 'content-type': 'text/csv' }, 'ts,open,high,low,close\n'));
    expect(csv.status).not.toBe(415);
    const form = await append(post('/api/v1/datasets/none/candles', { ...same, 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'));
    expect(form.status).toBe(415);
    expect(form.headers.get('accept')).toContain('text/csv');
    const { POST: upload } = (await import('../../app/api/v1/datasets/route')) as unknown as { POST: Route };
    expect((await upload(post('/api/v1/datasets?dataset=x', { ...same, 'content-type': 'application/json' }, '{}'))).status).toBe(415);
    expect((await upload(post('/api/v1/datasets?dataset=x', { ...same, 'content-type': 'text/csv' }, 'a,b\n'))).status).not.toBe(415);
  });

  it('every REST route module is wrapped by guarded() (a new route cannot forget the checks and headers)', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name === 'route.ts') files.push(path.join(d, e.name));
      }
    };
    walk(path.resolve(import.meta.dirname, '../../app/api/v1'));
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) {
      const src = fs.readFileSync(f, 'utf8');
      for (const m of src.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\s*=\s*([^\n]*)/g)) expect(m[2], `${f} ${m[1]}`).toMatch(/^guarded\(/);
    }
  });

  it('/api/ready: anonymous callers learn ready or not, nothing else; a `read` key or a viewer gets the details', async () => {
    const { GET } = (await import('../../app/api/ready/route')) as unknown as { GET: Route };
    const anon = await GET(new Request('http://127.0.0.1:3000/api/ready'));
    expect(anon.status).toBe(503); // no worker runs against this database
    expect(await anon.json()).toEqual({ ready: false });
    expect(anon.headers.get('x-content-type-options')).toBe('nosniff');
    const bogus = await GET(new Request('http://127.0.0.1:3000/api/ready', { headers: { authorization: 'Bearer so_not_a_key' } }));
    expect(await bogus.json()).toEqual({ ready: false });
    const keyed = await GET(new Request('http://127.0.0.1:3000/api/ready', { headers: { authorization: `Bearer ${readKey}` } }));
    expect(keyed.status).toBe(503);
    const body = await keyed.json();
    expect(body).toMatchObject({ ready: false, database: { ok: true }, workers: { ok: false } });
    expect(body.problems.join(' ')).toMatch(/worker/);
    const viewer = await GET(new Request('http://127.0.0.1:3000/api/ready', { headers: { cookie } }));
    expect(await viewer.json()).toHaveProperty('migrations');
  });

  describe('the serve process', () => {
    let server: http.Server;
    let base: string;
    beforeAll(async () => {
      const { createServeHandler } = await import('../bin/serve');
      const engine = new InferenceEngine(db, url, logger(), engineOptionsFromEnv({}));
      const ctx: ServingContext = { db, engine, auth: new AuthCache(db) };
      const handle = createServeHandler(ctx);
      server = http.createServer((req, res) => void handle(req, res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('answers with the security headers; a cookie POST from another origin is 403, an API key without Origin is not', async () => {
      const health = await fetch(`${base}/health`);
      for (const h of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']) expect(health.headers.get(h), h).toBeTruthy();
      expect(health.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const forged = await fetch(`${base}/predict`, { method: 'POST', headers: { cookie, origin: 'http://127.0.0.1:1', 'content-type': 'application/json' }, body: '{}' });
      expect(forged.status).toBe(403);
      expect(forged.headers.get('x-frame-options')).toBe('DENY');
      const form = await fetch(`${base}/predict`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{}' });
      expect(form.status).toBe(415);
      const keyed = await fetch(`${base}/reload-model`, { method: 'POST', headers: { authorization: `Bearer ${trainKey}` } });
      expect(keyed.status).not.toBe(403);
    });
  });
});
