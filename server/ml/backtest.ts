/**
 * A simple, honest signal backtest — a plain function over arrays.
 *
 * Rules:
 *  - samples are consecutive bars in chronological order (one sample per bar, e.g. the test part);
 *  - a BUY opens a long, a SELL a short, at the sample's close; the position is held for exactly `horizon` bars (the
 *    label horizon) and earns direction × forward return of that sample; HOLD stays flat for one bar;
 *  - positions never overlap: signals arriving while a position is open are ignored (the next decision is taken at
 *    the bar where the position closes);
 *  - costs: `costBps` basis points per side, so every trade pays 2 × costBps / 10⁴ (entry and exit);
 *  - for the curve, the Sharpe ratio and the drawdown, a trade's net return is spread evenly (geometrically) over the
 *    bars it is open, flat bars return 0; Sharpe = mean / std (sample) of those per-bar returns × √periodsPerYear.
 */
import { BUY, SELL } from './types';

export interface BacktestInput {
  /** Predicted class per sample (0 SELL, 1 HOLD, 2 BUY). */
  signals: ArrayLike<number>;
  /** Simple return from the sample's close over the horizon (0.01 = +1 %). */
  forwardReturns: ArrayLike<number>;
  /** Optional time (ms) per sample, used as the curve's x; the index otherwise. */
  times?: ArrayLike<number>;
  /** Bars a position is held (the label horizon), ≥ 1. */
  horizon: number;
  /** Cost per side in basis points (≥ 0). */
  costBps: number;
  /** Bars per year, to annualise the Sharpe ratio (e.g. 252 for daily stocks, 8760 for hourly crypto, ≈ 6240 for hourly FX). */
  periodsPerYear: number;
}

export interface BacktestResult {
  trades: number;
  longs: number;
  shorts: number;
  /** Trades with a positive net return. */
  wins: number;
  /** wins / trades (NaN without trades). */
  winRate: number;
  /** Final equity − 1 (compounded net trade returns). */
  totalReturn: number;
  /** Mean net return per trade (NaN without trades). */
  avgTradeReturn: number;
  /** Annualised Sharpe ratio of per-bar returns (0 when they do not vary). */
  sharpe: number;
  /** Largest peak-to-trough fall of the equity curve, as a fraction of the peak (≥ 0). */
  maxDrawdown: number;
  /** Fraction of bars with an open position. */
  exposure: number;
  /** Equity after each bar (starts at 1 before the first bar). */
  curve: Array<{ t: number; equity: number }>;
  costBps: number;
  horizon: number;
  bars: number;
}

export function backtest(input: BacktestInput): BacktestResult {
  const { signals, forwardReturns, times, horizon, costBps, periodsPerYear } = input;
  const n = signals.length;
  if (forwardReturns.length !== n) throw new Error(`backtest: ${n} signals but ${forwardReturns.length} forward returns`);
  if (times && times.length !== n) throw new Error(`backtest: ${n} signals but ${times.length} times`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`backtest: horizon must be an integer ≥ 1 (got ${horizon})`);
  if (!(costBps >= 0) || !Number.isFinite(costBps)) throw new Error(`backtest: costBps must be a finite number ≥ 0 (got ${costBps})`);
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) throw new Error(`backtest: periodsPerYear must be > 0 (got ${periodsPerYear})`);

  const cost = (2 * costBps) / 1e4;
  const barReturns = new Float64Array(n);
  let trades = 0;
  let longs = 0;
  let shorts = 0;
  let wins = 0;
  let tradeSum = 0;
  let inPosition = 0;
  let i = 0;
  while (i < n) {
    const s = signals[i];
    if (s !== BUY && s !== SELL) {
      i += 1;
      continue;
    }
    const r = forwardReturns[i];
    if (!Number.isFinite(r)) throw new Error(`backtest: forward return at sample ${i} is not finite`);
    const dir = s === BUY ? 1 : -1;
    const net = Math.max(-1, dir * r - cost); // a position cannot lose more than everything
    trades++;
    if (dir > 0) longs++;
    else shorts++;
    if (net > 0) wins++;
    tradeSum += net;
    const bars = Math.min(horizon, n - i);
    // Spread geometrically over the bars of the horizon that lie inside the sample (the whole trade counts).
    const perBar = Math.pow(1 + net, 1 / bars) - 1;
    for (let k = 0; k < bars; k++) barReturns[i + k] = perBar;
    inPosition += bars;
    i += horizon;
  }

  const curve: Array<{ t: number; equity: number }> = [];
  let equity = 1;
  let peak = 1;
  let maxDrawdown = 0;
  let mean = 0;
  for (let k = 0; k < n; k++) {
    equity *= 1 + barReturns[k];
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak > 0 ? (peak - equity) / peak : 0);
    curve.push({ t: times ? times[k] : k, equity });
    mean += barReturns[k];
  }
  mean = n > 0 ? mean / n : 0;
  let variance = 0;
  for (let k = 0; k < n; k++) variance += (barReturns[k] - mean) ** 2;
  variance = n > 1 ? variance / (n - 1) : 0;
  const sd = Math.sqrt(variance);
  const sharpe = sd > 1e-15 ? (mean / sd) * Math.sqrt(periodsPerYear) : 0;

  return {
    trades,
    longs,
    shorts,
    wins,
    winRate: trades > 0 ? wins / trades : NaN,
    totalReturn: equity - 1,
    avgTradeReturn: trades > 0 ? tradeSum / trades : NaN,
    sharpe,
    maxDrawdown,
    exposure: n > 0 ? inPosition / n : 0,
    curve,
    costBps,
    horizon,
    bars: n,
  };
}
