import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { createApiKey } from '../auth/apikeys';
import { freePort } from '../db/embedded';
import { forwarder } from '../testing/tcp-forwarder';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';

/**
 * tRPC and REST on a web replica (the app's route handlers, server/testing/api-server.ts) while its database is
 * unreachable (a real PostgreSQL behind a TCP hop that is taken down): 503 SERVICE_UNAVAILABLE in tRPC's error shape,
 * never a 500 — whether the procedure fails (a key checked recently, accepted by the outage grace) or the caller cannot
 * be looked up before any middleware runs (createContext: a key never seen, a session cookie).
 */
describe('tRPC during a database outage', () => {
  let fwd: Awaited<ReturnType<typeof forwarder>>;
  let web: Spawned;
  let port: number;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    const t = await createTestDb();
    for (const n of ['seen', 'never-seen']) keys[n] = (await createApiKey(t.db, { name: n, scopes: ['read'] }, 'test')).key;
    const u = new URL(t.url);
    fwd = await forwarder(u.hostname, Number(u.port || 5432));
    u.hostname = '127.0.0.1';
    u.port = String(fwd.port);
    port = await freePort();
    web = spawnTs('server/testing/api-server.ts', [], { DATABASE_URL: u.toString(), PORT: String(port), SIGNALOPS_PROC: 'web' });
    await waitFor(async () => (await get('registry.list', { authorization: `Bearer ${keys.seen}` })).status === 200, 90_000, 'web up');
  }, 120_000);
  afterAll(async () => {
    if (web && web.proc.exitCode === null) {
      web.proc.kill('SIGTERM');
      await web.exited;
    }
    await fwd?.close();
  });

  const get = async (p: string, headers: Record<string, string>) => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/trpc/${p}`, { headers, signal: AbortSignal.timeout(20_000) });
      return { status: r.status, body: (await r.json().catch(() => null)) as unknown };
    } catch (e) {
      return { status: 0, body: String(e) };
    }
  };

  it('answers 503 SERVICE_UNAVAILABLE (tRPC error shape), never 500, and 200 again once the database is back', async () => {
    fwd.takeDown();
    try {
      const asked = {
        'cached key (the procedure fails)': await get('registry.list', { authorization: `Bearer ${keys.seen}` }),
        'key never seen (createContext fails)': await get('registry.list', { authorization: `Bearer ${keys['never-seen']}` }),
        'session cookie (createContext fails)': await get('registry.list', { cookie: 'so_session=not-a-real-session-token-0123456789' }),
        'a batch of two (createContext fails)': await get('registry.list,registry.list?batch=1&input=%7B%7D', { authorization: `Bearer ${keys['never-seen']}` }),
      };
      console.log(JSON.stringify(Object.fromEntries(Object.entries(asked).map(([k, v]) => [k, v.status]))));
      for (const [label, r] of Object.entries(asked)) {
        expect(r.status, label).toBe(503);
        const errors = Array.isArray(r.body) ? (r.body as unknown[]) : [r.body];
        for (const e of errors) {
          expect(e, label).toMatchObject({ error: { message: expect.stringMatching(/database is unavailable/), data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, request_id: expect.any(String) } } });
          expect(JSON.stringify(e)).not.toMatch(/Failed query|select |params/i);
        }
      }
    } finally {
      fwd.bringUp();
    }
    await waitFor(async () => (await get('registry.list', { authorization: `Bearer ${keys['never-seen']}` })).status === 200, 30_000, 'tRPC after the outage');
    expect(web.stdout()).not.toMatch(/Failed query:|params: /);
  }, 120_000);
});
