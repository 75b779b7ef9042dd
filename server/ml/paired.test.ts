import { describe, expect, it } from 'vitest';
import { accuracyInterval, alignOnTimes, comparePaired, pairedDifference, MIN_SHARED } from './paired';
import { accuracy, macroF1 } from './metrics';
import { createRng } from './random';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Labels with a fixed seed, and a predictor that is wrong on a given share of them (wrong = another class). */
function labels(n: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(3));
}
function noisy(y: Uint8Array, errorRate: number, seed: number): Uint8Array {
  const rng = createRng(seed, 1);
  return Uint8Array.from(y, (c) => (rng.next() < errorRate ? (c + 1 + rng.int(2)) % 3 : c));
}
const hours = (n: number, from = 0) => Float64Array.from({ length: n }, (_, i) => T0 + (from + i) * HOUR);

describe('pairedDifference (B − A on the same samples)', () => {
  it('identical predictions: both differences are exactly 0, with an interval of width 0', () => {
    const y = labels(500, 1);
    const p = noisy(y, 0.4, 2);
    const d = pairedDifference(y, p, Uint8Array.from(p), { seed: 3, blockLength: 12 });
    for (const iv of [d.accuracy, d.macroF1]) {
      expect(iv.estimate).toBe(0);
      expect(iv.lower).toBe(0);
      expect(iv.upper).toBe(0);
      expect(iv.resamples).toBe(1000);
    }
    expect(d.a).toEqual(d.b);
  });

  it('detects a real difference: 10 % errors against 40 % errors on 600 samples', () => {
    const y = labels(600, 4);
    const bad = noisy(y, 0.4, 5);
    const good = noisy(y, 0.1, 6);
    const d = pairedDifference(y, bad, good, { seed: 7, blockLength: 12 });
    expect(d.accuracy.estimate).toBeCloseTo(accuracy(y, good) - accuracy(y, bad), 12);
    expect(d.macroF1.estimate).toBeCloseTo(macroF1(y, good) - macroF1(y, bad), 12);
    expect(d.accuracy.estimate).toBeGreaterThan(0.2);
    expect(d.accuracy.lower).toBeGreaterThan(0);
    expect(d.macroF1.lower).toBeGreaterThan(0);
    expect(d.accuracy.lower).toBeLessThan(d.accuracy.estimate);
    expect(d.accuracy.upper).toBeGreaterThan(d.accuracy.estimate);
    // The other way round, the same interval mirrored.
    const r = pairedDifference(y, good, bad, { seed: 7, blockLength: 12 });
    expect(r.accuracy.upper).toBeLessThan(0);
    expect(r.accuracy.lower).toBeCloseTo(-d.accuracy.upper, 12);
    expect(r.macroF1.upper).toBeLessThan(0);
  });

  it('two equally good but different predictors: the interval contains 0', () => {
    const y = labels(600, 8);
    const d = pairedDifference(y, noisy(y, 0.3, 9), noisy(y, 0.3, 10), { seed: 11, blockLength: 12 });
    expect(d.accuracy.lower).toBeLessThan(0);
    expect(d.accuracy.upper).toBeGreaterThan(0);
    expect(d.macroF1.lower).toBeLessThan(0);
    expect(d.macroF1.upper).toBeGreaterThan(0);
  });

  it('is reproducible from its seed', () => {
    const y = labels(300, 12);
    const a = noisy(y, 0.3, 13);
    const b = noisy(y, 0.2, 14);
    expect(pairedDifference(y, a, b, { seed: 5, blockLength: 9 })).toEqual(pairedDifference(y, a, b, { seed: 5, blockLength: 9 }));
    expect(pairedDifference(y, a, b, { seed: 6, blockLength: 9 }).macroF1).not.toEqual(pairedDifference(y, a, b, { seed: 5, blockLength: 9 }).macroF1);
  });

  it('moving blocks: when the errors come in runs, i.i.d. resampling gives a too narrow interval', () => {
    // A's errors come in runs of 24 bars (as a model's wrong calls do around a regime change); B is always right.
    const n = 960;
    const y = labels(n, 15);
    const rng = createRng(16);
    const a = Uint8Array.from(y);
    for (let start = 0; start < n; start += 24) if (rng.next() < 0.3) for (let i = start; i < start + 24; i++) a[i] = (y[i] + 1) % 3;
    const iid = pairedDifference(y, a, y, { seed: 17, blockLength: 1 }).accuracy;
    const blocks = pairedDifference(y, a, y, { seed: 17, blockLength: 36 }).accuracy;
    expect(blocks.estimate).toBe(iid.estimate);
    expect(blocks.upper - blocks.lower).toBeGreaterThan(2 * (iid.upper - iid.lower));
  });
});

