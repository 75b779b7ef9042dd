import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { openDb, type Db, type DbHandle } from '../db/client';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { applyNewVersionPolicy } from '../promotion/actions';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { InferenceEngine, engineOptionsFromEnv } from '../serving/engine';
import { AuthCache, dispatch, type ServingContext } from '../serving/http';
import { userCaller, callerWithHeaders } from '../trpc/test-helpers';
import { restHandler } from './rest';
import { RequestLimiter, limitRequest, subjectOf, trpcBatchCalls } from './ratelimit';
import { principalFromHeaders } from '../auth/request';
import { auditLog } from '../../drizzle/schema';
import type { TrainRequestInput } from '../training/params';
import type { PlainResponse } from './rest';

// The tRPC route reads the database from the environment (appDb); the size-cap test refuses before touching it.
process.env.DATABASE_URL ??= inject('pgServerUrl');

const log = logger().child({ test: 'ratelimit' });
const body = JSON.stringify({ symbol: 'EURUSD', indicators: { rsi_value: 50 } });
const batch = (n: number) => JSON.stringify({ requests: Array.from({ length: n }, (_, i) => ({ symbol: 'EURUSD', indicators: { rsi_value: 40 + i } })) });

describe('request rate limits (issue 12, finding 3)', () => {
  let t: DbHandle & { name: string };
  let db: Db;
  let second: DbHandle;
  /** Two "replicas": each its own pool, engine, key cache and limiter, on one database. */
  const replicas: ServingContext[] = [];
  let admin: Awaited<ReturnType<typeof userCaller>>;

  const call = (r: ServingContext, path: string, key: string, text = body): Promise<PlainResponse> =>
    dispatch(path, path === '/model/info' ? 'GET' : 'POST', { headers: new Headers({ authorization: `Bearer ${key}`, 'content-type': 'application/json' }), text: async () => text }, r);
  const newKey = async (name: string, rateLimitPerMinute?: number, scopes: ('predict' | 'read')[] = ['predict']) =>
    (await admin.apiKeys.create({ name, scopes, rateLimitPerMinute })).key;

  beforeAll(async () => {
    t = await createTestDb();
    db = t.db;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(4000, 3), 'mt-comma')), dataset: 'planted', symbol: 'EURUSD', actor: 'test' });
    const run = await startRun(db, { dataset: 'planted', modelName: 'signals', modelType: 'lstm', units: 16, window: 16, epochs: 6, batchSize: 64, patience: 3, seed: 7 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, run.id, { workerId: 'test', log, onRegistered: (v) => applyNewVersionPolicy(db, v) });
    expect(out.version?.status, out.error).toBe('candidate');
    second = openDb(t.url, { max: 3, applicationName: 'signalops-test-replica' });
    for (const h of [t, second]) {
      const engine = await new InferenceEngine(h.db, h.url, log, engineOptionsFromEnv({})).start();
      replicas.push({ db: h.db, engine, auth: new AuthCache(h.db), limiter: new RequestLimiter() });
    }
    admin = await userCaller(db, 'admin');
    // tRPC's inference procedures use the process's serving context (server/serving/instance.ts): this file's first replica.
    (globalThis as unknown as { __signalopsServing?: Promise<ServingContext> }).__signalopsServing = Promise.resolve(replicas[0]);
  }, 180_000);
  afterAll(async () => {
    for (const r of replicas) await r.engine.stop();
    await second?.close();
    await closeProducerBosses();
  });

  it('a key limited to 5 per minute gets 429 on its 6th prediction, counted across two replicas, with RateLimit-* and Retry-After', async () => {
    const key = await newKey('limited-5', 5);
    const [a, b] = replicas;
    const seen: PlainResponse[] = [];
    for (let i = 0; i < 5; i++) seen.push(await call(i % 2 ? b : a, '/predict', key));
    expect(seen.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // RateLimit-* once half of the budget is spent (remaining ≤ limit / 2), not before.
    expect(seen.map((r) => r.headers?.['ratelimit-remaining'] ?? null)).toEqual([null, null, '2', '1', '0']);
    expect(seen[2].headers).toMatchObject({ 'ratelimit-limit': '5', 'ratelimit-policy': '5;w=60' });
    const sixth = await call(b, '/predict', key);
    expect(sixth.status).toBe(429);
    expect(sixth.headers).toMatchObject({ 'ratelimit-limit': '5', 'ratelimit-remaining': '0' });
    expect(Number(sixth.headers!['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(sixth.headers!['retry-after'])).toBeLessThanOrEqual(60);
    expect(Number(sixth.headers!['ratelimit-reset'])).toBeLessThanOrEqual(60);
    expect(sixth.body).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/limited-5.*5 points per minute/) } });
    expect((await call(a, '/predict', key)).status).toBe(429);
    // another key is not affected
    expect((await call(a, '/predict', await newKey('neighbour'))).status).toBe(200);
  });

  it('a batch costs one point per item', async () => {
    const key = await newKey('limited-10', 10);
    const [a, b] = replicas;
    expect((await call(a, '/batch-predict', key, batch(4))).status).toBe(200);
    expect((await call(b, '/batch-predict', key, batch(4))).status).toBe(200);
    const over = await call(a, '/batch-predict', key, batch(4)); // 1 + 3 more points, only 2 left
    expect(over.status).toBe(429);
    expect(over.headers!['retry-after']).toBeDefined();
    // a batch bigger than the whole limit says so
    const key3 = await newKey('limited-3', 3);
    const huge = await call(b, '/batch-predict', key3, batch(5));
    expect(huge.status).toBe(429);
    expect(JSON.stringify(huge.body)).toMatch(/costs 5 points.*smaller batches/);
  });

  it('keys without a limit of their own get the default (12,000 points a minute); /health is never limited', async () => {
    const key = await newKey('default-limit');
    const r = await call(replicas[0], '/predict', key);
    expect(r.status).toBe(200);
    // Far from the limit: no RateLimit-* headers (they come once half of the 12,000 points are spent).
    expect(r.headers?.['ratelimit-limit']).toBeUndefined();
    const d = await limitRequest(db.$client, await principalFromHeaders(db, new Headers({ authorization: `Bearer ${key}` })), 6000, replicas[0].limiter);
    expect(d).toMatchObject({ allowed: true, limit: 12_000 });
    expect((await call(replicas[0], '/predict', key)).headers).toMatchObject({ 'ratelimit-limit': '12000', 'ratelimit-policy': '12000;w=60' });
    const h = await dispatch('/health', 'GET', { headers: new Headers(), text: async () => '' }, replicas[0]);
    expect(h.status).toBe(200);
    expect(h.headers?.['ratelimit-limit']).toBeUndefined();
  });

  it('tRPC: 429 TOO_MANY_REQUESTS with Retry-After and RateLimit-* headers; batchPredict costs one point per item', async () => {
    const key = await newKey('trpc-limited', 4);
    const headers = { authorization: `Bearer ${key}` };
    const caller = await callerWithHeaders(db, headers);
    await caller.inference.batchPredict({ requests: [{ symbol: 'EURUSD', indicators: { rsi_value: 50 } }, { symbol: 'EURUSD', indicators: { rsi_value: 51 } }, { symbol: 'EURUSD', indicators: { rsi_value: 52 } }] });
    const res = new Headers();
    const { createCaller } = await import('../trpc/root');
    const { principalFromHeaders } = await import('../auth/request');
    const c2 = createCaller({ db, principal: await principalFromHeaders(db, new Headers(headers)), resHeaders: res });
    await c2.inference.predict({ symbol: 'EURUSD', indicators: { rsi_value: 50 } });
    expect(res.get('ratelimit-limit')).toBe('4');
    const e = await c2.inference.predict({ symbol: 'EURUSD', indicators: { rsi_value: 50 } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TRPCError);
    expect((e as TRPCError).code).toBe('TOO_MANY_REQUESTS');
    expect(Number(res.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.get('ratelimit-remaining')).toBe('0');
  });

  it("admins set a key's limit (apiKeys.update, audited from → to); REST routes (restHandler) are limited too", async () => {
    const created = await admin.apiKeys.create({ name: 'rest-reader', scopes: ['read'] });
    expect(created.apiKey.rateLimitPerMinute).toBeNull();
    const updated = await admin.apiKeys.update({ id: created.apiKey.id, rateLimitPerMinute: 2 });
    expect(updated.rateLimitPerMinute).toBe(2);
    const [row] = await db.select().from(auditLog).where(eq(auditLog.action, 'apikey.update'));
    expect(row.details).toMatchObject({ from: { rateLimitPerMinute: null }, to: { rateLimitPerMinute: 2 } });
    await expect(admin.apiKeys.update({ id: created.apiKey.id, rateLimitPerMinute: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const route = restHandler({ need: { role: 'analyst', scope: 'read' }, getDb: () => db, run: async () => ({ ok: true }) });
    const get = () => route(new Request('http://localhost/api/v1/anything', { headers: { authorization: `Bearer ${created.key}` } }));
    const r1 = await get();
    expect(r1.status).toBe(200);
    expect(r1.headers.get('ratelimit-limit')).toBe('2');
    expect((await get()).status).toBe(200);
    const r3 = await get();
    expect(r3.status).toBe(429);
    expect(Number(r3.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r3.headers.get('ratelimit-remaining')).toBe('0');
  });

  describe('the limiter', () => {
    it('counts API keys by id (their own limit or the default) and users by id (6,000/min); the CLI and anonymous callers are not limited', () => {
      expect(subjectOf({ kind: 'apikey', keyId: 'k1', name: 'a', scopes: ['predict'], rateLimitPerMinute: 7 })).toEqual({ subject: 'key:k1', limit: 7 });
      expect(subjectOf({ kind: 'apikey', keyId: 'k2', name: 'a', scopes: ['predict'], rateLimitPerMinute: null })).toEqual({ subject: 'key:k2', limit: 12_000 });
      expect(subjectOf({ kind: 'user', userId: 'u1', username: 'x', role: 'analyst', sessionHash: null })).toEqual({ subject: 'user:u1', limit: 6000 });
      expect(subjectOf({ kind: 'cli' })).toBeNull();
      expect(subjectOf({ kind: 'anonymous' })).toBeNull();
    });

    it('far from the limit it asks PostgreSQL once per chunk, not once per request', async () => {
      const l = new RequestLimiter();
      for (let i = 0; i < 2000; i++) expect((await l.take(db.$client, 'key:chunks', 12_000)).allowed).toBe(true);
      expect(l.stats.storeCalls).toBeLessThanOrEqual(6);
    });

    it('two replicas (two pools) together admit exactly the limit', async () => {
      const a = new RequestLimiter();
      const b = new RequestLimiter();
      let allowed = 0;
      for (let i = 0; i < 120; i++) {
        const [x, y] = await Promise.all([a.take(db.$client, 'key:exact', 50), b.take(second.db.$client, 'key:exact', 50)]);
        allowed += Number(x.allowed) + Number(y.allowed);
      }
      expect(allowed).toBe(50);
    });

    it('limits of 1,000 and more never wait for PostgreSQL (admitted on credit); the overshoot stays within one chunk per replica', async () => {
      const a = new RequestLimiter();
      const b = new RequestLimiter();
      let allowed = 0;
      await Promise.all(
        [a, b].map(async (l, i) => {
          for (let n = 0; n < 1500; n++) {
            const d = await l.take(i ? second.db.$client : db.$client, 'key:credit', 1600);
            allowed += Number(d.allowed);
          }
        }),
      );
      expect(a.stats.credited + b.stats.credited).toBeGreaterThan(0);
      // chunk = 1600/16 = 100 points per replica at most
      expect(allowed).toBeGreaterThanOrEqual(1500);
      expect(allowed).toBeLessThanOrEqual(1600 + 2 * 100);
      expect(a.stats.overshoot + b.stats.overshoot).toBeLessThanOrEqual(200);
    });

    it('fails open when PostgreSQL is unreachable: let through, counted, and not asked again for a while', async () => {
      const dead = openDb('postgres://postgres@127.0.0.1:1/nothing', { max: 1 });
      try {
        const l = new RequestLimiter({ storeTimeoutMs: 2000 });
        const d = await l.take(dead.pool, 'key:down', 5, 1);
        expect(d).toMatchObject({ allowed: true, failOpen: true });
        for (let i = 0; i < 20; i++) expect((await l.take(dead.pool, 'key:down', 5, 1)).allowed).toBe(true);
        expect(l.stats.failOpen).toBe(21);
        expect(l.stats.storeCalls).toBe(1);
      } finally {
        await dead.close();
      }
    });
  });

  describe('size caps', () => {
    it('the tRPC route refuses a batch of more than TRPC_MAX_BATCH (50) calls with 413 naming the limit, before running any', async () => {
      const { POST, GET } = await import('../../app/api/trpc/[trpc]/route');
      const paths = (n: number) => Array.from({ length: n }, () => 'data.chart').join(',');
      for (const n of [51, 101]) {
        const res = await GET(new Request(`http://localhost/api/trpc/${paths(n)}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`));
        expect(res.status).toBe(413);
        const doc = (await res.json()) as { error: { message: string; data: { maxBatch: number } } };
        expect(doc.error.message).toMatch(new RegExp(`${n} calls; at most 50`));
        expect(doc.error.data.maxBatch).toBe(50);
      }
      const post = await POST(new Request(`http://localhost/api/trpc/${paths(60)}?batch=1`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }));
      expect(post.status).toBe(413);
      // 50 anonymous auth.me calls are answered (the cap is not off by one)
      const ok = await GET(new Request(`http://localhost/api/trpc/${Array.from({ length: 50 }, () => 'auth.me').join(',')}?batch=1&input=%7B%7D`));
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as unknown[]).length).toBe(50);
      expect(trpcBatchCalls(new URL('http://x/api/trpc/a,b,c?batch=1'))).toBe(3);
      expect(trpcBatchCalls(new URL('http://x/api/trpc/a,b,c'))).toBe(1);
    });
  });
});
