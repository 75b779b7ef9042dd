import { describe, expect, it } from 'vitest';
import { fitTemperature, nllAtTemperature, reliability } from './calibration';
import { softmaxRows } from './models';
import { createRng } from './random';

/** Logits whose argmax is right with probability `acc`, but scaled to be far more confident than that. */
function overconfident(n: number, acc: number, scale: number, seed: number) {
  const rng = createRng(seed);
  const logits = new Float32Array(n * 3);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(3);
    const top = rng.next() < acc ? y[i] : (y[i] + 1 + rng.int(2)) % 3;
    for (let c = 0; c < 3; c++) logits[i * 3 + c] = scale * ((c === top ? 1 : 0) + 0.3 * rng.normal());
  }
  return { logits, y };
}

describe('temperature scaling', () => {
  it('lowers the NLL of an over-confident model (T > 1) and keeps the argmax', () => {
    const { logits, y } = overconfident(2000, 0.6, 8, 1);
    const fit = fitTemperature(logits, y);
    expect(fit.temperature).toBeGreaterThan(1.5);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore * 0.7);
    expect(fit.nllAfter).toBeCloseTo(nllAtTemperature(logits, y, fit.temperature), 10);
    // A minimum: nearby temperatures are not better.
    expect(nllAtTemperature(logits, y, fit.temperature * 1.05)).toBeGreaterThanOrEqual(fit.nllAfter);
    expect(nllAtTemperature(logits, y, fit.temperature / 1.05)).toBeGreaterThanOrEqual(fit.nllAfter);
    const before = reliability(softmaxRows(logits, 3), y);
    const after = reliability(softmaxRows(logits, 3, fit.temperature), y);
    expect(after.ece).toBeLessThan(before.ece / 2);
  });

  it('an under-confident model gets T < 1; no samples gives T = 1', () => {
    const { logits, y } = overconfident(2000, 0.9, 0.3, 2);
    expect(fitTemperature(logits, y).temperature).toBeLessThan(1);
    expect(fitTemperature(new Float32Array(0), new Uint8Array(0)).temperature).toBe(1);
  });
});

describe('reliability bins', () => {
  it('hand-made example', () => {
    // two samples at confidence 0.9 (one right), one at 0.5 (right)
    const probs = [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.5, 0.3, 0.2];
    const y = [0, 0, 0];
    const r = reliability(probs, y, { bins: 10 });
    expect(r.n).toBe(3);
    expect(r.bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(r.bins[9].confidence).toBeCloseTo(0.9, 6);
    expect(r.bins[5]).toMatchObject({ count: 1, accuracy: 1 });
    expect(r.ece).toBeCloseTo((2 / 3) * 0.4 + (1 / 3) * 0.5, 6);
    expect(r.mce).toBeCloseTo(0.5, 6);
    expect(r.bins[0].count).toBe(0);
    expect(Number.isNaN(r.bins[0].accuracy)).toBe(true);
  });
});
