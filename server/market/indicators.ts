import { ATR, BollingerBands, EMA, MACD, RSI, SMA, StochasticOscillator } from 'trading-signals';
import { toColumns, type Candle, type CandleColumns } from './types';

/**
 * The 16 features, in the order the trading app sends them and models consume them.
 *
 * Library: `trading-signals` (bennycode, TypeScript, streaming `update()` per bar, checked against Tulip Indicators)
 * for RSI, EMA, ATR, Bollinger Bands, Stochastic, MACD and the volume SMA. Streaming by construction: the value at
 * bar t is computed from bars ≤ t only. Hand-written here: ADX (the library's DX divides 0/0 on flat stretches,
 * which turns ADX into NaN for the rest of the series), rolling VWAP, price change and volatility (not in the library
 * in the rolling form needed).
 *
 * | feature            | definition                                                                                   |
 * | ------------------ | -------------------------------------------------------------------------------------------- |
 * | adx_value          | Wilder ADX(14): Wilder-smoothed +DM/−DM/TR → DX; ADX = Wilder average of DX (0 when TR = 0)   |
 * | rsi_value          | Wilder RSI(14): Wilder-smoothed average gain / loss, seeded with their 14-bar mean             |
 * | ema_12/21/50       | EMA, α = 2/(n+1), seeded with the first close                                                  |
 * | vwap               | rolling 20-bar VWAP of the typical price (H+L+C)/3; mean typical price when the window has 0 volume |
 * | atr_value          | Wilder ATR(14): true range, Wilder-smoothed, seeded with the 14-bar mean (first TR = H − L)    |
 * | bollinger_upper/lower | SMA(20) ± 2 × population standard deviation of the close                                    |
 * | stoch_k, stoch_d   | fast %K(14) = 100 (C − LL14)/(HH14 − LL14) (0 on a flat window), %D = SMA(3) of %K               |
 * | macd_line/signal   | EMA(12) − EMA(26) of the close; signal = EMA(9) of the MACD line (price units)                 |
 * | volume_ma          | SMA(20) of volume (tick volume for FX)                                                         |
 * | price_change_pct   | 100 × (C_t / C_{t−1} − 1)                                                                      |
 * | volatility         | sample standard deviation of the last 20 one-bar log returns ln(C_t / C_{t−1}) (not annualised) |
 *
 * Warm-up: every indicator is defined from bar 49 (EMA 50); the first WARMUP_BARS = 100 bars are flagged invalid so
 * the first-close EMA seeds have decayed (EMA-50's seed weight is below 2% by bar 100).
 */
