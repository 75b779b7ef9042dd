import { badRequest } from '../errors';
import { FEATURE_COUNT, FEATURE_NAMES } from './indicators';

/**
 * The model input transform: computed from the 16 features ALONE, so serving applies exactly this to what the
 * trading app sends (no candles needed, no train/serve skew). Price-level indicators become relative to ema_12 (the
 * price proxy available in the 16 fields), bounded oscillators are scaled to [0, 1], volume goes to log scale:
 *
 * | input             | from                                   |
 * | ----------------- | -------------------------------------- |
 * | adx               | adx_value / 100                        |
 * | rsi               | rsi_value / 100                        |
 * | ema21_rel         | ema_21 / ema_12 − 1                    |
 * | ema50_rel         | ema_50 / ema_12 − 1                    |
 * | vwap_rel          | vwap / ema_12 − 1                      |
 * | atr_rel           | atr_value / ema_12                     |
 * | bb_upper_rel      | bollinger_upper / ema_12 − 1           |
 * | bb_lower_rel      | bollinger_lower / ema_12 − 1           |
 * | stoch_k           | stoch_k / 100                          |
 * | stoch_d           | stoch_d / 100                          |
 * | macd_rel          | macd_line / ema_12                     |
 * | macd_signal_rel   | macd_signal / ema_12                   |
 * | log_volume_ma     | ln(1 + volume_ma)                      |
 * | price_change_pct  | price_change_pct (percent, unchanged)  |
 * | volatility        | volatility (std of log returns)        |
 *
 * The standard scaler (scaler.ts) is applied after this transform. TRANSFORM_ID goes into the model artifact.
 */
export const TRANSFORM_ID = 'rel-ema12-v1';
export const TRANSFORMED_FEATURE_NAMES = [
  'adx',
  'rsi',
  'ema21_rel',
  'ema50_rel',
  'vwap_rel',
  'atr_rel',
  'bb_upper_rel',
  'bb_lower_rel',
  'stoch_k',
  'stoch_d',
  'macd_rel',
  'macd_signal_rel',
  'log_volume_ma',
  'price_change_pct',
  'volatility',
] as const;
export const TRANSFORMED_COUNT = TRANSFORMED_FEATURE_NAMES.length;

/**
 * Unchecked inner loop: reads 16 features at `src[so..]`, writes 15 inputs at `dst[dO..]`. The caller guarantees
 * finite values and ema_12 > 0 (computeFeatures' valid rows do; transformFeatures checks).
 */
export function transformInto(src: ArrayLike<number>, so: number, dst: Float64Array | Float32Array | number[], dO: number): void {
  const p = src[so + 2];
  dst[dO] = src[so] / 100;
  dst[dO + 1] = src[so + 1] / 100;
  dst[dO + 2] = src[so + 3] / p - 1;
  dst[dO + 3] = src[so + 4] / p - 1;
  dst[dO + 4] = src[so + 5] / p - 1;
  dst[dO + 5] = src[so + 6] / p;
  dst[dO + 6] = src[so + 7] / p - 1;
  dst[dO + 7] = src[so + 8] / p - 1;
  dst[dO + 8] = src[so + 9] / 100;
  dst[dO + 9] = src[so + 10] / 100;
  dst[dO + 10] = src[so + 11] / p;
  dst[dO + 11] = src[so + 12] / p;
  dst[dO + 12] = Math.log1p(src[so + 13]);
  dst[dO + 13] = src[so + 14];
  dst[dO + 14] = src[so + 15];
}

/**
 * Which of the 16 raw indicators (FEATURE_NAMES indices) each model input reads, as `transformInto` does: every
 * price-relative input also reads ema_12 (index 2), the reference price. Serving uses it to know which inputs a
 * missing indicator makes unknown.
 */
export const INPUT_SOURCES: readonly (readonly number[])[] = [[0], [1], [3, 2], [4, 2], [5, 2], [6, 2], [7, 2], [8, 2], [9], [10], [11, 2], [12, 2], [13], [14], [15]];

/**
 * Checks one row of the 16 features as a caller sent it; BAD_REQUEST naming the field otherwise. With `absent`,
 * fields marked 1 are not there (to be imputed) and are not checked.
 */
export function assertFeatureRow(row: ArrayLike<number>, where = 'features', absent?: ArrayLike<number>): void {
  if (row.length !== FEATURE_COUNT) {
    throw badRequest(`${where}: expected ${FEATURE_COUNT} values (${FEATURE_NAMES.join(', ')}), got ${row.length}`, { field: where });
  }
  for (let i = 0; i < FEATURE_COUNT; i++) {
    if (absent?.[i]) continue;
    const v = row[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw badRequest(`${where}.${FEATURE_NAMES[i]}: must be a finite number, got ${String(v)}`, { field: FEATURE_NAMES[i] });
    }
  }
  if (!absent?.[2] && row[2] <= 0) throw badRequest(`${where}.ema_12: must be a positive price, got ${row[2]}`, { field: 'ema_12' });
  if (!absent?.[13] && row[13] < 0) throw badRequest(`${where}.volume_ma: must be ≥ 0, got ${row[13]}`, { field: 'volume_ma' });
}

/**
 * Median of each model input (before scaling) over rows `from..to` of a feature matrix, skipping invalid rows: the
 * scale-free values serving imputes an unknown input with. Stored in the artifact.
 */
export function inputMedians(values: ArrayLike<number>, valid: ArrayLike<number | boolean>, from: number, to: number): number[] {
  const cols: number[][] = Array.from({ length: TRANSFORMED_COUNT }, () => []);
  const tmp = new Float64Array(TRANSFORMED_COUNT);
  for (let i = Math.max(0, from); i <= to; i++) {
    if (!valid[i]) continue;
    transformInto(values, i * FEATURE_COUNT, tmp, 0);
    for (let f = 0; f < TRANSFORMED_COUNT; f++) if (Number.isFinite(tmp[f])) cols[f].push(tmp[f]);
  }
  return cols.map((c) => {
    if (!c.length) return NaN;
    c.sort((a, b) => a - b);
    return c.length % 2 ? c[c.length >> 1] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  });
}

/** The model inputs (TRANSFORMED_FEATURE_NAMES order) for one row of the 16 features, checked. */
export function transformFeatures(row: ArrayLike<number>): number[] {
  assertFeatureRow(row);
  const out = new Array<number>(TRANSFORMED_COUNT);
  transformInto(row, 0, out, 0);
  return out;
}
