import { describe, expect, it } from 'vitest';
import {
  accuracy,
  bootstrap,
  classificationReport,
  classPriors,
  confusionMatrix,
  macroF1,
  macroF1DiffInterval,
  macroF1Interval,
  majorityBaseline,
  majorityClass,
  perClass,
  priorRandomBaseline,
  winRate,
  winRateInterval,
} from './metrics';

// 0 = SELL, 1 = HOLD, 2 = BUY
const yTrue = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0];
const yPred = [0, 1, 1, 1, 2, 2, 2, 0, 2, 0];

describe('classification metrics (hand-computed)', () => {
  it('confusion matrix: rows true, columns predicted', () => {
    expect(confusionMatrix(yTrue, yPred)).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 3],
    ]);
  });

  it('accuracy', () => {
    expect(accuracy(yTrue, yPred)).toBeCloseTo(7 / 10, 12);
  });

  it('per-class precision / recall / F1 and macro-F1', () => {
    const pc = perClass(yTrue, yPred);
    // SELL: tp 2, predicted 3, support 3; HOLD: tp 2, predicted 3, support 3; BUY: tp 3, predicted 4, support 4
    expect(pc[0]).toMatchObject({ support: 3, predicted: 3 });
    expect(pc[0].precision).toBeCloseTo(2 / 3, 12);
    expect(pc[0].recall).toBeCloseTo(2 / 3, 12);
    expect(pc[2].precision).toBeCloseTo(3 / 4, 12);
    expect(pc[2].recall).toBeCloseTo(3 / 4, 12);
    expect(pc[2].f1).toBeCloseTo(3 / 4, 12);
    expect(macroF1(yTrue, yPred)).toBeCloseTo((2 / 3 + 2 / 3 + 3 / 4) / 3, 12);
    const report = classificationReport(yTrue, yPred);
    expect(report.macroF1).toBeCloseTo(macroF1(yTrue, yPred), 12);
    expect(report.n).toBe(10);
  });

  it('zero denominators count as 0, absent classes still count in macro-F1', () => {
    // Only HOLD present and always predicted: HOLD F1 = 1, SELL and BUY 0.
    expect(macroF1([1, 1, 1], [1, 1, 1])).toBeCloseTo(1 / 3, 12);
    const pc = perClass([1, 1], [1, 1]);
    expect(pc[0]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 });
  });

  it('rejects mismatched lengths', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/2 labels but 1 predictions/);
  });
});

describe('bootstrap', () => {
  it('is deterministic with a seed and brackets the estimate', () => {
    const a = macroF1Interval(yTrue, yPred, { seed: 3, resamples: 300 });
    const b = macroF1Interval(yTrue, yPred, { seed: 3, resamples: 300 });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(macroF1(yTrue, yPred), 12);
    expect(a.lower).toBeLessThanOrEqual(a.estimate);
    expect(a.upper).toBeGreaterThanOrEqual(a.estimate);
    expect(a.level).toBe(0.95);
  });

  it('percentile interval of a mean', () => {
    const v = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const ci = bootstrap(v.length, (idx) => idx.reduce((s, i) => s + v[i], 0) / idx.length, { seed: 1, resamples: 500 });
    expect(ci.estimate).toBe(0.5);
    // standard error sqrt(.25/400) = .025 → 95 % interval ≈ ±0.049
    expect(ci.lower).toBeGreaterThan(0.42);
    expect(ci.lower).toBeLessThan(0.48);
    expect(ci.upper).toBeGreaterThan(0.52);
    expect(ci.upper).toBeLessThan(0.58);
  });

  it('block bootstrap widens the interval for dependent samples; blockLength 1 is the i.i.d. bootstrap', () => {
    // runs of 20 equal values: neighbours are dependent
    const v = Array.from({ length: 400 }, (_, i) => (Math.floor(i / 20) % 2 === 0 ? 1 : 0));
    const mean = (idx: Int32Array) => idx.reduce((s, i) => s + v[i], 0) / idx.length;
    const iid = bootstrap(v.length, mean, { seed: 1, resamples: 500 });
    const blocks = bootstrap(v.length, mean, { seed: 1, resamples: 500, blockLength: 20 });
    expect(blocks.upper - blocks.lower).toBeGreaterThan(2 * (iid.upper - iid.lower));
    expect(bootstrap(v.length, mean, { seed: 1, resamples: 500, blockLength: 1 })).toEqual(iid);
    expect(blocks).toEqual(bootstrap(v.length, mean, { seed: 1, resamples: 500, blockLength: 20 }));
    const d = macroF1DiffInterval(yTrue, yPred, yPred, { seed: 1, resamples: 50, blockLength: 3 });
    expect(d).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
  });

  it('paired difference: a perfect predictor beats a constant one, a predictor does not beat itself', () => {
    const n = 300;
    const y = Array.from({ length: n }, (_, i) => i % 3);
    const constant = new Array(n).fill(1);
    const d = macroF1DiffInterval(y, y, constant, { seed: 2, resamples: 200 });
    expect(d.estimate).toBeCloseTo(1 - 1 / 6, 12); // constant HOLD: HOLD F1 = 2·(1/3)/(1/3+1) = 0.5 → macro 1/6
    expect(d.lower).toBeGreaterThan(0.7);
    const same = macroF1DiffInterval(y, constant, constant, { seed: 2, resamples: 50 });
    expect(same).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
  });
});

describe('win rate', () => {
  it('BUY wins on positive, SELL on negative forward returns; HOLD is no signal', () => {
    const pred = [2, 2, 0, 0, 1, 2];
    const ret = [0.01, -0.02, -0.01, 0.03, 0.5, 0];
    const w = winRate(pred, ret);
    expect(w.buy).toEqual({ signals: 3, wins: 1, winRate: 1 / 3 });
    expect(w.sell).toEqual({ signals: 2, wins: 1, winRate: 1 / 2 });
    expect(w.signals).toBe(5);
    expect(w.winRate).toBeCloseTo(2 / 5, 12);
    const ci = winRateInterval(pred, ret, { seed: 1, resamples: 100 });
    expect(ci.estimate).toBeCloseTo(0.4, 12);
    expect(Number.isNaN(winRate([1, 1], [0.1, 0.2]).winRate)).toBe(true);
  });
});

describe('naive baselines', () => {
  const trainY = [1, 1, 1, 1, 1, 1, 0, 0, 2, 2];
  it('majority class', () => {
    expect(majorityClass(trainY)).toBe(1);
    expect([...majorityBaseline(trainY, 4)]).toEqual([1, 1, 1, 1]);
  });
  it('prior-matched random is seeded and matches the priors', () => {
    const a = priorRandomBaseline(trainY, 5000, 9);
    expect(a).toEqual(priorRandomBaseline(trainY, 5000, 9));
    expect(a).not.toEqual(priorRandomBaseline(trainY, 5000, 10));
    const p = classPriors(a);
    expect(p[0]).toBeCloseTo(0.2, 1);
    expect(p[1]).toBeCloseTo(0.6, 1);
    expect(p[2]).toBeCloseTo(0.2, 1);
  });
});