export const FEATURE_NAMES = [
  'adx_value',
  'rsi_value',
  'ema_12',
  'ema_21',
  'ema_50',
  'vwap',
  'atr_value',
  'bollinger_upper',
  'bollinger_lower',
  'stoch_k',
  'stoch_d',
  'macd_line',
  'macd_signal',
  'volume_ma',
  'price_change_pct',
  'volatility',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>;

export const INDICATOR_PERIODS = {
  adx: 14,
  rsi: 14,
  ema: [12, 21, 50],
  vwap: 20,
  atr: 14,
  bollinger: { period: 20, stdDevs: 2 },
  stoch: { k: 14, d: 3 },
  macd: { fast: 12, slow: 26, signal: 9 },
  volumeMa: 20,
  volatility: 20,
} as const;

/** Bars flagged as warm-up (excluded from samples) at the start of a series. */
export const WARMUP_BARS = 100;
/** First bar index at which every indicator has a value (EMA-50). */
export const FIRST_DEFINED_BAR = 49;

export interface FeatureMatrix {
  n: number;
  /** n × 16, row-major, in FEATURE_NAMES order; NaN where an indicator is not defined yet. */
  values: Float64Array;
  /** 1 when the bar is past the warm-up and all 16 values are finite. */
  valid: Uint8Array;
  /** Index of the first valid bar (n when there is none). */
  firstValid: number;
  warmupBars: number;
}

/** Wilder's ADX, incremental. Defined from the (2n − 1)-th bar on (index 27 for n = 14). */
export class WilderAdx {
  private prevH = NaN;
  private prevL = NaN;
  private prevC = NaN;
  private count = 0; // bars seen
  private tr = 0;
  private pdm = 0;
  private mdm = 0;
  private dxSum = 0;
  private adx = NaN;
  constructor(readonly period = 14) {}

  update(high: number, low: number, close: number): number | null {
    const n = this.period;
    const i = this.count++;
    if (i === 0) {
      this.prevH = high;
      this.prevL = low;
      this.prevC = close;
      return null;
    }
    const up = high - this.prevH;
    const down = this.prevL - low;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    const tr = Math.max(high - low, Math.abs(high - this.prevC), Math.abs(low - this.prevC));
    this.prevH = high;
    this.prevL = low;
    this.prevC = close;
    if (i <= n) {
      this.tr += tr;
      this.pdm += pdm;
      this.mdm += mdm;
      if (i < n) return null;
    } else {
      this.tr = this.tr - this.tr / n + tr;
      this.pdm = this.pdm - this.pdm / n + pdm;
      this.mdm = this.mdm - this.mdm / n + mdm;
    }
    const pdi = this.tr > 0 ? (100 * this.pdm) / this.tr : 0;
    const mdi = this.tr > 0 ? (100 * this.mdm) / this.tr : 0;
    const sum = pdi + mdi;
    const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    if (i < 2 * n - 1) {
      this.dxSum += dx;
      return null;
    }
    if (i === 2 * n - 1) {
      this.adx = (this.dxSum + dx) / n;
    } else {
      this.adx = (this.adx * (n - 1) + dx) / n;
    }
    return this.adx;
  }
}

/**
 * The 16 features for every bar. Streaming and causal: row t depends on bars 0..t only (a test recomputes on
 * prefixes to prove it).
 */
export function computeFeatures(candles: readonly Candle[] | CandleColumns, opts: { warmupBars?: number } = {}): FeatureMatrix {
  const c = toColumns(candles);
  const n = c.n;
  const F = FEATURE_COUNT;
  const P = INDICATOR_PERIODS;
  const warmupBars = Math.max(opts.warmupBars ?? WARMUP_BARS, FIRST_DEFINED_BAR + 1);
  const values = new Float64Array(n * F).fill(NaN);
  const valid = new Uint8Array(n);

  const adx = new WilderAdx(P.adx);
  const rsi = new RSI(P.rsi);
  const ema12 = new EMA(P.ema[0]);
  const ema21 = new EMA(P.ema[1]);
  const ema50 = new EMA(P.ema[2]);
  const atr = new ATR(P.atr);
  const bb = new BollingerBands(P.bollinger.period, P.bollinger.stdDevs);
  const stoch = new StochasticOscillator({ kPeriod: P.stoch.k, kSlowingPeriod: 1, dPeriod: P.stoch.d });
  const macd = new MACD(new EMA(P.macd.fast), new EMA(P.macd.slow), new EMA(P.macd.signal));
  const volMa = new SMA(P.volumeMa);
  const macdSignalFrom = P.macd.slow + P.macd.signal - 2;

  let firstValid = n;
  for (let i = 0; i < n; i++) {
    const high = c.high[i];
    const low = c.low[i];
    const close = c.close[i];
    const volume = c.volume[i];
    const hlc = { high, low, close };
    const o = i * F;

    const a = adx.update(high, low, close);
    if (a !== null) values[o] = a;
    const r = rsi.update(close, false);
    if (r !== null) values[o + 1] = r;
    const e12 = ema12.update(close, false);
    const e21 = ema21.update(close, false);
    const e50 = ema50.update(close, false);
    if (i >= P.ema[0] - 1) values[o + 2] = e12;
    if (i >= P.ema[1] - 1) values[o + 3] = e21;
    if (i >= P.ema[2] - 1) values[o + 4] = e50;

    if (i >= P.vwap - 1) {
      let pv = 0;
      let v = 0;
      let tp = 0;
      for (let j = i - P.vwap + 1; j <= i; j++) {
        const t = (c.high[j] + c.low[j] + c.close[j]) / 3;
        pv += t * c.volume[j];
        v += c.volume[j];
        tp += t;
      }
      values[o + 5] = v > 0 ? pv / v : tp / P.vwap;
    }

    const at = atr.update(hlc, false);
    if (at !== null) values[o + 6] = at;
    const b = bb.update(close, false);
    if (b !== null) {
      values[o + 7] = b.upper;
      values[o + 8] = b.lower;
    }
    const s = stoch.update(hlc, false);
    if (s !== null) {
      values[o + 9] = s.stochK;
      values[o + 10] = s.stochD;
    }
    const m = macd.update(close, false);
    if (m !== null) {
      values[o + 11] = m.macd;
      if (i >= macdSignalFrom) values[o + 12] = m.signal;
    }
    const vm = volMa.update(volume, false);
    if (vm !== null) values[o + 13] = vm;
    if (i >= 1) values[o + 14] = 100 * (close / c.close[i - 1] - 1);
    if (i >= P.volatility) {
      const k = P.volatility;
      let sum = 0;
      let sq = 0;
      for (let j = i - k + 1; j <= i; j++) {
        const lr = Math.log(c.close[j] / c.close[j - 1]);
        sum += lr;
        sq += lr * lr;
      }
      const mean = sum / k;
      values[o + 15] = Math.sqrt(Math.max(0, (sq - k * mean * mean) / (k - 1)));
    }

    if (i >= warmupBars) {
      let ok = 1;
      for (let f = 0; f < F; f++) {
        if (!Number.isFinite(values[o + f])) {
          ok = 0;
          break;
        }
      }
      valid[i] = ok;
      if (ok && firstValid === n) firstValid = i;
    }
  }
  return { n, values, valid, firstValid, warmupBars };
}

/** Row `i` as a plain array in FEATURE_NAMES order. */
export function featureRow(m: FeatureMatrix, i: number): number[] {
  return Array.from(m.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
}

/** One feature across all bars. */
export function featureColumn(m: FeatureMatrix, name: FeatureName): Float64Array {
  const f = FEATURE_INDEX[name];
  const out = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) out[i] = m.values[i * FEATURE_COUNT + f];
  return out;
}
