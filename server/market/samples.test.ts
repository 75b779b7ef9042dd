import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { computeFeatures, FEATURE_COUNT, WARMUP_BARS } from './indicators';
import { BUY, classBalance, computeLabels, HOLD, LabelRuleSchema, NO_LABEL, SELL } from './labels';
import { buildSamples } from './samples';
import { applyScaler } from './scaler';
import { chronologicalSplit } from './splits';
import { randomWalkCandles } from './synthetic';
import { transformFeatures } from './transform';

describe('labels', () => {
  it('compares the h-bar forward return with a fixed threshold', () => {
    const close = [100, 101, 100.05, 99, 100, 100];
    const { labels, forwardReturn } = computeLabels(close, { kind: 'pct', horizon: 2, threshold: 0.005 });
    // t=0: 100→100.05 (+0.05%) HOLD; t=1: 101→99 (−1.98%) SELL; t=2: 100.05→100 HOLD; t=3: 99→100 (+1.01%) BUY
    expect(Array.from(labels)).toEqual([HOLD, SELL, HOLD, BUY, NO_LABEL, NO_LABEL]);
    expect(forwardReturn[3]).toBeCloseTo(100 / 99 - 1);
    expect(forwardReturn[4]).toBeNaN();
  });

  it('scales the threshold by ATR/close with the atr rule', () => {
    const close = [100, 100, 102, 102];
    const atr = [1, 4, NaN, NaN];
    const { labels } = computeLabels(close, { kind: 'atr', horizon: 2, k: 1 }, atr);
    // t=0: +2% > 1 × 1/100 → BUY; t=1: +2% < 4/100 → HOLD
    expect(Array.from(labels)).toEqual([BUY, HOLD, NO_LABEL, NO_LABEL]);
  });

  it('rejects fractions that add up to more than 1', () => {
    expect(() => chronologicalSplit([1, 2, 3], { train: 0.8, val: 0.2, test: 0.2 }, 0)).toThrow(/split: fractions/);
  });

  it('reports the class balance and validates the rule', () => {
    const b = classBalance(Uint8Array.from([0, 1, 1, 2, NO_LABEL]));
    expect(b.counts).toEqual({ SELL: 1, HOLD: 2, BUY: 1 });
    expect(b.shares.HOLD).toBe(0.5);
    expect(b.majority).toBe('HOLD');
    expect(LabelRuleSchema.safeParse({ kind: 'atr', horizon: 0, k: 1 }).success).toBe(false);
    expect(LabelRuleSchema.safeParse({ kind: 'pct', horizon: 5, threshold: 0.002 }).success).toBe(true);
  });
});

