import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { logger } from '../log';
import type { Db } from '../db/client';
import { MetricsRecorder, ProcessSampler } from './rollups';
import { metricsSeries, processTable, pipelinePanel, queueDepth } from './dashboard';
import { userCaller, apiKeyCaller } from '../trpc/test-helpers';
import { QUEUES, closeProducerBosses, producerBossFor } from '../jobs/queue';

const log = logger().child({ test: 'dashboard' });

/** A model with versions 1…n (rows only: the dashboard reads names, numbers and the split) and a split. */
async function modelWithSplit(db: Db, name: string, split: [version: number, percent: number][]) {
  const c = db.$client;
  const m = await c.query(`insert into models (name, created_by) values ($1, 'test') returning id`, [name]);
  for (const [version, percent] of split) {
    const v = await c.query(
      `insert into model_versions (model_id, version, status, model_type, metrics, gate, indicator_weights, lineage, created_by)
       values ($1, $2, 'candidate', 'logreg', '{}', '{}', '{}', '{}', 'test') returning id`,
      [m.rows[0].id, version],
    );
    if (percent > 0) await c.query(`insert into traffic_splits (model_name, version_id, percent, updated_by) values ($1, $2, $3, 'test')`, [name, v.rows[0].id, percent]);
  }
}

describe('Metrics page queries (monitoring router)', () => {
  let db: Db;
  // "now" is 5 s into a 30-s step; the traffic (120 s) starts on a step boundary 5 min earlier.
  const now = Math.floor(Date.now() / 30_000) * 30_000 + 5_000;
  const t0 = now - 5_000 - 5 * 60_000;

  beforeAll(async () => {
    db = (await createTestDb()).db;
    await modelWithSplit(db, 'ab', [
      [1, 80],
      [2, 20],
      [3, 0], // a version without traffic configured and none received
    ]);
    await modelWithSplit(db, 'solo', [[1, 100]]);
    let at = t0;
    const a = new MetricsRecorder(db, log, { processId: 'web@h:1', flushEveryMs: 0, now: () => at });
    const b = new MetricsRecorder(db, log, { processId: 'serve@h:2', flushEveryMs: 0, now: () => at });
    // 120 s of traffic: 'ab' v1 gets 3 of 4 answered requests, v2 1 of 4; 'solo' 10 per 10 s; some failures.
    for (let i = 0; i < 1200; i++) {
      at = t0 + Math.floor(i / 10) * 1000;
      const rec = i % 2 ? a : b;
      const version = i % 4 === 3 ? 2 : 1;
      rec.prediction({ model: 'ab', version, latencyMs: version === 1 ? 2 : 40, cacheHit: i % 5 === 0, imputed: i % 10 === 0, direction: (['SELL', 'HOLD', 'BUY'] as const)[i % 3], confidence: version === 1 ? 75 : 35, symbol: i % 3 ? 'EURUSD' : 'BTCUSDT' });
      if (i % 10 === 0) rec.batch({ model: 'ab', version, size: 8 });
      if (i % 10 === 0) rec.prediction({ model: 'solo', version: 1, latencyMs: 1, cacheHit: false, imputed: false, direction: 'HOLD', confidence: 55, symbol: 'GBPUSD' });
      if (i % 100 === 0) rec.failure({ status: 500, model: 'ab', version: 1, latencyMs: 3 });
      if (i % 200 === 0) rec.failure({ status: 404, model: null, version: null, latencyMs: 0.5 });
    }
    at = now + 60_000;
    await a.flush(true);
    await b.flush(true);
  });

  it('series: every step of the range, with throughput per version, latency, rates, batch size, classes and confidence', async () => {
    const s = await metricsSeries(db, { range: '15m' }, { now });
    expect(s.stepSeconds).toBe(30);
    expect(s.points).toHaveLength(30);
    expect(s.to - s.from).toBe(900_000);
    expect(s.points[0].t).toBe(s.from);
    expect(s.models).toEqual(['ab', 'solo']);
    expect(s.versions.map((v) => v.key)).toEqual(['(no model)', 'ab@v1', 'ab@v2', 'solo@v1']);
    // Totals: 1200 + 120 answered, 12 server errors, 6 refused with no model.
    expect(s.totals).toMatchObject({ predictions: 1320, requests: 1338, errors5xx: 12, errors4xx: 6 });
    expect(s.totals.errorRate).toBeCloseTo(18 / 1338, 6);
    expect(s.totals.cacheHitRate).toBeCloseTo(240 / 1320, 6);
    expect(s.totals.imputedShare).toBeCloseTo(120 / 1320, 6);
    expect(s.totals.meanBatchSize).toBeGreaterThan(4);
    expect(s.totals.meanBatchSize).toBeLessThanOrEqual(8);
    expect(s.totals.classes).toEqual({ SELL: 400, HOLD: 400 + 120, BUY: 400 });
    // Steps without traffic count 0 (no gaps); steps with traffic add up to the totals.
    const busy = s.points.filter((p) => p.requests > 0);
    expect(busy.length).toBe(4); // 120 s in 30-s steps
    expect(s.points.reduce((n, p) => n + p.requests, 0)).toBe(1338);
    const quiet = s.points.find((p) => p.requests === 0)!;
    expect(quiet).toMatchObject({ rps: 0, errorRate: null, p95Ms: null });
    // Throughput per version in requests per second: 'ab' v1 = 900 answered + 12 errors over 120 s.
    const v1 = busy.reduce((n, p) => n + (p.byVersion['ab@v1']?.requests ?? 0), 0);
    expect(v1).toBe(912);
    expect(busy[0].byVersion['ab@v1'].rps).toBeCloseTo(busy[0].byVersion['ab@v1'].requests / 30, 6);
    // Latency per version: v1 answers in 2 ms, v2 in 40 ms (within one log-spaced bucket); merged p50 is v1's.
    expect(busy[1].byVersion['ab@v1'].p50Ms!).toBeGreaterThan(1.4);
    expect(busy[1].byVersion['ab@v1'].p50Ms!).toBeLessThan(2.9);
    expect(busy[1].byVersion['ab@v2'].p95Ms!).toBeGreaterThan(28);
    expect(busy[1].byVersion['ab@v2'].p95Ms!).toBeLessThan(57);
    expect(busy[1].p50Ms!).toBeLessThan(3);
    expect(busy[1].p99Ms!).toBeGreaterThan(28);
    // Confidence deciles over the range: v1's 75 → 70–80, v2's 35 → 30–40, solo's 55 → 50–60.
    expect(s.confidence.map((c) => c.count)).toEqual([0, 0, 0, 300, 0, 120, 0, 900, 0, 0]);
    expect(s.confidence[7]).toEqual({ from: 70, to: 80, count: 900 });
    expect(s.topSymbols.map((x) => x.symbol)).toEqual(['EURUSD', 'BTCUSDT', 'GBPUSD']);
    expect(s.rows).toBeGreaterThan(0);
    expect(s.lastRollupAt).toBeGreaterThanOrEqual(t0);
  });

  it('actual share per version next to the configured split, per model', async () => {
    const s = await metricsSeries(db, { range: '1h' }, { now });
    const ab = s.share.find((m) => m.model === 'ab')!;
    expect(ab.answered).toBe(1200);
    expect(ab.versions).toEqual([
      { version: 1, key: 'ab@v1', answered: 900, actual: 0.75, configured: 0.8 },
      { version: 2, key: 'ab@v2', answered: 300, actual: 0.25, configured: 0.2 },
    ]);
    expect(s.share.find((m) => m.model === 'solo')!.versions).toEqual([{ version: 1, key: 'solo@v1', answered: 120, actual: 1, configured: 1 }]);
    // Filtered to one model: only its rows, its share and its symbols.
    const only = await metricsSeries(db, { range: '1h', model: 'solo' }, { now });
    expect(only.model).toBe('solo');
    expect(only.share.map((m) => m.model)).toEqual(['solo']);
    expect(only.totals.requests).toBe(120);
    expect(only.topSymbols).toEqual([{ symbol: 'GBPUSD', requests: 120 }]);
    expect(only.models).toEqual(['ab', 'solo']); // the filter still offers every model
  });

  it('a range with no roll-ups says so: zero rows, the steps still there, the configured split beside no traffic', async () => {
    const s = await metricsSeries(db, { range: '15m' }, { now: now + 2 * 3_600_000 });
    expect(s.rows).toBe(0);
    expect(s.points).toHaveLength(30);
    expect(s.points.every((p) => p.requests === 0)).toBe(true);
    expect(s.totals.requests).toBe(0);
    expect(s.lastRollupAt).not.toBeNull();
    expect(s.share.find((m) => m.model === 'ab')!.versions).toEqual([
      { version: 1, key: 'ab@v1', answered: 0, actual: null, configured: 0.8 },
      { version: 2, key: 'ab@v2', answered: 0, actual: null, configured: 0.2 },
    ]);
  });

  it('the process table lists the latest sample of each process and marks stale ones', async () => {
    const s = new ProcessSampler(db, log, { processId: 'serve@live:7', kind: 'serve', everyMs: 0, connections: () => 2 });
    await s.tick();
    await s.tick();
    await s.stop();
    await db.$client.query(
      `insert into process_samples (at, process_id, kind, host, pid, cpu_percent, rss_bytes, heap_used_bytes, heap_total_bytes, system_memory_percent, event_loop_p99_ms, open_connections)
       values (now() - interval '10 minutes', 'web@gone:8', 'web', 'gone', 8, 12.5, 100000000, 5000000, 9000000, 40, 3.5, null)`,
    );
    const t = await processTable(db, { staleAfterSeconds: 45 });
    const ids = t.processes.map((p) => p.processId);
    expect(ids).toEqual(['serve@live:7', 'web@gone:8']); // live first
    const live = t.processes[0];
    expect(live).toMatchObject({ kind: 'serve', stale: false, openConnections: 2, pid: process.pid });
    expect(live.rssBytes).toBeGreaterThan(0);
    expect(live.ageSeconds).toBeLessThan(45);
    expect(t.processes[1]).toMatchObject({ kind: 'web', host: 'gone', stale: true, cpuPercent: 12.5, eventLoopP99Ms: 3.5, openConnections: null });
    expect(t.processes[1].ageSeconds).toBeGreaterThan(590);
    // Older than the window: not listed.
    expect((await processTable(db, { windowSeconds: 300 })).processes.map((p) => p.processId)).toEqual(['serve@live:7']);
  });

  it('the pipeline panel: runs by status (last 24 h and all), active runs, queue depth, workers', async () => {
    const c = db.$client;
    const run = (model: string, status: string, age: string) =>
      c.query(
        `insert into training_runs (model_name, model_type, dataset, params, status, stages, history, created_by, created_at)
         values ($1, 'logreg', 'd', '{"epochs": 5}', $2, '[]', '[{"epoch":1},{"epoch":2}]', 'test', now() - $3::interval)`,
        [model, status, age],
      );
    await run('p1', 'succeeded', '1 hour');
    await run('p2', 'failed', '2 hours');
    await run('p3', 'failed', '3 days');
    await run('p4', 'running', '1 minute');
    await c.query(`insert into worker_heartbeats (id, host, pid, version, started_at, last_seen_at) values ('w-live', 'h', 1, 't', now(), now()), ('w-old', 'h', 2, 't', now(), now() - interval '5 minutes')`);
    const p = await pipelinePanel(db);
    expect(p.runs).toEqual([
      { status: 'queued', last24h: 0, all: 0 },
      { status: 'running', last24h: 1, all: 1 },
      { status: 'succeeded', last24h: 1, all: 1 },
      { status: 'failed', last24h: 1, all: 2 },
      { status: 'cancelled', last24h: 0, all: 0 },
    ]);
    expect(p.active).toHaveLength(1);
    expect(p.active[0]).toMatchObject({ modelName: 'p4', status: 'running', epoch: 2, epochs: 5 });
    expect(p.workers).toMatchObject({ alive: 1, stale: 1 });
    expect(p.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['system.maintenance', 'system.ping', 'training.run']));
    expect(p.queues.find((q) => q.name === 'system.ping')).toEqual({ name: 'system.ping', waiting: 0, active: 0 });
    // Two jobs nobody takes (no worker here): the queue depth counts them.
    const boss = await producerBossFor(db);
    await boss.send(QUEUES.ping, { n: 1 });
    await boss.send(QUEUES.ping, { n: 2 });
    expect((await queueDepth(db)).find((q) => q.name === 'system.ping')).toEqual({ name: 'system.ping', waiting: 2, active: 0 });
    await closeProducerBosses();
  });

  it('the router: viewers read it, output schemas hold, a bad range is a 400 naming the field', async () => {
    const analyst = await userCaller(db, 'analyst');
    const series = await analyst.monitoring.series({ range: '1h' });
    expect(series.share.find((m) => m.model === 'ab')!.versions[0]).toMatchObject({ actual: 0.75, configured: 0.8 });
    expect(series.points).toHaveLength(60);
    const procs = await analyst.monitoring.processes();
    expect(procs.processes[0].lastSeen).toBeInstanceOf(Date);
    expect((await analyst.monitoring.pipeline()).runs).toHaveLength(5);
    const { caller: reader } = await apiKeyCaller(db, ['read']);
    expect((await reader.monitoring.series({ range: '7d' })).stepSeconds).toBe(3600);
    const { caller: predictOnly } = await apiKeyCaller(db, ['predict']);
    await expect(predictOnly.monitoring.series({ range: '1h' })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    await expect(analyst.monitoring.series({ range: '2h' } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'range: choose one of 15m, 1h, 24h, 7d' });
    for (const bad of [{ range: '2h' }, { range: 15 }, {}, { range: '1h', model: '' }, { range: '1h', extra: 1 }]) {
      const err = await analyst.monitoring.series(bad as never).then(
        () => null,
        (e: unknown) => e as { code: string; message: string; cause?: unknown },
      );
      expect(err, JSON.stringify(bad)).not.toBeNull();
      expect(err!.code).toBe('BAD_REQUEST');
      const field = 'model' in bad ? 'model' : 'extra' in bad ? 'extra' : 'range';
      expect(err!.message).toMatch(field === 'extra' ? 'unknown field extra' : new RegExp(`^${field}: `));
    }
  });
});
