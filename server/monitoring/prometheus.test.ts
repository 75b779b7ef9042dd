import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { openDb, type Db } from '../db/client';
import { PrometheusMetrics, PROM_LATENCY_BUCKETS_SECONDS, hasMetricsToken, wantsJson } from './prometheus';
import { LATENCY_BUCKETS_MS } from './histogram';
import { parseExposition, select, total } from './prom-text';
import { errorOf, requestIdFrom, restHandler, withRequestId } from '../http/rest';
import { DomainError } from '../errors';

/** The registry in-process: names, units, values after known events, and scrapes that survive a database outage. */
describe('Prometheus registry', () => {
  let db: Db;
  let url: string;
  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    url = t.url;
    await db.$client.query(
      `insert into training_runs (model_name, dataset, model_type, status, params, stages, created_by)
       select 'm' || g, 'd', 'lstm', s, '{}'::jsonb, '[]'::jsonb, 'test' from (values (1, 'failed'), (2, 'failed'), (3, 'succeeded')) v(g, s)`,
    );
  });

  it('latency buckets are every other roll-up bound, in seconds', () => {
    expect(PROM_LATENCY_BUCKETS_SECONDS[0]).toBeCloseTo(0.0001, 10);
    expect(PROM_LATENCY_BUCKETS_SECONDS).toHaveLength(17);
    for (const [i, b] of PROM_LATENCY_BUCKETS_SECONDS.entries()) expect(b).toBeCloseTo(LATENCY_BUCKETS_MS[2 * i] / 1000, 12);
  });

  it('counts observer events under conventional names and base units', async () => {
    let dropped = 3;
    const p = new PrometheusMetrics({ db, serving: { loadedVersions: () => 2, predictionLogDropped: () => dropped }, dbCacheMs: 0 });
    const ev = (ms: number, cacheHit: boolean) => ({ model: 'eur', version: 3, latencyMs: ms, cacheHit, imputed: false, direction: 'BUY' as const, confidence: 70, symbol: 'EURUSD' });
    for (let i = 0; i < 10; i++) p.prediction(ev(2 + i, i % 4 === 0));
    p.failure({ status: 400, model: null, version: null, latencyMs: 0.3 });
    p.failure({ status: 503, model: 'eur', version: 3, latencyMs: 1 });
    p.batch({ model: 'eur', version: 3, size: 5 });
    p.batch({ model: 'eur', version: 3, size: 1 });
    const e = parseExposition(await p.metrics());
    expect(total(e, 'signalops_predictions_total', { model: 'eur', version: 'v3', status: '200' })).toBe(10);
    expect(total(e, 'signalops_predictions_total', { model: '', version: '', status: '400' })).toBe(1);
    expect(total(e, 'signalops_predictions_total', { status: '503' })).toBe(1);
    expect(total(e, 'signalops_prediction_cache_hits_total', { model: 'eur' })).toBe(3);
    expect(total(e, 'signalops_prediction_cache_misses_total', { model: 'eur' })).toBe(7);
    expect(e.types.signalops_prediction_duration_seconds).toBe('histogram');
    expect(total(e, 'signalops_prediction_duration_seconds_count', { model: 'eur', version: 'v3' })).toBe(11);
    expect(total(e, 'signalops_prediction_duration_seconds_sum', { model: 'eur', version: 'v3' })).toBeCloseTo((2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 1) / 1000, 9);
    // Cumulative buckets, +Inf = count; 10 ms holds the 2…9 ms requests and the 1 ms failure, not 10 and 11 ms.
    const buckets = select(e, 'signalops_prediction_duration_seconds_bucket', { model: 'eur' });
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 11 });
    expect(select(e, 'signalops_prediction_duration_seconds_bucket', { model: 'eur', le: '0.0064' })[0].value).toBe(6); // 1,2,3,4,5,6 ms
    expect(total(e, 'signalops_batch_size_count', { model: 'eur' })).toBe(2);
    expect(total(e, 'signalops_batch_size_sum', { model: 'eur' })).toBe(6);
    expect(total(e, 'signalops_loaded_versions')).toBe(2);
    expect(total(e, 'signalops_prediction_log_dropped_total')).toBe(3);
    dropped = 5;
    expect(total(parseExposition(await p.metrics()), 'signalops_prediction_log_dropped_total')).toBe(5);
    // Database facts, and the default process metrics with the prefix.
    expect(total(e, 'signalops_training_runs', { status: 'failed' })).toBe(2);
    expect(total(e, 'signalops_training_runs', { status: 'succeeded' })).toBe(1);
    expect(total(e, 'signalops_training_runs', { status: 'running' })).toBe(0);
    expect(select(e, 'signalops_training_runs').map((s) => s.labels.status).sort()).toEqual(['cancelled', 'failed', 'queued', 'running', 'succeeded']);
    expect(select(e, 'signalops_queue_depth').length).toBeGreaterThan(0);
    expect(total(e, 'signalops_workers_live')).toBe(0);
    expect(total(e, 'signalops_scrape_errors_total')).toBe(0);
    expect(select(e, 'signalops_process_cpu_user_seconds_total')).toHaveLength(1);
    expect(select(e, 'signalops_nodejs_heap_size_used_bytes')).toHaveLength(1);
    for (const s of e.samples) expect(s.name.startsWith('signalops_')).toBe(true);
  });

  it('a database outage never fails a scrape: the last values stay and the miss is counted', async () => {
    const h = openDb(url, { max: 1, applicationName: 'prom-test' });
    await h.db.$client.query(`insert into worker_heartbeats (id, host, pid, version, started_at, last_seen_at) values ('w1', 'h', 1, '0', now(), now())`);
    const p = new PrometheusMetrics({ db: h.db, dbCacheMs: 0, defaultMetrics: false });
    const before = parseExposition(await p.metrics());
    expect(total(before, 'signalops_workers_live')).toBe(1);
    expect(total(before, 'signalops_scrape_errors_total')).toBe(0);
    await h.close(); // every query now throws
    const after = parseExposition(await p.metrics());
    expect(total(after, 'signalops_workers_live')).toBe(1);
    expect(total(after, 'signalops_training_runs')).toBe(total(before, 'signalops_training_runs'));
    for (const source of ['traffic', 'training', 'queue', 'workers']) expect(total(after, 'signalops_scrape_errors_total', { source })).toBe(1);
    // An unreachable server (nothing listens on port 1), with a short timeout: still answers.
    const dead = openDb('postgres://postgres@127.0.0.1:1/none', { max: 1, applicationName: 'prom-test-dead' });
    const q = new PrometheusMetrics({ db: dead.db, dbCacheMs: 0, dbTimeoutMs: 500, defaultMetrics: false });
    const e = parseExposition(await q.metrics());
    expect(total(e, 'signalops_scrape_errors_total')).toBe(4);
    await dead.close().catch(() => undefined);
  });

  it('METRICS_TOKEN and Accept parsing', () => {
    expect(hasMetricsToken('Bearer 0123456789abcdef', '0123456789abcdef')).toBe(true);
    expect(hasMetricsToken('Bearer 0123456789abcdeX', '0123456789abcdef')).toBe(false);
    expect(hasMetricsToken('Bearer short', '0123456789abcdef')).toBe(false);
    expect(hasMetricsToken('Bearer 0123456789abcdef', undefined)).toBe(false);
    expect(wantsJson('application/json')).toBe(true);
    expect(wantsJson('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')).toBe(false);
    expect(wantsJson('*/*')).toBe(false);
    expect(wantsJson(null)).toBe(false);
  });
});

