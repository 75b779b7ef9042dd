/**
 * Pure rules behind the gate (no tfjs, no database): the exact expectation of the prior-matched random baseline and
 * the directional edge of signals over random signals with the same BUY/SELL mix.
 */
import { describe, expect, it } from 'vitest';
import {
  binomialPmf,
  classPriors,
  directionalEdge,
  directionalEdgeIntervals,
  expectedRandomScores,
  macroF1,
  macroF1VsRandomInterval,
  accuracy,
  priorRandomBaseline,
} from './metrics';
import { createRng } from './random';

describe('expected scores of prior-matched random', () => {
  it('equal the mean over many random draws (the baseline is an expectation, not one draw)', () => {
    const rng = createRng(3);
    const n = 400;
    const yTest = Uint8Array.from({ length: n }, () => (rng.next() < 0.25 ? 0 : rng.next() < 0.6 ? 1 : 2));
    const trainY = Uint8Array.from({ length: 1000 }, (_, i) => (i < 300 ? 0 : i < 750 ? 1 : 2)); // priors 0.30/0.45/0.25
    const q = classPriors(trainY);
    const support = classPriors(yTest).map((p) => p * n);
    const exact = expectedRandomScores(support, q);
    const draws = 3000;
    let f1 = 0;
    let acc = 0;
    const one: number[] = [];
    for (let s = 0; s < draws; s++) {
      const pred = priorRandomBaseline(trainY, n, s);
      const m = macroF1(yTest, pred);
      f1 += m;
      acc += accuracy(yTest, pred);
      if (s < 20) one.push(m);
    }
    // Monte Carlo standard error of the mean ≈ 0.025 / √3000 ≈ 0.0005.
    expect(exact.macroF1).toBeCloseTo(f1 / draws, 2);
    expect(Math.abs(exact.macroF1 - f1 / draws)).toBeLessThan(0.002);
    expect(Math.abs(exact.accuracy - acc / draws)).toBeLessThan(0.002);
    // …whereas single draws scatter by several hundredths: enough to flip a verdict.
    expect(Math.max(...one) - Math.min(...one)).toBeGreaterThan(0.03);
  });

  it('is exact in degenerate cases', () => {
    // Always HOLD: F1(HOLD) = 2S/(S + n), the others 0.
    const e = expectedRandomScores([10, 30, 20], [0, 1, 0]);
    expect(e.macroF1).toBeCloseTo((2 * 30) / (30 + 60) / 3, 12);
    expect(e.accuracy).toBeCloseTo(0.5, 12);
    expect(Number.isNaN(expectedRandomScores([0, 0, 0], [0.3, 0.4, 0.3]).macroF1)).toBe(true);
  });

  it('binomial probabilities sum to 1 with mean n·p', () => {
    const b = binomialPmf(2500, 0.37);
    let sum = 0;
    let mean = 0;
    b.pmf.forEach((p, i) => {
      sum += p;
      mean += p * (b.from + i);
    });
    expect(sum).toBeCloseTo(1, 12);
    expect(mean).toBeCloseTo(2500 * 0.37, 6);
  });

  it('the paired interval is macro-F1 minus the expectation, recomputed per resample', () => {
    const y = Uint8Array.from({ length: 300 }, (_, i) => i % 3);
    const q = [1 / 3, 1 / 3, 1 / 3];
    const d = macroF1VsRandomInterval(y, y, q, { seed: 1, resamples: 200 });
    expect(d.estimate).toBeCloseTo(1 - expectedRandomScores([100, 100, 100], q).macroF1, 12);
    expect(d.lower).toBeGreaterThan(0.5);
    const random = priorRandomBaseline(y, 300, 4);
    const r = macroF1VsRandomInterval(y, random, q, { seed: 1, resamples: 300 });
    expect(r.lower).toBeLessThan(0);
    expect(r.upper).toBeGreaterThan(0);
  });
});

describe('directional edge over random signals with the same mix', () => {
  it('computes hit rate, random timing and mean signed return by hand', () => {
    const pred = [2, 2, 0, 1, 1, 0]; // BUY BUY SELL HOLD HOLD SELL
    const ret = [0.02, -0.01, -0.03, 0.01, 0, 0.01];
    const e = directionalEdge(pred, ret);
    expect(e).toMatchObject({ signals: 4, buys: 2, sells: 2 });
    expect(e.hitRate).toBeCloseTo(2 / 4, 12); // BUY +0.02 and SELL −0.03 hit
    // up = 3/6, down = 2/6: (2·3/6 + 2·2/6) / 4
    expect(e.randomHitRate).toBeCloseTo((2 * 0.5 + 2 * (2 / 6)) / 4, 12);
    expect(e.meanReturn).toBeCloseTo((0.02 - 0.01 + 0.03 - 0.01) / 4, 12);
    expect(e.randomMeanReturn).toBeCloseTo(0, 12); // as many BUYs as SELLs
    expect(e.returnEdge).toBeCloseTo(e.meanReturn, 12);
    expect(Number.isNaN(directionalEdge([1, 1], [0.1, -0.1]).hitEdge)).toBe(true);
  });

  it('riding a trend is not an edge: always BUY on a rising series earns exactly what random BUYs earn', () => {
    const rng = createRng(8);
    const ret = Float64Array.from({ length: 500 }, () => 0.002 + 0.01 * rng.normal());
    const e = directionalEdge(new Uint8Array(500).fill(2), ret);
    expect(e.hitRate).toBeGreaterThan(0.5);
    expect(e.hitEdge).toBeCloseTo(0, 12);
    expect(e.returnEdge).toBeCloseTo(0, 12);
  });

  it('block-bootstrap intervals: timing that knows the future is above 0, random timing includes 0', () => {
    const rng = createRng(11);
    const n = 1200;
    const h = 12;
    // Overlapping h-bar forward returns of a random walk, as the label horizon makes them.
    const steps = Float64Array.from({ length: n + h }, () => 0.002 * rng.normal());
    const ret = Float64Array.from({ length: n }, (_, i) => steps.slice(i + 1, i + 1 + h).reduce((a, b) => a + b, 0));
    const skilled = Uint8Array.from(ret, (r) => (rng.next() < 0.3 ? 1 : (r > 0) !== rng.next() < 0.4 ? 2 : 0)); // 60 % right
    const blind = Uint8Array.from({ length: n }, () => rng.int(3));
    const opts = { seed: 3, resamples: 400, blockLength: h };
    const a = directionalEdgeIntervals(skilled, ret, opts);
    expect(a.hitEdge.estimate).toBeGreaterThan(0.05);
    expect(a.hitEdge.lower).toBeGreaterThan(0);
    expect(a.returnEdge.lower).toBeGreaterThan(0);
    const b = directionalEdgeIntervals(blind, ret, opts);
    expect(b.hitEdge.lower).toBeLessThan(0);
    expect(b.hitEdge.upper).toBeGreaterThan(0);
    expect(b.returnEdge.lower).toBeLessThan(0);
    expect(b.returnEdge.upper).toBeGreaterThan(0);
  });
});
