import fc from 'fast-check';
import { ADX } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES, featureColumn, featureRow, FIRST_DEFINED_BAR, WARMUP_BARS, WilderAdx } from './indicators';
import { randomWalkCandles, rng } from './synthetic';
import type { Candle } from './types';

const fromHLC = (high: number[], low: number[], close: number[]): Candle[] =>
  close.map((c, i) => ({ ts: i * 86_400_000, open: c, high: high[i], low: low[i], close: c, volume: 1 }));
const fromCloses = (closes: number[]): Candle[] => fromHLC(closes, closes, closes);

describe('reference values', () => {
  it("RSI(14) matches Wilder's worked example as published by StockCharts", () => {
    // StockCharts "RSI" ChartSchool table (Wilder smoothing). Its first value 70.53 comes from averages rounded to two
    // decimals; from the raw changes (3.34/14 gain, 1.40/14 loss... exactly 70.46).
    const closes = [
      44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28, 46.28, 46.0, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25,
      45.71, 46.45, 45.78, 45.35, 44.03, 44.18, 44.22, 44.57, 43.42, 42.66, 43.13,
    ];
    const published = [70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46, 41.87, 45.46, 37.3, 33.08, 37.77];
    const rsi = featureColumn(computeFeatures(fromCloses(closes)), 'rsi_value');
    for (let i = 0; i < 14; i++) expect(rsi[i]).toBeNaN();
    expect(rsi[14]).toBeCloseTo(70.464, 2);
    published.forEach((v, k) => expect(Math.abs(rsi[14 + k] - v)).toBeLessThan(0.1));
  });

  it('ATR(14) matches the StockCharts worked example (QQQ, April–May 2010)', () => {
    const high = [
      48.7, 48.72, 48.9, 48.87, 48.82, 49.05, 49.2, 49.35, 49.92, 50.19, 50.12, 49.66, 49.88, 50.19, 50.36, 50.57, 50.65, 50.43, 49.63, 50.33, 50.29, 50.17, 49.32,
      48.5, 48.32, 46.8, 47.8, 48.39, 48.66, 48.79,
    ];
    const low = [
      47.79, 48.14, 48.39, 48.37, 48.24, 48.64, 48.94, 48.86, 49.5, 49.87, 49.2, 48.9, 49.43, 49.73, 49.26, 50.09, 50.3, 49.21, 48.98, 49.61, 49.2, 49.43, 48.08,
      47.64, 41.55, 44.28, 47.31, 47.2, 47.9, 47.73,
    ];
    const close = [
      48.16, 48.61, 48.75, 48.63, 48.74, 49.03, 49.07, 49.32, 49.91, 50.13, 49.53, 49.5, 49.75, 50.03, 50.31, 50.52, 50.41, 49.43, 49.37, 50.23, 49.24, 49.93,
      48.43, 48.18, 46.57, 45.41, 47.77, 47.72, 48.62, 47.85,
    ];
    const published = [0.55, 0.59, 0.59, 0.57, 0.61, 0.62, 0.64, 0.67, 0.69, 0.77, 0.78, 1.21, 1.3, 1.38, 1.37, 1.34, 1.32];
    const atr = featureColumn(computeFeatures(fromHLC(high, low, close)), 'atr_value');
    for (let i = 0; i < 13; i++) expect(atr[i]).toBeNaN();
    published.forEach((v, k) => expect(Math.abs(atr[13 + k] - v)).toBeLessThan(0.011));
  });

  it("Wilder's ADX agrees with trading-signals' ADX once the seeds have decayed (they differ only in the first bar)", () => {
    const candles = randomWalkCandles(400, { seed: 11 });
    const mine = new WilderAdx(14);
    const lib = new ADX(14);
    let last: [number | null, number | null] = [null, null];
    candles.forEach((c, i) => {
      const a = mine.update(c.high, c.low, c.close);
      const b = lib.update({ high: c.high, low: c.low, close: c.close }, false);
      if (i === 26) expect(a).toBeNull();
      if (i === 27) expect(a).not.toBeNull();
      last = [a, b];
    });
    expect(Math.abs(last[0]! - last[1]!)).toBeLessThan(1e-6);
  });

  it('EMA, Bollinger, stochastics, VWAP, MACD, volume MA, price change and volatility follow their definitions', () => {
    const candles = randomWalkCandles(150, { seed: 5 });
    const m = computeFeatures(candles);
    const t = 120;
    const row = featureRow(m, t);
    const f = (name: (typeof FEATURE_NAMES)[number]) => row[FEATURE_INDEX[name]];
    const closes = candles.map((c) => c.close);
    const ema = (n: number, upto: number) => {
      let e = closes[0];
      const a = 2 / (n + 1);
      for (let i = 1; i <= upto; i++) e = a * closes[i] + (1 - a) * e;
      return e;
    };
    expect(f('ema_12')).toBeCloseTo(ema(12, t), 10);
    expect(f('ema_50')).toBeCloseTo(ema(50, t), 10);
    expect(f('macd_line')).toBeCloseTo(ema(12, t) - ema(26, t), 10);
    const win = closes.slice(t - 19, t + 1);
    const mean = win.reduce((a, b) => a + b, 0) / 20;
    const sd = Math.sqrt(win.reduce((a, b) => a + (b - mean) ** 2, 0) / 20);
    expect(f('bollinger_upper')).toBeCloseTo(mean + 2 * sd, 10);
    expect(f('bollinger_lower')).toBeCloseTo(mean - 2 * sd, 10);
    const bars = candles.slice(t - 13, t + 1);
    const hh = Math.max(...bars.map((b) => b.high));
    const ll = Math.min(...bars.map((b) => b.low));
    expect(f('stoch_k')).toBeCloseTo((100 * (closes[t] - ll)) / (hh - ll), 10);
    const k = (i: number) => featureRow(m, i)[FEATURE_INDEX.stoch_k];
    expect(f('stoch_d')).toBeCloseTo((k(t) + k(t - 1) + k(t - 2)) / 3, 10);
    const vb = candles.slice(t - 19, t + 1);
    const tp = (b: Candle) => (b.high + b.low + b.close) / 3;
    expect(f('vwap')).toBeCloseTo(vb.reduce((a, b) => a + tp(b) * b.volume, 0) / vb.reduce((a, b) => a + b.volume, 0), 10);
    expect(f('volume_ma')).toBeCloseTo(vb.reduce((a, b) => a + b.volume, 0) / 20, 8);
    expect(f('price_change_pct')).toBeCloseTo(100 * (closes[t] / closes[t - 1] - 1), 10);
    const lr = Array.from({ length: 20 }, (_, j) => Math.log(closes[t - 19 + j] / closes[t - 20 + j]));
    const lm = lr.reduce((a, b) => a + b, 0) / 20;
    expect(f('volatility')).toBeCloseTo(Math.sqrt(lr.reduce((a, b) => a + (b - lm) ** 2, 0) / 19), 12);
  });

  it('a constant series gives flat bands, zero ATR, ADX 0 and finite values everywhere after warm-up', () => {
    const m = computeFeatures(fromCloses(Array(200).fill(10)));
    const r = featureRow(m, 150);
    expect(r[FEATURE_INDEX.bollinger_upper]).toBe(10);
    expect(r[FEATURE_INDEX.bollinger_lower]).toBe(10);
    expect(r[FEATURE_INDEX.atr_value]).toBe(0);
    expect(r[FEATURE_INDEX.adx_value]).toBe(0);
    expect(m.firstValid).toBe(WARMUP_BARS);
  });
});

