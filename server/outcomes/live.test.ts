import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { createRng } from '../ml/random';
import { addPlainVersion } from '../testing/versions';
import type { Db } from '../db/client';
import { livePerformance, macroF1CountsInterval, msprt, outcomeAb, outcomesNeeded, wilsonInterval } from './live';

/** Daily looks at two Bernoulli arms: does any look reject at α? (mSPRT vs the naive z-test repeated daily.) */
function simulate(pA: number, pB: number, seed: number, days = 30, perDay = 40) {
  const rng = createRng(seed, 3);
  let a = 0;
  let b = 0;
  let n = 0;
  let msprtReject = false;
  let naiveReject = false;
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay; i++) {
      a += rng.next() < pA ? 1 : 0;
      b += rng.next() < pB ? 1 : 0;
    }
    n += perDay;
    const ma = a / n;
    const mb = b / n;
    const v = (ma * (1 - ma)) / n + (mb * (1 - mb)) / n;
    if (msprt(mb - ma, v, 0.05 ** 2) <= 0.05) msprtReject = true;
    if (v > 0 && Math.abs(mb - ma) / Math.sqrt(v) > 1.96) naiveReject = true;
  }
  return { msprtReject, naiveReject };
}

describe('A/B on outcomes: always-valid under daily looks', () => {
  it('no real difference: mSPRT rejects in ≤ 5 % of 400 experiments; a daily z-test in far more', () => {
    let m = 0;
    let z = 0;
    for (let s = 0; s < 400; s++) {
      const r = simulate(0.45, 0.45, s);
      m += r.msprtReject ? 1 : 0;
      z += r.naiveReject ? 1 : 0;
    }
    expect(m / 400).toBeLessThanOrEqual(0.05);
    expect(z / 400).toBeGreaterThan(0.12); // peeking inflates a fixed-horizon test (measured ≈ 0.2–0.3)
  });

  it('a real 10-point difference is found in most experiments; the "more outcomes" estimate is consistent', () => {
    let found = 0;
    for (let s = 0; s < 100; s++) if (simulate(0.4, 0.5, 1000 + s).msprtReject) found++;
    expect(found).toBeGreaterThan(80);
    const need = outcomesNeeded(0.05, 0.25, 200, 0.25, 200, 0.05 ** 2, 0.05)!;
    expect(need).toBeGreaterThan(0);
    const k = 1 + need / 400;
    expect(msprt(0.05, 0.25 / (200 * k) + 0.25 / (200 * k), 0.05 ** 2)).toBeLessThanOrEqual(0.0501);
  });

  it('intervals: Wilson, and a macro-F1 interval that contains the estimate', () => {
    expect(wilsonInterval(50, 100)![0]).toBeCloseTo(0.4038, 3);
    const m = [[30, 10, 5], [8, 40, 12], [4, 9, 35]];
    const ci = macroF1CountsInterval(m)!;
    expect(ci[0]).toBeLessThan(0.68);
    expect(ci[1]).toBeGreaterThan(0.68);
  });
});

describe('live performance from stored outcomes', () => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await createTestDb());
    for (const n of [1, 2]) {
      const v = await addPlainVersion(db, 'signals', n, 'candidate', { metrics: { accuracy: 0.5, macroF1: 0.45, backtest: { winRate: 0.55 } } });
      // v1: 60 of 100 right; v2: 75 of 100 right — over 4 days.
      const right = n === 1 ? 60 : 75;
      for (let i = 0; i < 100; i++) {
        const ok = i < right;
        await db.execute(sql`insert into prediction_outcomes (version_id, symbol, bar_ts, model_name, version, predicted, confidence, shadow, requests, first_logged_at, resolved_at, realised, forward_return, return_after_costs)
          values (${v.id}, 'EURUSD', to_timestamp(${Date.UTC(2026, 10, 1) + i * 3_600_000} / 1000.0), 'signals', ${n}, 2, 70, false, 1, now(), now(), ${ok ? 2 : 0}, ${ok ? 0.01 : -0.01}, ${ok ? 0.0096 : -0.0104})`);
      }
    }
  });

  it('per version: accuracy with its interval, win rate and return after costs, next to the test-part figures', async () => {
    const p = await livePerformance(db, { model: 'signals' });
    const [a, b] = p.versions;
    expect(a).toMatchObject({ version: 1, n: 100, accuracy: 0.6, trades: 100, winRate: 0.6, promised: { accuracy: 0.5, macroF1: 0.45, winRate: 0.55 } });
    expect(a.accuracyCi![0]).toBeLessThan(0.6);
    expect(a.meanReturn.value).toBeCloseTo(0.6 * 0.0096 - 0.4 * 0.0104, 10);
    expect(b.accuracy).toBe(0.75);
    expect(a.daily.at(-1)!.cumN).toBe(100);
    const ab = await outcomeAb(db, { model: 'signals', a: 1, b: 2 });
    expect(ab.difference).toBeCloseTo(0.15, 10);
    expect(ab.verdict).toMatch(/^(v2 is better|not significant yet: about [\d,]+ more outcomes)/);
    await expect(livePerformance(db, { model: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
