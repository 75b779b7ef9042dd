import { describe, it, expect } from 'vitest';
import { randomWalkCandles } from '../market/synthetic';
import { toColumns, type Candle } from '../market/types';
import { referenceInputs } from './profile';
import { compareInputs, sampleCandles } from './report';
import { ZDriftThresholds, type DriftProfile } from './shapes';

const T = ZDriftThresholds.parse({});
const H = 3_600_000;

/** Reference: the model inputs of bars 300–2,999 (the "training part"); current: the last 500 bars. */
function verdict(candles: Candle[]) {
  const c = toColumns(candles);
  const ref = referenceInputs(c, (i) => i >= 300 && i < 3000);
  const profile: DriftProfile = { version: 1, inputs: ref.inputs, predictions: { classes: [1, 1, 1], confidence: [], n: 3 }, testAccuracy: null, testN: 0, source: { dataset: null, from: null, to: null, bars: ref.bars, barMs: H } };
  const cur = sampleCandles(c, 500, profile);
  const r = compareInputs(profile, cur, T, 500);
  const share = r.filter((x) => x.drifted).length / r.length;
  return { share, datasetDrift: share >= T.datasetShare, results: r };
}

/** 3,000 calm bars trending up, then 1,000 with 3× the volatility trending down. */
function regimeChange(seed: number): Candle[] {
  const a = randomWalkCandles(3000, { seed, sigma: 0.002, drift: () => 0.0002 });
  const last = a[a.length - 1];
  const b = randomWalkCandles(1000, { seed: seed + 1000, sigma: 0.006, drift: () => -0.0006, price: last.close, start: last.ts + H });
  return [...a, ...b];
}

describe('drift on the model inputs', () => {
  it('a regime change (volatility ×3, trend flip) is dataset drift, on every seed tried', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const v = verdict(regimeChange(seed));
      expect(v.datasetDrift, `seed ${seed}: share ${v.share}`).toBe(true);
      const atr = v.results.find((r) => r.name.startsWith('atr'))!;
      expect(atr.drifted).toBe(true);
      expect(atr.psiBand).toBe('drift');
    }
  });

  it('a stationary series raises dataset drift on at most 5 % of 40 seeds', () => {
    let alarms = 0;
    const shares: number[] = [];
    for (let seed = 100; seed < 140; seed++) {
      const v = verdict(randomWalkCandles(3500, { seed, sigma: 0.002 }));
      shares.push(v.share);
      if (v.datasetDrift) alarms++;
    }
    console.log(`stationary: dataset-drift alarms ${alarms}/40; mean drifted share ${(shares.reduce((a, b) => a + b, 0) / 40).toFixed(3)}`);
    expect(alarms / 40).toBeLessThanOrEqual(0.05);
  });

  it('price levels do not matter: the same walk at 29,000 instead of 1.08 gives the same verdicts', () => {
    const base = randomWalkCandles(3500, { seed: 9, price: 1.08 });
    const k = 29_000 / 1.08;
    const scaled = base.map((x) => ({ ...x, open: x.open * k, high: x.high * k, low: x.low * k, close: x.close * k }));
    const a = verdict(base).results.map((r) => r.drifted);
    const b = verdict(scaled).results.map((r) => r.drifted);
    expect(b).toEqual(a);
  });
});
