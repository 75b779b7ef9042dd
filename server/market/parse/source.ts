import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { badRequest } from '../../errors';
import type { Candle } from '../types';
import { parseCandles, type ParseOptions, type ParseSummary } from './parse-candles';

/**
 * A file path, the bytes, or a byte stream: a Node Readable, a web ReadableStream (async-iterable in Node 20, e.g. a
 * Request body) or any async iterable of chunks.
 */
export type CandleSource = string | Buffer | Readable | AsyncIterable<Uint8Array | string>;

/** Opens a path (checked: exists, is a file), a Readable or a Buffer as a byte stream. */
export interface OpenedSource {
  stream: AsyncIterable<Uint8Array | string>;
  size: number | null;
  fileName: string | null;
  /** Closes a file this function opened (a caller's Readable is left alone). */
  close(): void;
}

export function openSource(source: CandleSource): OpenedSource {
  if (typeof source === 'string') {
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch {
      throw badRequest(`file: no such file '${source}'`, { field: 'file' });
    }
    if (!st.isFile()) throw badRequest(`file: '${source}' is not a regular file`, { field: 'file' });
    const stream = fs.createReadStream(source, { highWaterMark: 256 * 1024 });
    return { stream, size: st.size, fileName: path.basename(source), close: () => stream.destroy() };
  }
  if (Buffer.isBuffer(source)) return { stream: Readable.from([source]), size: source.length, fileName: null, close: () => {} };
  return { stream: source, size: null, fileName: null, close: () => {} };
}

/** Parses a whole candle file into memory, ascending by time (newest-first files are reversed). */
export async function readCandles(source: CandleSource, opts: ParseOptions = {}): Promise<{ candles: Candle[]; summary: ParseSummary }> {
  const src = openSource(source);
  const candles: Candle[] = [];
  let summary: ParseSummary;
  try {
    summary = await parseCandles(src.stream, opts, (b) => {
      for (let i = 0; i < b.n; i++) {
        candles.push({ ts: b.ts[i], open: b.open[i], high: b.high[i], low: b.low[i], close: b.close[i], volume: b.volume[i] });
      }
    });
  } finally {
    src.close();
  }
  if (summary.newestFirst) candles.reverse();
  return { candles, summary };
}