describe('chronological split with purge (property)', () => {
  it('keeps parts in time order with more than `purge` bars between the last sample of a part and the first of the next', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 3000 }),
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0.3, max: 0.8, noNaN: true }),
        fc.double({ min: 0.05, max: 0.3, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        (n, purge, trainF, valF, gapEvery) => {
          // Eligible ends with holes (as after invalid bars).
          const ends: number[] = [];
          for (let i = 0, t = 0; i < n; i++) ends.push((t += gapEvery && i % gapEvery === 0 ? 3 : 1));
          const val = Math.min(valF, 1 - trainF);
          const s = chronologicalSplit(ends, { train: trainF, val, test: Math.max(0, 1 - trainF - val) }, purge);
          expect(s.train.length + s.val.length + s.test.length + s.purged.trainVal + s.purged.valTest).toBe(n);
          const all = [...s.train, ...s.val, ...s.test];
          let ascending = true;
          for (let i = 1; i < all.length; i++) if (!(all[i] > all[i - 1])) ascending = false;
          expect(ascending).toBe(true);
          if (s.train.length && s.val.length) expect(s.val[0] - s.train[s.train.length - 1]).toBeGreaterThan(purge);
          if (s.val.length && s.test.length) expect(s.test[0] - s.val[s.val.length - 1]).toBeGreaterThan(purge);
          if (!s.val.length && s.train.length && s.test.length) expect(s.test[0] - s.train[s.train.length - 1]).toBeGreaterThan(purge);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('buildSamples', () => {
  const candles = randomWalkCandles(1500, { seed: 21 });
  const params = { window: 8, label: { kind: 'atr' as const, horizon: 6, k: 1 }, split: { train: 0.7, val: 0.15, test: 0.15 } };
  const s = buildSamples(candles, { ...params, dataset: { name: 'synthetic', timeframe: '1h', contentHash: 'abc' } });

  it('returns [n, T, F] windows with labels, times and the snapshot', () => {
    for (const part of [s.train, s.val, s.test]) {
      expect(part.x.length).toBe(part.n * 8 * s.featureCount);
      expect(part.y.length).toBe(part.n);
      expect(part.times.length).toBe(part.n);
      for (const y of part.y) expect([SELL, HOLD, BUY]).toContain(y);
    }
    expect(s.featureCount).toBe(15);
    expect(s.classNames).toEqual(['SELL', 'HOLD', 'BUY']);
    expect(s.train.times[0]).toBe(candles[s.train.endIndex[0]].ts + 3_600_000); // close time of the last bar
    expect(s.snapshot.dataset).toEqual({ name: 'synthetic', timeframe: '1h', contentHash: 'abc' });
    expect(s.snapshot.params).toMatchObject({ window: 8, purge: 6, warmupBars: WARMUP_BARS });
    expect(s.snapshot.candles.count).toBe(1500);
    expect(s.snapshot.parts.train.n).toBe(s.train.n);
    expect(s.classBalance.test.total).toBe(s.test.n);
    const total = s.train.n + s.val.n + s.test.n;
    // every bar from warm-up + T − 1 to n − h − 1 is a sample, less the purged ones
    expect(total).toBe(1500 - 6 - (WARMUP_BARS + 8 - 1) - 2 * 6);
  });

  it('windows are the scaled transform of feature rows t−T+1..t, never warm-up bars', () => {
    const m = computeFeatures(candles);
    for (const part of [s.train, s.test]) {
      for (const k of [0, Math.floor(part.n / 2), part.n - 1]) {
        const t = part.endIndex[k];
        expect(t - 8 + 1).toBeGreaterThanOrEqual(WARMUP_BARS);
        for (let step = 0; step < 8; step++) {
          const bar = t - 8 + 1 + step;
          const want = applyScaler(s.scaler, transformFeatures(Array.from(m.values.subarray(bar * FEATURE_COUNT, (bar + 1) * FEATURE_COUNT))));
          const got = part.x.subarray((k * 8 + step) * 15, (k * 8 + step + 1) * 15);
          want.forEach((v, f) => expect(got[f]).toBeCloseTo(v, 4));
        }
      }
    }
  });

  it('fits the scaler on the training part only', () => {
    // Wild volumes and prices after the training part must not move the scaler.
    const lastTrainBar = s.train.endIndex[s.train.n - 1];
    const changed = candles.map((c, i) => (i > lastTrainBar ? { ...c, volume: c.volume * 1000, high: c.high * 1.05 } : c));
    const s2 = buildSamples(changed, params);
    expect(s2.scaler.means).toEqual(s.scaler.means);
    expect(s2.scaler.stds).toEqual(s.scaler.stds);
    const s3 = buildSamples(candles.map((c, i) => (i === lastTrainBar ? { ...c, volume: c.volume * 1000 } : c)), params);
    expect(s3.scaler.means).not.toEqual(s.scaler.means); // …but the last training bar does
  });

  it('explains when there are too few bars, and refuses a purge shorter than the horizon', () => {
    const few = randomWalkCandles(150, { seed: 1 });
    const e = (() => {
      try {
        buildSamples(few, { ...params, window: 30, dataset: { name: 'tiny' } });
      } catch (x) {
        return x as DomainError;
      }
    })();
    expect(e).toBeInstanceOf(DomainError);
    expect(e!.code).toBe('UNPROCESSABLE_CONTENT');
    expect(e!.message).toMatch(/^dataset 'tiny' has 150 bars: after the 100-bar warm-up, the 30-step window and the 6-bar label horizon that leaves 15 samples/);
    expect(() => buildSamples(candles, { ...params, purge: 3 })).toThrow(/purge: must be at least the label horizon \(6 bars\)/);
  });
});
