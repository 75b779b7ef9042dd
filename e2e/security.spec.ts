import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, type Page } from '@playwright/test';
import { ADMIN, login } from './helpers';

/**
 * Security in a real browser: the pages run under the nonce-based CSP without a single violation (and a mutation
 * still works), every answer carries the security headers, and a page on another port of the same host — same-site,
 * not same-origin, so the SameSite=Lax session cookie goes along — cannot make the signed-in user change anything
 * or sign someone in (server/http/guard.ts, proxy.ts).
 */
test.describe.configure({ mode: 'serial' });

const PAGES = ['/', '/data', '/training', '/models', '/compare', '/promotion', '/drift', '/metrics', '/alerts', '/settings'];

/** Collects CSP violations (the DOM event and the console's report) from every document the page loads. */
async function watchCsp(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /content security policy|CSP violation/i.test(m.text())) seen.push(m.text());
  });
  // Other script errors are not CSP's (a blocked script throws nothing; hydration errors are React's): listed, not failed.
  page.on('pageerror', (e) => {
    const note = `${page.url()}: ${e.message.slice(0, 200)}`;
    test.info().annotations.push({ type: 'page error', description: note });
    console.log(`page error (not a CSP violation) on ${note}`);
  });
  return seen;
}

function expectSecurityHeaders(h: Record<string, string>, what: string) {
  expect(h['content-security-policy'], what).toContain("frame-ancestors 'none'");
  expect(h['x-content-type-options'], what).toBe('nosniff');
  expect(h['x-frame-options'], what).toBe('DENY');
  expect(h['referrer-policy'], what).toBe('same-origin');
  // COOKIE_SECURE is not set here: no HSTS over plain HTTP.
  expect(h['strict-transport-security'], what).toBeUndefined();
}

test('every page runs under the nonce CSP with no violation; sign-in and a mutation still work', async ({ page }) => {
  const violations = await watchCsp(page);
  const loginPage = await page.goto('/login');
  const csp = loginPage!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
  expect(csp).not.toContain('unsafe-eval');
  await login(page); // auth.login: a tRPC mutation from the browser
  const nonces = new Set<string>();
  for (const p of PAGES) {
    const res = await page.goto(p);
    expect(res!.status(), p).toBe(200);
    const h = res!.headers();
    expectSecurityHeaders(h, p);
    nonces.add(/'nonce-([^']+)'/.exec(h['content-security-policy'])![1]);
    await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);
    await page.waitForLoadState('networkidle');
  }
  expect(nonces.size, 'a fresh nonce per page load').toBe(PAGES.length);
  // The 404 page of an unmatched URL renders per request too, so its scripts carry the nonce.
  const missing = await page.goto('/no-such-page');
  expect(missing!.status()).toBe(404);
  await page.waitForLoadState('networkidle');
  // A mutation from the dashboard: the test job goes out and a worker answers.
  await page.goto('/');
  await page.getByRole('button', { name: 'Send a test job' }).click();
  await expect(page.getByTestId('ping-result')).toContainText('answered by');
  expect(violations).toEqual([]);
  // The watcher does see violations: an image from another origin (img-src 'self') is blocked, and reported.
  await page.evaluate(() => {
    const img = new Image();
    img.src = 'http://198.51.100.7/pixel.png';
    document.body.append(img);
  });
  await expect.poll(() => violations.join('\n')).toMatch(/img-src/);
});

test('API answers carry the headers; /api/ready tells an anonymous caller only whether it is ready', async ({ page, request }) => {
  for (const path of ['/api/health', '/api/ready', '/api/v1/models', '/api/trpc/system.workers', '/health']) {
    const r = await request.get(path);
    expectSecurityHeaders(r.headers(), path);
    expect(r.headers()['content-security-policy'], path).toContain("default-src 'none'");
  }
  const anon = await request.get('/api/ready');
  expect(anon.status()).toBe(200);
  expect(await anon.json()).toEqual({ ready: true });
  await login(page);
  const viewer = await page.request.get('/api/ready');
  expect(await viewer.json()).toMatchObject({ ready: true, database: { ok: true }, workers: { ok: true } });
});

test('a page on another port of this host cannot act with the session cookie, nor sign anyone in', async ({ page, baseURL }) => {
  await login(page);
  const target = new URL(baseURL!);
  // The attacker's page: same host, another port (same-site, cross-origin); its forms post to SignalOps.
  const forms: Record<string, string> = {
    '/ping': `<form id="f" method="POST" enctype="multipart/form-data" action="${target.origin}/api/trpc/system.ping"><input name="message" value="forged"></form>`,
    '/train': `<form id="f" method="POST" enctype="text/plain" action="${target.origin}/api/v1/train"><input name='{"dataset":"x","modelName":"forged","a":"' value='"}'></form>`,
    '/login': `<form id="f" method="POST" enctype="text/plain" action="${target.origin}/api/trpc/auth.login"><input name='{"username":"admin","password":"' value='x"}'></form>`,
  };
  const attacker = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>prize</title>${forms[req.url ?? ''] ?? ''}<script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((r) => attacker.listen(0, target.hostname, r));
  const evil = `http://${target.hostname}:${(attacker.address() as AddressInfo).port}`;
  try {
    for (const [path, endpoint] of [
      ['/ping', '/api/trpc/system.ping'],
      ['/train', '/api/v1/train'],
      ['/login', '/api/trpc/auth.login'],
    ]) {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === endpoint);
      await page.goto(`${evil}${path}`);
      const res = await answered;
      expect(res.status(), `${path} → ${endpoint}`).toBe(403);
      expect(await res.text(), endpoint).toMatch(/Cross-origin request refused/);
      expect((await res.request().allHeaders())['sec-fetch-site'], 'the browser called it same-site').toBe('same-site');
    }
  } finally {
    attacker.close();
  }
  // Still signed in, and nothing ran: no run of the forged model exists.
  await page.goto('/training');
  await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);
  const runs = await page.request.get('/api/v1/training-status');
  expect(await runs.text()).not.toContain('forged');
});
