import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { TRPCError } from '@trpc/server';
import { createTestDb } from '../db/test-db';
import { importCandles } from './import';
import { randomWalkCandles, toCsv } from './synthetic';
import { datasetChart, MAX_CHART_POINTS } from './chart';
import { userCaller } from '../trpc/test-helpers';
import { closeProducerBosses } from '../jobs/queue';
import type { Candle } from './types';
import type { Db } from '../db/client';

/** Size caps (issue 12, finding 3): a chart of a long dataset is bucketed to a bounded number of points, highs and lows kept. */
describe('data.chart size cap', () => {
  let db: Db;
  let candles: Candle[];
  const N = 30_000;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    candles = randomWalkCandles(N, { seed: 11 });
    // one spike in the middle: a stride sample would skip it, a min/max bucket cannot
    candles[17_777] = { ...candles[17_777], high: candles[17_777].high * 3 };
    await importCandles(db, { source: Buffer.from(toCsv(candles, 'mt-comma')), dataset: 'long', symbol: 'LONG', actor: 'test' });
  }, 120_000);
  afterAll(() => closeProducerBosses());

  it('answers at most maxPoints (default 1,500; at most 2,000) points over the whole dataset, OHLC-correct', async () => {
    const analyst = await userCaller(db, 'analyst');
    const c = await analyst.data.chart({ dataset: 'long', bars: 1_000_000 });
    expect(c.windowBars).toBe(N);
    expect(c.points.length).toBeLessThanOrEqual(1500);
    expect(c.barsPerPoint).toBe(Math.ceil(N / 1500));
    const maxHigh = Math.max(...candles.map((b) => b.high));
    const minLow = Math.min(...candles.map((b) => b.low));
    expect(Math.max(...c.points.map((p) => p.high))).toBe(maxHigh); // the spike survives
    expect(Math.min(...c.points.map((p) => p.low))).toBe(minLow);
    const last = c.points.at(-1)!;
    expect(last.t).toBe(candles[N - 1].ts);
    expect(last.close).toBe(candles[N - 1].close);
    const k = c.barsPerPoint;
    const lastBucket = candles.slice(N - k);
    expect(last.open).toBe(lastBucket[0].open);
    expect(last.volume).toBeCloseTo(lastBucket.reduce((s, b) => s + b.volume, 0), 6);
    const total = c.points.reduce((s, p) => s + p.volume, 0);
    expect(total).toBeCloseTo(candles.reduce((s, b) => s + b.volume, 0), 3);
    // timestamps strictly increase
    for (let i = 1; i < c.points.length; i++) expect(c.points[i].t).toBeGreaterThan(c.points[i - 1].t);
    expect(JSON.stringify(c).length).toBeLessThan(1_500_000);

    const most = await datasetChart(db, { dataset: 'long', bars: N, maxPoints: MAX_CHART_POINTS });
    expect(most.points.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    const tooMany = await analyst.data.chart({ dataset: 'long', bars: N, maxPoints: 10_000 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(TRPCError);
    expect((tooMany as TRPCError).code).toBe('BAD_REQUEST');
    expect((tooMany as TRPCError).message).toMatch(/must be at most 2000/);
  });

  it('short windows are not thinned (one point per bar)', async () => {
    const c = await datasetChart(db, { dataset: 'long', bars: 300 });
    expect(c.barsPerPoint).toBe(1);
    expect(c.points.map((p) => p.t)).toEqual(candles.slice(N - 300).map((b) => b.ts));
    expect(c.points.map((p) => p.high)).toEqual(candles.slice(N - 300).map((b) => b.high));
  });

  it('data.features answers at most 5,000 rows and says it was truncated', async () => {
    const analyst = await userCaller(db, 'analyst');
    const f = await analyst.data.features({ dataset: 'long' });
    expect(f.rows.length).toBe(5000);
    expect(f.truncated).toBe(true);
    expect(f.totalRows).toBeGreaterThan(29_000);
    await expect(analyst.data.features({ dataset: 'long', limit: 5001 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
