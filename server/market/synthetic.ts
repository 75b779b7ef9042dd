import { RSI } from 'trading-signals';
import type { Candle } from './types';

/**
 * Seeded synthetic candles, for tests and demos (never a stand-in for real data in evaluation).
 */

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal (Box–Muller) from a uniform source. */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

export interface WalkOptions {
  seed?: number;
  start?: number;
  /** Bar size in ms (default 1 h). */
  barMs?: number;
  /** First open. */
  price?: number;
  /** Per-bar log-return volatility. */
  sigma?: number;
  /** Extra per-bar log drift computed from the bars so far (for series whose future depends on the past). */
  drift?: (closes: readonly number[]) => number;
}

/** A geometric random walk with consistent OHLC (high ≥ max(open, close), low ≤ min(open, close)) and volume. */
export function randomWalkCandles(n: number, opts: WalkOptions = {}): Candle[] {
  const rand = rng(opts.seed ?? 1);
  const z = gaussian(rand);
  const barMs = opts.barMs ?? 3_600_000;
  const start = opts.start ?? Date.UTC(2020, 0, 1);
  const sigma = opts.sigma ?? 0.002;
  let price = opts.price ?? 100;
  const closes: number[] = [];
  const out: Candle[] = [];
  for (let i = 0; i < n; i++) {
    const open = price;
    const mu = opts.drift ? opts.drift(closes) : 0;
    const close = open * Math.exp(mu + sigma * z());
    const high = Math.max(open, close) * (1 + Math.abs(z()) * sigma * 0.5);
    const low = Math.min(open, close) * (1 - Math.abs(z()) * sigma * 0.5);
    const volume = Math.round(1000 * (0.5 + rand()));
    out.push({ ts: start + i * barMs, open, high, low, close, volume });
    closes.push(close);
    price = close;
  }
  return out;
}

/**
 * A random walk whose next-bar drift depends on a PAST indicator (mean reversion on RSI 14: drift =
 * 0.005 × (50 − RSI) / 25, σ = 0.002): there is something real to learn, with no look-ahead.
 */
export function plantedSignalCandles(n: number, seed: number): Candle[] {
  const rsi = new RSI(14);
  return randomWalkCandles(n, {
    seed,
    drift: (closes) => {
      if (!closes.length) return 0;
      const r = rsi.update(closes[closes.length - 1], false);
      return r === null ? 0 : (0.005 * (50 - r)) / 25;
    },
  });
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2015.03.09` and `14:00:00` (UTC). */
export function mtDateTime(ms: number): [string, string] {
  const d = new Date(ms);
  return [`${d.getUTCFullYear()}.${pad(d.getUTCMonth() + 1)}.${pad(d.getUTCDate())}`, `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`];
}

/** Candles written as a file of one of the supported formats (for tests of the parsers). */
export function toCsv(
  candles: readonly Candle[],
  format: 'mt-comma' | 'mt5-tab-crlf' | 'mt-daily' | 'mt4-headerless' | 'cdd' | 'yahoo' | 'vega' | 'generic',
): string {
  const num = (v: number) => String(v);
  switch (format) {
    case 'mt-comma':
      return (
        ['<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,Adj Close,<TICKVOL>,<VOL>,<SPREAD>']
          .concat(candles.map((c) => [...mtDateTime(c.ts), num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume), '1.1E+11', '10'].join(',')))
          .join('\n') + '\n'
      );
    case 'mt5-tab-crlf':
      return (
        ['<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>']
          .concat(candles.map((c) => [...mtDateTime(c.ts), num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume), '0', '7'].join('\t')))
          .join('\r\n') + '\r\n'
      );
    case 'mt-daily':
      return (
        ['<DATE>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>']
          .concat(candles.map((c) => [mtDateTime(c.ts)[0], num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume), '0', '20'].join(',')))
          .join('\n') + '\n'
      );
    case 'mt4-headerless':
      return candles.map((c) => [mtDateTime(c.ts)[0], mtDateTime(c.ts)[1].slice(0, 5), num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume)].join(',')).join('\n') + '\n';
    case 'cdd':
      return (
        ['https://www.CryptoDataDownload.com', 'unix,date,symbol,open,high,low,close,Volume BTC,Volume USDT,tradecount']
          .concat(
            [...candles]
              .reverse()
              .map((c) =>
                [String(c.ts), new Date(c.ts).toISOString().replace('T', ' ').slice(0, 19), 'BTC/USDT', num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume), num(c.volume * c.close), '1234'].join(','),
              ),
          )
          .join('\n') + '\n'
      );
    case 'yahoo':
      return (
        ['Date,Open,High,Low,Close,Adj Close,Volume']
          .concat(candles.map((c) => [new Date(c.ts).toISOString().slice(0, 10), num(c.open), num(c.high), num(c.low), num(c.close), num(c.close * 0.9), num(c.volume)].join(',')))
          .join('\n') + '\n'
      );
    case 'vega':
      return (
        ['date,open,high,low,close,adjclose,volume']
          .concat(candles.map((c) => [new Date(c.ts).toISOString().slice(0, 10), num(c.open), num(c.high), num(c.low), num(c.close), num(c.close), num(c.volume)].join(',')))
          .join('\n')
      );
    case 'generic':
      return (
        ['When;O;H;L;C;Qty']
          .concat(candles.map((c) => [new Date(c.ts).toISOString(), num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume)].join(';')))
          .join('\n') + '\n'
      );
  }
}