describe('accuracyInterval', () => {
  it('brackets the accuracy, and is a point for a perfect predictor', () => {
    const y = labels(400, 18);
    const p = noisy(y, 0.35, 19);
    const iv = accuracyInterval(y, p, { seed: 1, blockLength: 12 });
    expect(iv.estimate).toBeCloseTo(accuracy(y, p), 12);
    expect(iv.lower).toBeLessThan(iv.estimate);
    expect(iv.upper).toBeGreaterThan(iv.estimate);
    expect(accuracyInterval(y, y, { seed: 1 })).toMatchObject({ estimate: 1, lower: 1, upper: 1 });
  });
});

describe('alignOnTimes and comparePaired', () => {
  it('pairs the bars both test parts contain, in A order, and says how many', () => {
    const yAll = labels(700, 20);
    // A tests bars 0..599, B bars 100..699 (e.g. a longer input window moved its test part): 500 shared.
    const a = { times: hours(600), labels: yAll.subarray(0, 600) };
    const b = { times: hours(600, 100), labels: yAll.subarray(100, 700) };
    const al = alignOnTimes(a, b);
    expect(al.ok).toBe(true);
    if (!al.ok) return;
    expect(al.shared).toBe(500);
    expect(al.idxA[0]).toBe(100);
    expect(al.idxB[0]).toBe(0);
    expect(al.from).toBe(T0 + 100 * HOUR);
    expect(al.to).toBe(T0 + 599 * HOUR);
  });

  it('refuses different labels at shared bars, no shared bar, and too few shared bars — with the reason', () => {
    const y = labels(200, 21);
    const other = Uint8Array.from(y, (c, i) => (i % 10 === 0 ? (c + 1) % 3 : c));
    const diff = alignOnTimes({ times: hours(200), labels: y }, { times: hours(200), labels: other });
    expect(diff).toMatchObject({ ok: false, shared: 200 });
    expect(!diff.ok && diff.reason).toMatch(/true labels differ on 20 of 200 shared bars/);
    const none = alignOnTimes({ times: hours(200), labels: y }, { times: hours(200, 1000), labels: y });
    expect(none).toMatchObject({ ok: false, shared: 0 });
    expect(!none.ok && none.reason).toMatch(/share no bar/);
    const yAll = labels(400, 24);
    const from = 200 - (MIN_SHARED - 1);
    const few = alignOnTimes({ times: hours(200), labels: yAll.subarray(0, 200) }, { times: hours(200, from), labels: yAll.subarray(from, from + 200) });
    expect(!few.ok && few.reason).toMatch(new RegExp(`only ${MIN_SHARED - 1} shared`));
  });

  it('comparePaired bootstraps over the shared bars only, with blocks of three label horizons', () => {
    const yAll = labels(800, 22);
    const predAll = noisy(yAll, 0.35, 23);
    const a = { times: hours(600), labels: yAll.subarray(0, 600), pred: predAll.subarray(0, 600) };
    const b = { times: hours(600, 200), labels: yAll.subarray(200, 800), pred: yAll.subarray(200, 800) }; // B is perfect
    const c = comparePaired(a, b, { horizon: 12, seed: 1 });
    expect(c.available).toBe(true);
    if (!c.available) return;
    expect(c.shared).toBe(400);
    expect(c.blockLength).toBe(36);
    expect(c.b.accuracy).toBe(1);
    expect(c.a.accuracy).toBeCloseTo(accuracy(yAll.subarray(200, 600), predAll.subarray(200, 600)), 12);
    expect(c.accuracy.lower).toBeGreaterThan(0);
    const same = comparePaired(a, { ...a }, { horizon: 12, seed: 1 });
    expect(same).toMatchObject({ available: true, accuracy: { lower: 0, upper: 0 }, macroF1: { lower: 0, upper: 0 } });
  });
});
