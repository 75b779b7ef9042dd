import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { toCsv } from '../market/synthetic';
import { trainingLabels } from '../market/samples';
import { addPlainVersion } from '../testing/versions';
import type { Candle } from '../market/types';
import type { Db } from '../db/client';
import { barIndex, collectOutcomes, realise, resolveOutcomes, runOutcomeJob, type VersionRule } from './resolve';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const closes = [100, 100, 100, 103, 97, 100, 101];
const bar = (i: number, close: number): Candle => ({ ts: T0 + i * H, open: close, high: close + 0.5, low: close - 0.5, close, volume: 1000 });
const candles = closes.map((c, i) => bar(i, c));
const rule: VersionRule = { rule: { kind: 'pct', horizon: 2, threshold: 0.02 }, barMs: H, costPerSide: 2 / 10_000 };
const cols = () => {
  const n = candles.length;
  const f = (k: keyof Candle) => Float64Array.from(candles.map((c) => c[k]));
  return { n, ts: f('ts'), open: f('open'), high: f('high'), low: f('low'), close: f('close'), volume: f('volume') };
};

describe('outcome labels (hand-computed fixture, the version’s own rule)', () => {
  // pct rule, h = 2, threshold 2 %: r_t = close[t+2] / close[t] − 1
  //   bar0: 100/100 − 1 = 0 → HOLD; bar1: 103/100 − 1 = +3 % → BUY; bar2: 97/100 − 1 = −3 % → SELL;
  //   bar3: 100/103 − 1 = −2.91 % → SELL; bar4: 101/97 − 1 = +4.12 % → BUY; bar5, bar6: no close 2 bars later → pending.
  const c = cols();
  const labels = trainingLabels(c, rule.rule);

  it('labels as training would, return after costs by direction, pending without the future bar', () => {
    expect(Array.from(labels.labels.slice(0, 5))).toEqual([1, 2, 0, 0, 2]);
    const buy = realise(c, labels, rule, T0 + 1 * H, 2);
    expect(buy).toMatchObject({ realised: 2, resolved: true });
    expect(buy.returnAfterCosts).toBeCloseTo(0.03 - 0.0004, 12);
    const wrongSell = realise(c, labels, rule, T0 + 1 * H, 0);
    expect(wrongSell.returnAfterCosts).toBeCloseTo(-0.03 - 0.0004, 12);
    expect(realise(c, labels, rule, T0 + 1 * H, 1).returnAfterCosts).toBeNull(); // HOLD takes no position
    expect(realise(c, labels, rule, T0 + 5 * H, 2)).toMatchObject({ resolved: false });
    expect(realise(c, labels, rule, T0 + 9 * H, 2)).toMatchObject({ resolved: false }); // the dataset does not reach it yet
    expect(realise(c, labels, rule, T0 - H, 2)).toMatchObject({ resolved: true, realised: null });
  });

  it('a bar time inside a gap maps to the latest bar before it; before the data, to none', () => {
    expect(barIndex(c.ts, T0 + 2 * H)).toBe(2);
    expect(barIndex(c.ts, T0 + 2 * H + 10 * 60_000)).toBe(2);
    expect(barIndex(c.ts, T0 - 1)).toBe(-1);
  });
});

describe('the outcome job on a real database', () => {
  let db: Db;
  let versionId: string;
  const log = async (rows: { at: number; barTime: number | null; direction: string }[]) => {
    for (const r of rows) {
      await db.execute(sql`insert into prediction_log (at, model_name, version_id, version, symbol, bar_time, input_hash, direction, confidence, probabilities, latency_ms, cache_hit, imputed, steps_real, served_by)
        values (to_timestamp(${r.at} / 1000.0), 'signals', ${versionId}, 1, 'eurusd', ${r.barTime === null ? null : new Date(r.barTime).toISOString()}::timestamptz, 'h', ${r.direction}, 70, '{0.1,0.2,0.7}', 1, false, '{}', 30, 'test')`);
    }
  };
  const outcomes = async () =>
    (await db.execute(sql`select extract(epoch from bar_ts) * 1000 as t, predicted, requests, realised, return_after_costs as ret, resolved_at is not null as done from prediction_outcomes order by bar_ts`)).rows as {
      t: number;
      predicted: number;
      requests: number;
      realised: number | null;
      ret: number | null;
      done: boolean;
    }[];

  beforeAll(async () => {
    ({ db } = await createTestDb());
    await importCandles(db, { source: Buffer.from(toCsv(candles, 'mt-comma')), dataset: 'eur-h1', symbol: 'EURUSD', timeframe: '1h', actor: 'test' });
    const v = await addPlainVersion(db, 'signals', 1, 'candidate', {
      lineage: { dataset: { params: { label: rule.rule, warmupBars: 0 }, candles: { barMs: H } }, params: { costBps: 2 } },
    });
    versionId = v.id;
  });

  it("maps requests to bars (timestamp = the bar's close; none = the bar it arrived in), counts repeats once, resolves when the future bar exists", async () => {
    await log([
      { at: T0 + 2 * H + 1000, barTime: T0 + 2 * H, direction: 'BUY' }, // bar1 (closes at T0+2h)
      { at: T0 + 2 * H + 2000, barTime: T0 + 2 * H, direction: 'SELL' }, // a repeat of bar1: counts once, the first answer
      { at: T0 + 2 * H + 10 * 60_000, barTime: null, direction: 'SELL' }, // arrived in bar2
      { at: T0 + 6 * H + 5, barTime: T0 + 6 * H, direction: 'BUY' }, // bar5: needs bar7
    ]);
    const r = await runOutcomeJob(db);
    expect(r.collected).toMatchObject({ scanned: 4, outcomes: 3 });
    expect(r.resolved).toMatchObject({ resolved: 2, pending: 1 });
    const o = await outcomes();
    expect(o.map((x) => [Number(x.t) - T0, x.predicted, x.requests, x.realised, x.done])).toEqual([
      [1 * H, 2, 2, 2, true],
      [2 * H, 0, 1, 0, true],
      [5 * H, 2, 1, null, false],
    ]);
    expect(o[0].ret).toBeCloseTo(0.0296, 10);
    expect(o[1].ret).toBeCloseTo(0.03 - 0.0004, 10); // SELL right on a −3 % move

    // Running again changes nothing (idempotent).
    expect(await runOutcomeJob(db)).toMatchObject({ collected: { scanned: 0 }, resolved: { resolved: 0, pending: 1 } });

    // The trading app appends the next bars: bar5 resolves (101 → 99: −1.98 % → HOLD under a 2 % threshold).
    await importCandles(db, { source: Buffer.from(toCsv([bar(7, 99)], 'mt-comma')), dataset: 'eur-h1', symbol: 'EURUSD', timeframe: '1h', actor: 'test' });
    expect((await resolveOutcomes(db)).resolved).toBe(1);
    expect((await outcomes())[2]).toMatchObject({ realised: 1, ret: expect.closeTo(99 / 100 - 1 - 0.0004, 10), done: true });
  });

  it('workers running the job at once never count a prediction twice', async () => {
    await log(Array.from({ length: 30 }, (_, i) => ({ at: T0 + 3 * H + i, barTime: null, direction: 'HOLD' })));
    const both = await Promise.all([collectOutcomes(db, { batch: 7 }), collectOutcomes(db, { batch: 7 })]);
    const again = await collectOutcomes(db, { batch: 7 });
    expect(both.reduce((a, r) => a + r.scanned, 0) + again.scanned).toBe(30);
    const bar3 = (await outcomes()).find((x) => Number(x.t) === T0 + 3 * H)!;
    expect(bar3.requests).toBe(30);
  });
});
