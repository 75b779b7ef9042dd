import { describe, expect, it } from 'vitest';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES, WARMUP_BARS } from './indicators';
import { computeLabels } from './labels';
import { accuracy, bestConstantAccuracy, lastStep, priorAccuracy, trainSoftmax, type Dataset } from './leakage-helpers';
import { buildSamples, type SampleSet } from './samples';
import { plantedSignalCandles, randomWalkCandles } from './synthetic';
import type { Candle } from './types';

/**
 * Leakage guards. (1) On a random walk the labels are unpredictable: a classifier trained on the samples must not
 * beat the best constant predictor. (2) When the future does depend on a past indicator, the same classifier must
 * clearly beat it (so (1) is not passing because the classifier is useless). (3) Nothing at bar t may depend on
 * bars after t: checked on features (and shown to catch a one-bar shift of ANY feature), labels, windows and splits.
 */
const T = 5;
const F = 15;
const RULE = { kind: 'atr' as const, horizon: 6, k: 0.5 };

const flat = (s: SampleSet, shiftBy = 0): Dataset => {
  // shiftBy > 0 pairs the window of sample i + shiftBy with the label of sample i: a simulated look-ahead leak.
  const n = s.n - shiftBy;
  const x = lastStep(s.x, s.n, T, F).subarray(shiftBy * F, (shiftBy + n) * F);
  return { x, y: s.y.subarray(0, n), n, d: F };
};

function evaluate(candles: Candle[], shiftBy = 0) {
  const s = buildSamples(candles, { window: T, label: RULE });
  const train = flat(s.train, shiftBy);
  const test = flat(s.test, shiftBy);
  const model = trainSoftmax(train, { steps: 150 });
  return {
    acc: accuracy(model, test),
    constant: bestConstantAccuracy(test.y),
    prior: priorAccuracy(train.y, test.y),
  };
}


describe('leakage guard 1 and 2: what the labels let a classifier learn', () => {
  it.each([1, 2])('random walk (seed %i): no better than the best constant predictor on the test part', (seed) => {
    const r = evaluate(randomWalkCandles(4000, { seed }));
    expect(r.acc).toBeLessThanOrEqual(Math.max(r.constant, r.prior) + 0.03);
  });

  it('…and the same check catches a simulated leak (windows paired with labels from h bars earlier)', () => {
    const r = evaluate(randomWalkCandles(4000, { seed: 1 }), RULE.horizon);
    expect(r.acc).toBeGreaterThan(r.constant + 0.15);
  });

  it.each([1, 2])('future return driven by a past RSI value (seed %i): clearly beats the baselines', (seed) => {
    const r = evaluate(plantedSignalCandles(4000, seed));
    expect(r.acc).toBeGreaterThan(Math.max(r.constant, r.prior) + 0.08);
  });
});

/** First (bar, feature) whose value changes when the bars after a cut are removed; null when none does. */
function lookAheadViolation(compute: (c: Candle[]) => Float64Array, candles: Candle[], cuts: number[]): { bar: number; feature: string } | null {
  const full = compute(candles);
  for (const cut of cuts) {
    const part = compute(candles.slice(0, cut));
    for (let i = 0; i < cut * FEATURE_COUNT; i++) {
      const a = full[i];
      const b = part[i];
      if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) return { bar: Math.floor(i / FEATURE_COUNT), feature: FEATURE_NAMES[i % FEATURE_COUNT] };
    }
  }
  return null;
}

/** computeFeatures with one feature shifted one bar into the future (value at t taken from t + 1). */
const leaky = (f: number) => (c: Candle[]) => {
  const v = computeFeatures(c).values;
  const n = c.length;
  for (let t = 0; t < n; t++) v[t * FEATURE_COUNT + f] = t + 1 < n ? v[(t + 1) * FEATURE_COUNT + f] : NaN;
  return v;
};

describe('leakage guard 3: nothing at bar t depends on bars after t', () => {
  const candles = randomWalkCandles(600, { seed: 9 });
  const cuts = [WARMUP_BARS + 1, 173, 360, 599];

  it('features at bar t do not change when the bars after t are removed', () => {
    expect(lookAheadViolation((c) => computeFeatures(c).values, candles, cuts)).toBeNull();
  });

  it.each(FEATURE_NAMES.map((name, f) => [name, f] as const))('the check catches %s shifted one bar into the future', (name, f) => {
    const v = lookAheadViolation(leaky(f), candles, cuts);
    expect(v?.feature).toBe(name);
  });

  it('label t reads close[t + h] and nothing later', () => {
    const close = candles.map((c) => c.close);
    const values = computeFeatures(candles).values;
    const atr = Array.from({ length: close.length }, (_, i) => values[i * FEATURE_COUNT + 6]);
    const base = computeLabels(close, RULE, atr).labels;
    const t = 300;
    const later = close.map((v, i) => (i > t + RULE.horizon ? v * 1.5 : v));
    expect(computeLabels(later, RULE, atr).labels[t]).toBe(base[t]);
    const atHorizon = close.map((v, i) => (i === t + RULE.horizon ? close[t] * 1.5 : v));
    expect(computeLabels(atHorizon, RULE, atr).labels[t]).toBe(2); // BUY: it does read t + h
  });

  it('train and validation samples do not change when bars after them (and their label horizon) change', () => {
    const big = randomWalkCandles(2000, { seed: 4 });
    const a = buildSamples(big, { window: T, label: RULE });
    const lastUsed = a.val.endIndex[a.val.n - 1] + RULE.horizon;
    const changed = big.map((c, i) => (i > lastUsed ? { ...c, open: c.open * 2, high: c.high * 2.2, low: c.low * 1.9, close: c.close * 2, volume: c.volume * 50 } : c));
    const b = buildSamples(changed, { window: T, label: RULE });
    expect(Array.from(b.train.endIndex)).toEqual(Array.from(a.train.endIndex));
    expect(b.train.x).toEqual(a.train.x);
    expect(b.train.y).toEqual(a.train.y);
    expect(b.val.x).toEqual(a.val.x);
    expect(b.val.y).toEqual(a.val.y);
    expect(b.scaler).toEqual(a.scaler);
    expect(b.test.x).not.toEqual(a.test.x); // the test part does see them
  });

  it('the purge gap holds: no label horizon of a part reaches the next part', () => {
    const s = buildSamples(randomWalkCandles(2000, { seed: 6 }), { window: T, label: RULE });
    const h = RULE.horizon;
    const pairs: [SampleSet, SampleSet][] = [
      [s.train, s.val],
      [s.val, s.test],
    ];
    for (const [before, after] of pairs) {
      const lastLabelBar = before.endIndex[before.n - 1] + h; // the last bar any label of `before` reads
      expect(after.endIndex[0]).toBeGreaterThan(lastLabelBar);
      expect(after.endIndex[0] - before.endIndex[before.n - 1]).toBeGreaterThanOrEqual(h + 1);
    }
    expect(s.snapshot.params.purge).toBeGreaterThanOrEqual(h);
  });
});