describe('request ids', () => {
  const h = (v?: string) => ({ get: (n: string) => (n === 'x-request-id' ? (v ?? null) : null) });
  it('keeps a sane id and replaces anything else', () => {
    expect(requestIdFrom(h('abc-123_X.y'))).toBe('abc-123_X.y');
    for (const bad of ['', 'with space', 'a"b', 'x'.repeat(129), 'línea', 'a\nb']) expect(requestIdFrom(h(bad))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(h())).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(h('x'.repeat(128)))).toBe('x'.repeat(128));
  });

  it('an unexpected error answers a generic message with the id, never its text', () => {
    const r = withRequestId(errorOf(new Error('relation "secret_table" does not exist; select * from secret_table where pw = $1'), 'rid-1'), 'rid-1');
    expect(r.status).toBe(500);
    expect(r.headers).toMatchObject({ 'x-request-id': 'rid-1' });
    const text = JSON.stringify(r.body);
    expect(text).not.toMatch(/secret|select|relation/);
    expect(r.body).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal error (request id rid-1); see the server log.', request_id: 'rid-1' } });
    const bad = withRequestId(errorOf(new DomainError('BAD_REQUEST', 'rsi_value: too big', { field: 'rsi_value' })), 'rid-2');
    expect(bad.body).toMatchObject({ error: { code: 'BAD_REQUEST', field: 'rsi_value', request_id: 'rid-2' } });
  });

  it('REST handlers echo the id and put it in error bodies', async () => {
    const t = await createTestDb();
    const boom = restHandler({ need: 'public', getDb: () => t.db, run: async () => t.db.$client.query('select * from no_such_table') });
    const res = await boom(new Request('http://x/api/v1/thing', { headers: { 'x-request-id': 'rest-42' } }));
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('rest-42');
    const body = await res.text();
    expect(body).not.toMatch(/no_such_table/);
    expect(JSON.parse(body).error.request_id).toBe('rest-42');
    const denied = restHandler({ need: { role: 'analyst', scope: 'read' }, getDb: () => t.db, run: async () => ({ ok: true }) });
    const r401 = await denied(new Request('http://x/api/v1/thing'));
    expect(r401.status).toBe(401);
    const id = r401.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await r401.json()).error.request_id).toBe(id);
    const ok = restHandler({ need: 'public', getDb: () => t.db, run: async ({ requestId, log }) => ({ requestId, logs: typeof log.info }) });
    const r200 = await ok(new Request('http://x/api/v1/thing', { headers: { 'x-request-id': 'ok-1' } }));
    expect(r200.headers.get('x-request-id')).toBe('ok-1');
    expect(await r200.json()).toEqual({ requestId: 'ok-1', logs: 'function' });
  });
});