describe('warm-up', () => {
  it('flags the first WARMUP_BARS bars and nothing after them; every indicator is defined from FIRST_DEFINED_BAR', () => {
    const m = computeFeatures(randomWalkCandles(300, { seed: 2 }));
    expect(FEATURE_COUNT).toBe(16);
    for (let i = 0; i < WARMUP_BARS; i++) expect(m.valid[i]).toBe(0);
    for (let i = WARMUP_BARS; i < 300; i++) expect(m.valid[i]).toBe(1);
    expect(featureRow(m, FIRST_DEFINED_BAR).every(Number.isFinite)).toBe(true);
    expect(featureRow(m, FIRST_DEFINED_BAR - 1).some(Number.isNaN)).toBe(true);
  });
});

/** Random OHLCV series including flat stretches, gaps, spikes and zero volume. */
const seriesArb = fc
  .record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    n: fc.integer({ min: 120, max: 400 }),
    flatFrom: fc.integer({ min: 0, max: 300 }),
    flatLen: fc.integer({ min: 0, max: 60 }),
    sigma: fc.constantFrom(0.0001, 0.002, 0.05),
    zeroVolume: fc.boolean(),
  })
  .map(({ seed, n, flatFrom, flatLen, sigma, zeroVolume }) => {
    const base = randomWalkCandles(n, { seed, sigma });
    const r = rng(seed);
    return base.map((c, i) => {
      if (i >= flatFrom && i < flatFrom + flatLen) {
        const p = base[Math.min(flatFrom, n - 1)].open;
        return { ...c, open: p, high: p, low: p, close: p, volume: zeroVolume ? 0 : c.volume };
      }
      return r() < 0.01 ? { ...c, high: c.high * 1.2 } : c;
    });
  });

describe('invariants (property tests)', () => {
  it('RSI, stochastics and ADX stay in [0, 100], Bollinger lower ≤ upper, ATR ≥ 0, nothing NaN or infinite after warm-up', () => {
    fc.assert(
      fc.property(seriesArb, (candles) => {
        const m = computeFeatures(candles);
        const problems: string[] = [];
        const check = (ok: boolean, what: string, i: number) => {
          if (!ok && problems.length < 5) problems.push(`bar ${i}: ${what}`);
        };
        for (let i = WARMUP_BARS; i < m.n; i++) {
          check(m.valid[i] === 1, 'not valid', i);
          const r = featureRow(m, i);
          r.forEach((v, f) => check(Number.isFinite(v), `${FEATURE_NAMES[f]} = ${v}`, i));
          for (const name of ['rsi_value', 'stoch_k', 'stoch_d', 'adx_value'] as const) {
            const v = r[FEATURE_INDEX[name]];
            check(v >= 0 && v <= 100 + 1e-9, `${name} = ${v} outside [0, 100]`, i);
          }
          check(r[FEATURE_INDEX.bollinger_lower] <= r[FEATURE_INDEX.bollinger_upper], 'bollinger_lower > bollinger_upper', i);
          check(r[FEATURE_INDEX.atr_value] >= 0, 'atr_value < 0', i);
          check(r[FEATURE_INDEX.volatility] >= 0, 'volatility < 0', i);
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
