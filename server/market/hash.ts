import crypto from 'node:crypto';
import { toColumns, type Candle, type CandleColumns } from './types';

/**
 * SHA-256 over candles in time order: each bar as six little-endian float64 (ts ms, open, high, low, close,
 * volume). Identical content → identical hash, whether computed from the database or from a parsed file.
 */
export function hashCandles(candles: readonly Candle[] | CandleColumns): string {
  const c = toColumns(candles);
  const h = crypto.createHash('sha256');
  const CHUNK = 4096;
  const buf = Buffer.alloc(CHUNK * 48);
  for (let start = 0; start < c.n; start += CHUNK) {
    const end = Math.min(c.n, start + CHUNK);
    let o = 0;
    for (let i = start; i < end; i++) {
      buf.writeDoubleLE(c.ts[i], o);
      buf.writeDoubleLE(c.open[i], o + 8);
      buf.writeDoubleLE(c.high[i], o + 16);
      buf.writeDoubleLE(c.low[i], o + 24);
      buf.writeDoubleLE(c.close[i], o + 32);
      buf.writeDoubleLE(c.volume[i], o + 40);
      o += 48;
    }
    h.update(buf.subarray(0, o));
  }
  return h.digest('hex');
}
