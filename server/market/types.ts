/**
 * Candle types shared by every market stage. Timestamps are epoch milliseconds (UTC) of the bar's open.
 * Files without a zone (MetaTrader server time, Yahoo dates) are read as UTC wall-clock time.
 */
export interface Candle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Column-oriented candles: what indicators, labels and samples loop over. */
export interface CandleColumns {
  n: number;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/** What a sample snapshot records about the dataset it came from (lineage). */
export interface DatasetRef {
  name: string;
  symbol?: string;
  timeframe?: string;
  /** The dataset's content hash at the time (see hashCandles). */
  contentHash?: string | null;
}

export function isColumns(c: readonly Candle[] | CandleColumns): c is CandleColumns {
  return !Array.isArray(c) && (c as CandleColumns).ts instanceof Float64Array;
}

/** n zeroed candle columns. */
export function emptyColumns(n: number): CandleColumns {
  return { n, ts: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
}

export function toColumns(candles: readonly Candle[] | CandleColumns): CandleColumns {
  if (isColumns(candles)) return candles;
  const list = candles as readonly Candle[];
  const n = list.length;
  const cols = emptyColumns(n);
  for (let i = 0; i < n; i++) {
    const c = list[i];
    cols.ts[i] = c.ts;
    cols.open[i] = c.open;
    cols.high[i] = c.high;
    cols.low[i] = c.low;
    cols.close[i] = c.close;
    cols.volume[i] = c.volume;
  }
  return cols;
}

