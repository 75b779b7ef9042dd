import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { FEATURE_NAMES } from './indicators';
import { applyScaler, applyScalerInPlace, fitScaler, fitScalerMatrix, scalerFromJSON } from './scaler';
import { TRANSFORMED_COUNT, TRANSFORMED_FEATURE_NAMES, transformFeatures } from './transform';

// adx, rsi, ema12, ema21, ema50, vwap, atr, bbU, bbL, stochK, stochD, macd, macdSig, volMa, chg%, vol
const row = [25, 60, 100, 99, 95, 101, 2, 104, 96, 80, 70, 0.5, 0.4, 1000, 0.3, 0.01];

describe('model input transform (from the 16 fields alone)', () => {
  it('makes price levels relative to ema_12 and scales oscillators', () => {
    const x = transformFeatures(row);
    expect(x).toHaveLength(TRANSFORMED_COUNT);
    const by = Object.fromEntries(TRANSFORMED_FEATURE_NAMES.map((n, i) => [n, x[i]]));
    expect(by.adx).toBeCloseTo(0.25);
    expect(by.rsi).toBeCloseTo(0.6);
    expect(by.ema21_rel).toBeCloseTo(-0.01);
    expect(by.ema50_rel).toBeCloseTo(-0.05);
    expect(by.vwap_rel).toBeCloseTo(0.01);
    expect(by.atr_rel).toBeCloseTo(0.02);
    expect(by.bb_upper_rel).toBeCloseTo(0.04);
    expect(by.bb_lower_rel).toBeCloseTo(-0.04);
    expect(by.stoch_k).toBeCloseTo(0.8);
    expect(by.macd_rel).toBeCloseTo(0.005);
    expect(by.log_volume_ma).toBeCloseTo(Math.log(1001));
    expect(by.price_change_pct).toBe(0.3);
    expect(by.volatility).toBe(0.01);
  });

  it('is scale-free in price: the same market at 100× the price gives the same inputs', () => {
    const scaled = row.map((v, i) => ([2, 3, 4, 5, 6, 7, 8, 11, 12].includes(i) ? v * 100 : v));
    const a = transformFeatures(row);
    const b = transformFeatures(scaled);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 12));
  });

  it('rejects bad rows naming the field', () => {
    const bad = (r: unknown[], re: RegExp) => {
      const e = (() => {
        try {
          transformFeatures(r as number[]);
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).message).toMatch(re);
    };
    bad(row.slice(0, 15), /expected 16 values/);
    bad(row.map((v, i) => (i === 1 ? NaN : v)), /features\.rsi_value: must be a finite number/);
    bad(row.map((v, i) => (i === 2 ? 0 : v)), /features\.ema_12: must be a positive price/);
    bad(row.map((v, i) => (i === 13 ? -1 : v)), /volume_ma/);
    expect(FEATURE_NAMES[1]).toBe('rsi_value');
  });
});

describe('standard scaler', () => {
  it('fits mean and population std, applies, and survives JSON', () => {
    const rows = [
      [1, 10, 5],
      [2, 20, 5],
      [3, 30, 5],
    ];
    const s = fitScaler(rows, ['a', 'b', 'c']);
    expect(s.means).toEqual([2, 20, 5]);
    expect(s.stds[0]).toBeCloseTo(Math.sqrt(2 / 3));
    expect(s.stds[2]).toBe(1); // constant input: centred only
    expect(applyScaler(s, [2, 20, 5])).toEqual([0, 0, 0]);
    const back = scalerFromJSON(JSON.stringify(s));
    expect(back).toEqual(s);
    const m = new Float32Array([1, 10, 5, 3, 30, 5]);
    applyScalerInPlace(back, m);
    expect(m[0]).toBeCloseTo(-Math.sqrt(3 / 2), 5);
    expect(() => scalerFromJSON({ ...s, stds: [1, 0, 1] })).toThrow(DomainError);
    expect(() => applyScaler(s, [1, 2])).toThrow(/expected 3 inputs/);
  });

  it('fits only on the requested rows', () => {
    const data = new Float64Array([0, 0, 10, 10, 1000, 1000]);
    const s = fitScalerMatrix(data, 2, ['x', 'y'], { from: 0, to: 2 });
    expect(s.means).toEqual([5, 5]);
    expect(s.fittedRows).toBe(2);
  });
});
