import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { logger } from '../log';
import type { Db } from '../db/client';
import { MetricsRecorder, ProcessSampler } from './rollups';
import { readSeries, figures, addCounts, emptyCounts, metricsSummary, topSymbols } from './query';
import { compactRollups } from './compaction';
import { LATENCY_BUCKETS_MS, bucketOf, quantile } from './histogram';
import { rng } from '../market/synthetic';

const log = logger().child({ test: 'rollups' });

describe('metric roll-ups', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
  });

  it('two processes aggregate per interval; the sums and merged percentiles match the exact figures', async () => {
    const t0 = Math.floor(Date.now() / 10_000) * 10_000 - 60_000;
    let now = t0;
    const a = new MetricsRecorder(db, log, { processId: 'serve@a:1', flushEveryMs: 0, now: () => now });
    const b = new MetricsRecorder(db, log, { processId: 'serve@b:2', flushEveryMs: 0, now: () => now });
    const rand = rng(11);
    const latencies: number[] = [];
    for (let i = 0; i < 3000; i++) {
      now = t0 + Math.floor(i / 100) * 1000; // 30 s of traffic
      const ms = Math.exp(rand() * 6 - 2); // 0.14 … 55 ms, log-uniform
      latencies.push(ms);
      (i % 3 ? a : b).prediction({ model: 'm', version: 1 + (i % 2), latencyMs: ms, cacheHit: i % 4 === 0, imputed: i % 5 === 0, direction: (['SELL', 'HOLD', 'BUY'] as const)[i % 3], confidence: (i % 100) + 0.5, symbol: i % 7 ? 'EURUSD' : 'btcusdt' });
      if (i % 50 === 0) a.failure({ status: 400, model: null, version: null, latencyMs: 0.2 });
      if (i % 100 === 0) b.batch({ model: 'm', version: 1, size: 64 });
    }
    now = t0 + 60_000;
    await a.flush();
    await b.flush();
    expect(a.pending + b.pending).toBe(0);
    const rows = await readSeries(db, { from: t0, to: t0 + 60_000, stepSeconds: 60, sourceInterval: 10 });
    const total = rows.reduce((acc, r) => addCounts(acc, r), emptyCounts());
    const f = figures(total);
    expect(f.predictions).toBe(3000);
    expect(f.errors4xx).toBe(60);
    expect(f.requests).toBe(3060);
    expect(total.cacheHits).toBe(750);
    expect(total.imputed).toBe(600);
    expect(total.classes).toEqual([1000, 1000, 1000]);
    expect(total.lowConfidence).toBe(1500);
    expect([...new Set(rows.filter((r) => r.model === 'm').map((r) => r.version))].sort()).toEqual([1, 2]);
    // Merged percentiles of the answered requests are within one bucket of the exact ones.
    const answered = rows.filter((r) => r.model === 'm').reduce((acc, r) => addCounts(acc, r), emptyCounts());
    const sorted = [...latencies].sort((x, y) => x - y);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      const merged = quantile(answered.latencyHist, LATENCY_BUCKETS_MS, q)!;
      expect(Math.abs(bucketOf(merged, LATENCY_BUCKETS_MS) - bucketOf(exact, LATENCY_BUCKETS_MS)), `p${q * 100}: ${merged} vs ${exact}`).toBeLessThanOrEqual(1);
    }
    expect(await topSymbols(db, { from: t0, to: t0 + 60_000, sourceInterval: 10 })).toEqual([
      { symbol: 'EURUSD', requests: 2571 },
      { symbol: 'BTCUSDT', requests: 429 },
    ]);
  });

  it('a database outage keeps completed intervals in memory (bounded) and writes them on recovery', async () => {
    let down = true;
    const flaky = new Proxy(db, {
      get(target, prop, recv) {
        if (prop === '$client') return { query: (...args: unknown[]) => (down ? Promise.reject(new Error('connection refused')) : (target.$client.query as (...a: unknown[]) => unknown)(...args)) };
        return Reflect.get(target, prop, recv);
      },
    }) as Db;
    const t0 = Math.floor(Date.now() / 10_000) * 10_000 - 3_600_000;
    let now = t0;
    const r = new MetricsRecorder(flaky, log, { processId: 'web@c:3', flushEveryMs: 0, now: () => now, maxPendingIntervals: 3 });
    for (let k = 0; k < 5; k++) {
      now = t0 + k * 10_000;
      r.prediction({ model: 'outage', version: 1, latencyMs: 1, cacheHit: false, imputed: false, direction: 'BUY', confidence: 70, symbol: 'X' });
      now += 10_000;
      await r.flush();
    }
    expect(r.stats.failedFlushes).toBe(5);
    expect(r.stats.droppedCells).toBe(2); // 5 intervals, 3 kept
    down = false;
    await r.flush();
    const rows = await readSeries(db, { from: t0, to: t0 + 100_000, stepSeconds: 100, sourceInterval: 10, model: 'outage' });
    expect(rows.reduce((s, x) => s + x.requests, 0)).toBe(3);
  });

  it('compaction merges processes into minute and hour rows; retention deletes exactly what is past the horizon', async () => {
    const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 60_000);
    const rec = (pid: string, at: number) => {
      const r = new MetricsRecorder(db, log, { processId: pid, flushEveryMs: 0, now: () => at });
      r.prediction({ model: 'cmp', version: 1, latencyMs: 2, cacheHit: true, imputed: false, direction: 'HOLD', confidence: 40, symbol: 'S' });
      return r.flush(true);
    };
    const recent = now.getTime() - 5 * 60_000;
    await rec('serve@x:1', recent);
    await rec('serve@y:2', recent + 10_000);
    const old = now.getTime() - 4 * 86_400_000; // older than 3 days of raw retention
    await rec('serve@x:1', old);
    const out = await compactRollups(db, { now, retention: { rawDays: 3, minuteDays: 30, hourDays: 365 } });
    expect(out.deleted.raw).toBe(1);
    const minute = await readSeries(db, { from: recent - 60_000, to: now.getTime(), stepSeconds: 3600, sourceInterval: 60, model: 'cmp' });
    expect(minute.reduce((s, x) => s + x.requests, 0)).toBe(2);
    expect(minute.reduce((s, x) => s + x.cacheHits, 0)).toBe(2);
    // Idempotent: a second pass does not double-count.
    await compactRollups(db, { now, retention: { rawDays: 3, minuteDays: 30, hourDays: 365 } });
    const again = await readSeries(db, { from: recent - 60_000, to: now.getTime(), stepSeconds: 3600, sourceInterval: 60, model: 'cmp' });
    expect(again.reduce((s, x) => s + x.requests, 0)).toBe(2);
    const raw = await readSeries(db, { from: old - 60_000, to: old + 60_000, stepSeconds: 60, sourceInterval: 10, model: 'cmp' });
    expect(raw).toHaveLength(0);
  });

  it('process samples and the JSON summary in today\u2019s dashboard shape', async () => {
    const s = new ProcessSampler(db, log, { processId: 'serve@z:9', kind: 'serve', everyMs: 0, connections: () => 3 });
    const sample = await s.tick();
    await s.stop();
    expect(sample.rssBytes).toBeGreaterThan(0);
    expect(Number.isFinite(sample.cpuPercent)).toBe(true);
    const now = Date.now() - 2 * 86_400_000; // a quiet hour of its own
    const r = new MetricsRecorder(db, log, { processId: 'serve@z:9', flushEveryMs: 0, now: () => now - 20_000 });
    for (let i = 0; i < 10; i++) r.prediction({ model: 'js', version: 1, latencyMs: 4, cacheHit: i < 3, imputed: false, direction: 'BUY', confidence: i < 4 ? 45 : 80, symbol: 'EURUSD' });
    r.failure({ status: 503, model: null, version: null, latencyMs: 1 });
    await r.flush(true);
    const j = await metricsSummary(db, { seconds: 60, now });
    expect(j).toMatchObject({ total_predictions: 10, total_requests: 11, cache_hit_rate: 0.3, low_confidence_rate: 0.4, error_rate: 0.0909 });
    expect(j.top_symbols[0]).toEqual({ symbol: 'EURUSD', requests: 10 });
    expect(j.system_metrics.find((p) => p.process === 'serve@z:9')).toMatchObject({ kind: 'serve' });
  });
});
