import http from 'node:http';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { createApiKey } from '../auth/apikeys';
import { closeProducerBosses } from '../jobs/queue';
import { freePort } from '../db/embedded';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';
import { logger } from '../log';
import { applyNewVersionPolicy } from '../promotion/actions';
import { LATENCY_BUCKETS_MS, bucketOf } from './histogram';
import { addCounts, emptyCounts, figures, readSeries } from './query';
import { parseExposition, total } from './prom-text';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';

const TOKEN = 'scrape-token-0123456789';

/** One request on a fresh connection (agent: false), so node:cluster hands each to the next worker. */
function request(port: number, path: string, opts: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? (body ? 'POST' : 'GET'),
        agent: false,
        headers: { 'content-type': 'application/json', ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...opts.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Exact q-quantile (nearest rank) of a list. */
const exactQuantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * xs.length) - 1)];

/**
 * Monitoring across real serve processes: Prometheus exposition and auth, the JSON summary, roll-ups merged from two
 * processes, one scrape of a two-worker cluster, request ids.
 */
describe('metrics from real serve processes', () => {
  let db: Db;
  let url: string;
  let key: string;
  let readKey: string;
  const procs: Spawned[] = [];
  let a: number; // SERVE_WORKERS=1
  let b: number; // SERVE_WORKERS=1
  let c: number; // SERVE_WORKERS=2
  let cluster: Spawned;
  let workerMetricsPort: number;

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    url = t.url;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(4000, 3), 'mt-comma')), dataset: 'planted', symbol: 'EURUSD', actor: 'test' });
    const r = await startRun(db, { dataset: 'planted', modelName: 'signals', modelType: 'lstm', units: 16, window: 16, epochs: 4, batchSize: 64, patience: 3, seed: 7 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log: logger(), onRegistered: (v) => applyNewVersionPolicy(db, v) });
    expect(out.version?.status, out.error).toBe('candidate');
    key = (await createApiKey(db, { name: 'trading-app', scopes: ['predict'] }, 'test')).key;
    readKey = (await createApiKey(db, { name: 'prometheus', scopes: ['read'] }, 'test')).key;
    [a, b, c, workerMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = (port: number, workers: number) => ({
      DATABASE_URL: url,
      INFERENCE_PORT: String(port),
      HOSTNAME: '127.0.0.1',
      SERVE_WORKERS: String(workers),
      MONITORING_INTERVAL_SECONDS: '1',
      METRICS_TOKEN: TOKEN,
    });
    procs.push(spawnTs('server/bin/serve.ts', [], env(a, 1)), spawnTs('server/bin/serve.ts', [], env(b, 1)));
    cluster = spawnTs('server/bin/serve.ts', [], env(c, 2));
    procs.push(cluster);
    // A worker with its metrics port, in public mode.
    procs.push(spawnTs('server/bin/worker.ts', [], { DATABASE_URL: url, WORKER_HEARTBEAT_SECONDS: '1', WORKER_METRICS_PORT: String(workerMetricsPort), HOSTNAME: '127.0.0.1', METRICS_PUBLIC: 'true' }));
    for (const port of [a, b, c]) await waitFor(async () => (await request(port, '/health').catch(() => null))?.status === 200, 90_000, `serve on ${port}`);
    // Both workers of the cluster are up when two fresh connections meet two different processes.
    await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(JSON.parse((await request(c, '/health')).text).served_by);
      return seen.size === 2;
    }, 90_000, 'two cluster workers');
  }, 300_000);

  afterAll(async () => {
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await closeProducerBosses();
  });

  const predict = (port: number, rsi: number, headers: Record<string, string> = {}) => request(port, '/predict', { key, body: { symbol: 'EURUSD', indicators: { rsi_value: rsi } }, headers });

  it('scraping needs a read key or METRICS_TOKEN: 401 without, 403 with a predict-only key', async () => {
    const none = await request(a, '/metrics');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error).toMatchObject({ code: 'UNAUTHORIZED', request_id: none.headers['x-request-id'] });
    expect((await request(a, '/metrics', { key })).status).toBe(403);
    expect((await request(a, '/metrics', { key: 'not-the-token-at-all' })).status).toBe(401);
    const byKey = await request(a, '/metrics', { key: readKey });
    expect(byKey.status).toBe(200);
    expect(byKey.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const byToken = await request(a, '/metrics', { key: TOKEN });
    expect(byToken.status).toBe(200);
    expect(() => parseExposition(byToken.text)).not.toThrow();
    expect((await request(a, '/api/v1/metrics', { key })).status).toBe(403);
    expect((await request(a, '/metrics', { method: 'POST', key: readKey, body: {} })).status).toBe(405);
    // Public mode (the worker runs with METRICS_PUBLIC=true): no credential needed.
    await waitFor(async () => (await request(workerMetricsPort, '/metrics').catch(() => null))?.status === 200, 60_000, 'worker metrics port');
    const w = parseExposition((await request(workerMetricsPort, '/metrics')).text);
    expect(total(w, 'signalops_training_runs', { status: 'succeeded' })).toBe(1);
    expect(total(w, 'signalops_traffic_percent', { model: 'signals', version: 'v1' })).toBe(100);
    expect(w.samples.some((s) => s.name === 'signalops_process_resident_memory_bytes')).toBe(true);
    expect((await request(workerMetricsPort, '/nope')).status).toBe(404);
  });

  it('roll-ups from two processes: counts equal the requests sent, merged percentiles within one bucket', async () => {
    const t0 = Date.now();
    const latencies: number[] = [];
    const sent = { a: 0, b: 0, bad: 0 };
    for (let i = 0; i < 60; i++) {
      const port = i % 2 ? b : a;
      const r = await predict(port, 20 + (i % 40)); // 40 distinct inputs; i and i + 40 meet the same process: 20 hits
      expect(r.status).toBe(200);
      latencies.push(JSON.parse(r.text).processing_time_ms);
      sent[i % 2 ? 'b' : 'a']++;
    }
    for (let i = 0; i < 5; i++) {
      expect((await predict(i % 2 ? b : a, 140)).status).toBe(400); // out of range: refused before routing
      sent.bad++;
    }
    const read = async () => {
      const rows = await readSeries(db, { from: t0 - 60_000, to: Date.now() + 60_000, stepSeconds: 3600, sourceInterval: 10 });
      const v1 = rows.filter((r) => r.model === 'signals' && r.version === 1).reduce((acc, r) => addCounts(acc, r), emptyCounts());
      const refused = rows.filter((r) => r.model === '').reduce((acc, r) => addCounts(acc, r), emptyCounts());
      return { v1, refused };
    };
    await waitFor(async () => {
      const { v1, refused } = await read();
      return v1.requests >= 60 && refused.requests >= 5;
    }, 30_000, 'roll-ups flushed');
    await new Promise((r) => setTimeout(r, 2500)); // one more flush: nothing counted twice
    const { v1, refused } = await read();
    expect(v1.requests).toBe(60);
    expect(v1.cacheHits + v1.cacheMisses).toBe(60);
    expect(v1.cacheHits).toBe(20);
    expect(refused.requests).toBe(5);
    expect(refused.errors4xx).toBe(5);
    const perProcess = await db.$client.query(
      `select process_id, sum(requests)::int as n from metric_rollups where model_name = 'signals' and bucket_start >= to_timestamp($1 / 1000.0) group by 1`,
      [t0 - 20_000],
    );
    const counts = perProcess.rows.map((r) => r.n as number).sort();
    expect(counts).toEqual([sent.b, sent.a].sort()); // the two serve processes, each with its own process id
    const f = figures(v1);
    for (const [q, merged] of [[0.5, f.p50Ms], [0.95, f.p95Ms], [0.99, f.p99Ms]] as const) {
      const exact = exactQuantile(latencies, q);
      expect(Math.abs(bucketOf(merged!, LATENCY_BUCKETS_MS) - bucketOf(exact, LATENCY_BUCKETS_MS)), `p${q * 100}: merged ${merged} vs exact ${exact}`).toBeLessThanOrEqual(1);
    }
    console.log(`merged p50/p95/p99 ${[f.p50Ms, f.p95Ms, f.p99Ms].map((v) => v!.toFixed(2)).join('/')} ms vs exact ${[0.5, 0.95, 0.99].map((q) => exactQuantile(latencies, q).toFixed(2)).join('/')} ms`);

    // The JSON summary reads the same roll-ups: across both processes, last hour.
    const json = await request(a, '/api/v1/metrics', { key: readKey });
    expect(json.status).toBe(200);
    const s = JSON.parse(json.text);
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['total_predictions', 'avg_processing_time_ms', 'cache_hit_rate', 'error_rate', 'low_confidence_rate', 'top_symbols', 'system_metrics']));
    expect(s.total_predictions).toBeGreaterThanOrEqual(60);
    expect(s.error_rate).toBeGreaterThan(0);
    expect(s.error_rate).toBeLessThan(0.5);
    expect(s.top_symbols[0]).toMatchObject({ symbol: 'EURUSD' });
    expect(s.system_metrics.length).toBeGreaterThanOrEqual(2);
    expect(s.system_metrics[0]).toEqual(expect.objectContaining({ process: expect.any(String), cpu_percent: expect.any(Number), memory_percent: expect.any(Number) }));
    const negotiated = await request(a, '/metrics', { key: readKey, headers: { accept: 'application/json' } });
    expect(negotiated.headers['content-type']).toMatch(/application\/json/);
    expect(Object.keys(JSON.parse(negotiated.text)).sort()).toEqual(Object.keys(s).sort());

    // Prometheus on process A: exactly A's requests.
    const e = parseExposition((await request(a, '/metrics', { key: TOKEN })).text);
    expect(total(e, 'signalops_predictions_total', { model: 'signals', version: 'v1', status: '200' })).toBe(sent.a);
    expect(total(e, 'signalops_predictions_total', { status: '400' })).toBe(3);
    expect(total(e, 'signalops_prediction_duration_seconds_count', { model: 'signals', version: 'v1' })).toBe(sent.a);
    expect(total(e, 'signalops_prediction_cache_hits_total') + total(e, 'signalops_prediction_cache_misses_total')).toBe(sent.a);
    expect(total(e, 'signalops_batch_size_count', { model: 'signals' })).toBeGreaterThan(0);
    expect(total(e, 'signalops_loaded_versions')).toBe(1);
    expect(total(e, 'signalops_traffic_percent', { model: 'signals', version: 'v1' })).toBe(100);
    expect(total(e, 'signalops_training_runs', { status: 'succeeded' })).toBe(1);
    expect(e.types.signalops_queue_depth).toBe('gauge');
    expect(e.types.signalops_workers_live).toBe('gauge');
    expect(total(e, 'signalops_prediction_log_dropped_total')).toBe(0);
    expect(total(e, 'signalops_scrape_errors_total')).toBe(0);
    expect(e.types.signalops_process_cpu_user_seconds_total).toBe('counter');
  });

  it('SERVE_WORKERS=2: one scrape reports both workers together, whichever answers; a dead worker is restarted', async () => {
    const n = 40;
    const t1 = Math.ceil((Date.now() + 1) / 1000) * 1000; // a fresh 1-s roll-up interval: only this test's requests
    await new Promise((r) => setTimeout(r, t1 - Date.now() + 20));
    for (let i = 0; i < n; i++) expect((await predict(c, 10 + i)).status).toBe(200);
    // Each worker flushes its own roll-ups under its own process id; together they are the requests sent.
    const perWorker = await waitFor(async () => {
      const r = await db.$client.query(`select process_id, sum(requests)::int as n from metric_rollups where model_name = 'signals' and bucket_start >= to_timestamp($1 / 1000.0) group by 1`, [t1]);
      const counts = r.rows.map((x) => x.n as number);
      return counts.reduce((x, y) => x + y, 0) === n ? counts : null;
    }, 30_000, 'cluster roll-ups');
    expect(perWorker).toHaveLength(2);
    for (const k of perWorker) expect(k).toBeGreaterThan(0);
    const scrapes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const e = parseExposition((await request(c, '/metrics', { key: readKey })).text);
      scrapes.push(total(e, 'signalops_predictions_total', { model: 'signals', status: '200' }));
      expect(total(e, 'signalops_serve_workers')).toBe(2);
      expect(total(e, 'signalops_loaded_versions')).toBe(1);
      expect(total(e, 'signalops_traffic_percent', { model: 'signals', version: 'v1' })).toBe(100); // not 200: facts are not summed
    }
    expect(scrapes).toEqual([n, n, n, n]);
    const servedBy = new Set<string>();
    for (let i = 0; i < 6; i++) servedBy.add(JSON.parse((await request(c, '/model/info', { key })).text).served_by);
    expect(servedBy.size).toBe(2);

    // Kill one worker: the primary logs it and starts another.
    const victim = Number([...servedBy][0].split(':').pop());
    process.kill(victim, 'SIGKILL');
    await waitFor(async () => /serve worker died; starting another/.test(cluster.stdout() + cluster.stderr()), 20_000, 'restart log line');
    await waitFor(async () => {
      const e = parseExposition((await request(c, '/metrics', { key: readKey })).text);
      return total(e, 'signalops_serve_workers') === 2 && total(e, 'signalops_serve_worker_restarts_total') === 1;
    }, 90_000, 'replacement worker');
    expect((await predict(c, 50)).status).toBe(200);
  });

  it('request ids: a sane one is echoed, a bad one replaced; error bodies carry it', async () => {
    const ok = await predict(a, 44, { 'x-request-id': 'trade-7f3a.1' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('trade-7f3a.1');
    const bad = await predict(a, 140, { 'x-request-id': 'no spaces "please"' });
    expect(bad.status).toBe(400);
    const id = bad.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(bad.text).error).toMatchObject({ field: 'indicators.rsi_value', request_id: id });
    const missing = await request(a, '/nope', { headers: { 'x-request-id': 'r-404' } });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error.request_id).toBe('r-404');
    expect((await request(a, '/metrics', { key: readKey, headers: { 'x-request-id': 'scrape-1' } })).headers['x-request-id']).toBe('scrape-1');
    const unauth = await request(c, '/predict', { body: { symbol: 'EURUSD', indicators: {} }, headers: { 'x-request-id': 'r-401' } });
    expect(unauth.status).toBe(401);
    expect(JSON.parse(unauth.text).error.request_id).toBe('r-401');
  });
});
