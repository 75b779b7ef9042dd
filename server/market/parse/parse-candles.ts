import { badRequest } from '../../errors';
import { inferBarMs } from '../timeframe';
import type { Candle } from '../types';
import { isoOf, parseDate, parseDateOrUnix, parseNumber, parseTimeOfDay, parseUnix, splitLine } from './fields';
import { detectFormat, type CandleFormat, type ColumnMapping, type ColumnPlan, type FormatOption } from './formats';
import { readLineBatches } from './lines';
import { barProblem } from './bar-check';

/** A batch of valid rows in file order, column-wise (what a multi-row insert wants). */
export interface CandleBatch {
  n: number;
  /** Where each row came from, for error reports: its line in the file (or its index in a JSON `bars` array). */
  ref: number[];
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

/**
 * A rejected row or bar: a CSV row by its 1-based `line`, a JSON bar by its 0-based index in `bars` (`bar`) and the
 * path of the field at fault (`field`, e.g. `bars[3].high`). Stored as such in `dataset_imports.errors`.
 */
export interface RowError {
  line?: number;
  bar?: number;
  field?: string;
  reason: string;
}

/** Where an error is, as a person reads it: `line 4` or `bars[3].high`. */
export function errorWhere(e: RowError): string {
  if (e.field) return e.field;
  if (e.bar !== undefined) return `bars[${e.bar}]`;
  return `line ${e.line ?? '?'}`;
}

/** Errors in input order (lines, then bar indices). */
export const byPosition = (a: RowError, b: RowError) => (a.line ?? a.bar ?? 0) - (b.line ?? b.bar ?? 0);

export interface ParseSummary {
  format: CandleFormat;
  plan: ColumnPlan;
  /** Data rows read (blank lines not counted). */
  read: number;
  valid: number;
  /** All bad rows; `errors` keeps the first `maxErrors` of them, in line order. */
  errorCount: number;
  errors: RowError[];
  /** Earliest and latest valid bar (epoch ms). */
  first: number | null;
  last: number | null;
  /** The rows run newest first (checked on the data, not assumed). */
  newestFirst: boolean;
  /** Symbol written in the file (CryptoDataDownload's `symbol` column), if any. */
  symbol: string | null;
  /** Median spacing of the bars. */
  barMs: number | null;
  notes: string[];
  bytes: number;
}

export interface ParseOptions {
  format?: FormatOption;
  mapping?: ColumnMapping;
  /** Errors kept in the summary (all are counted). Default 1000. */
  maxErrors?: number;
  /** Rows per batch handed to `onBatch`. Default 5000. */
  batchSize?: number;
  onBytes?: (bytes: number) => void;
}

const LOOKAHEAD = 16;

function newBatch(): CandleBatch {
  return { n: 0, ref: [], ts: [], open: [], high: [], low: [], close: [], volume: [] };
}

/** Reads one data row; a reason string when it is bad. `out` receives the values. */
function readRow(fields: string[], p: ColumnPlan, out: Candle): string | null {
  const { idx } = p;
  if (fields.length < p.minFields) {
    const firstMissing = [idx.ts, idx.time, idx.open, idx.high, idx.low, idx.close, idx.volume].filter((i) => i >= fields.length).sort((a, b) => a - b)[0];
    return `missing column ${p.header[firstMissing]?.trim() ?? `#${firstMissing + 1}`}: expected ${p.header.length} fields, found ${fields.length}`;
  }
  if (fields.length > p.header.length) {
    let extra = false;
    for (let i = p.header.length; i < fields.length; i++) if (fields[i].trim() !== '') extra = true;
    if (extra) return `too many fields: expected ${p.header.length}, found ${fields.length} (a decimal comma or a shifted column?)`;
  }
  const rawTs = fields[idx.ts];
  let ts: number;
  if (p.tsKind === 'unix') {
    ts = parseUnix(rawTs);
    if (Number.isNaN(ts)) return `unparsable unix timestamp in ${p.header[idx.ts].trim()}: '${rawTs.trim().slice(0, 40)}'`;
  } else {
    ts = p.tsKind === 'date' ? parseDate(rawTs) : parseDateOrUnix(rawTs);
    if (Number.isNaN(ts)) return rawTs.trim() ? `unparsable date in ${p.header[idx.ts].trim()}: '${rawTs.trim().slice(0, 40)}'` : `missing value in ${p.header[idx.ts].trim()}`;
    if (idx.time >= 0) {
      const t = parseTimeOfDay(fields[idx.time]);
      if (Number.isNaN(t)) return fields[idx.time].trim() ? `unparsable time in ${p.header[idx.time].trim()}: '${fields[idx.time].trim().slice(0, 40)}'` : `missing value in ${p.header[idx.time].trim()}`;
      ts += t;
    }
  }
  const cols = [idx.open, idx.high, idx.low, idx.close, idx.volume];
  const vals = [0, 0, 0, 0, 0];
  for (let k = 0; k < 5; k++) {
    const i = cols[k];
    if (i < 0) continue;
    const raw = fields[i];
    const v = parseNumber(raw);
    if (Number.isNaN(v) || !Number.isFinite(v)) {
      return raw.trim() ? `unparsable number in ${p.header[i].trim()}: '${raw.trim().slice(0, 40)}'` : `missing value in ${p.header[i].trim()}`;
    }
    vals[k] = v;
  }
  const [open, high, low, close, volume] = vals;
  const problem = barProblem({ open, high, low, close, volume }, (f) => p.header[idx[f]]?.trim() ?? f);
  if (problem) return problem.reason;
  out.ts = ts;
  out.open = open;
  out.high = high;
  out.low = low;
  out.close = close;
  out.volume = volume;
  return null;
}

/**
 * Streams a candle CSV: detects the format from the first lines, checks every row (values, OHLC relations, strictly
 * monotonic timestamps in the file's direction — newest-first files are checked newest-first), and hands valid rows
 * to `onBatch` in batches (awaited: back-pressure). Bad rows are reported with line number and reason.
 * Throws a one-line DomainError for an empty, binary or unrecognised file, or when no row is valid.
 */
export async function parseCandles(
  input: AsyncIterable<Uint8Array | string>,
  opts: ParseOptions,
  onBatch: (batch: CandleBatch) => void | Promise<void>,
): Promise<ParseSummary> {
  const maxErrors = opts.maxErrors ?? 1000;
  const batchSize = opts.batchSize ?? 5000;
  let bytes = 0;
  const lines = readLineBatches(input, (b) => {
    bytes = b;
    opts.onBytes?.(b);
  });

  // 1. The first lines, until there is a header and a data line to look at.
  const head: string[] = [];
  let pending: string[] = [];
  let ended = false;
  while (head.filter((l) => l.trim()).length < 3) {
    const next = await lines.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(...next.value);
  }
  const plan = detectFormat(head, opts);
  pending = head.slice(plan.headerLine); // data lines, starting at physical line headerLine + 1
  let lineNo = plan.headerLine;

  // 2. Rows.
  const errors: RowError[] = [];
  let errorCount = 0;
  const addError = (line: number, reason: string) => {
    errorCount++;
    if (errors.length < maxErrors) errors.push({ line, reason });
  };
  let read = 0;
  let valid = 0;
  let first: number | null = null;
  let last: number | null = null;
  let symbol: string | null = null;
  const tsSample: number[] = [];
  let batch = newBatch();
  let direction: 1 | -1 | 0 = 0;
  let prevTs = NaN;
  let prevLine = 0;
  const look: { line: number; c: Candle }[] = [];

  const accept = async (line: number, c: Candle) => {
    if (!Number.isNaN(prevTs)) {
      const d = (c.ts - prevTs) * direction;
      if (d === 0) return addError(line, `duplicate timestamp ${isoOf(c.ts)} (same as line ${prevLine})`);
      if (d < 0) {
        return addError(
          line,
          direction > 0
            ? `out-of-order timestamp ${isoOf(c.ts)}: earlier than ${isoOf(prevTs)} on line ${prevLine}`
            : `out-of-order timestamp ${isoOf(c.ts)}: later than ${isoOf(prevTs)} on line ${prevLine} in a newest-first file`,
        );
      }
    }
    prevTs = c.ts;
    prevLine = line;
    valid++;
    if (first === null || c.ts < first) first = c.ts;
    if (last === null || c.ts > last) last = c.ts;
    if (tsSample.length < 501) tsSample.push(c.ts);
    batch.ref.push(line);
    batch.ts.push(c.ts);
    batch.open.push(c.open);
    batch.high.push(c.high);
    batch.low.push(c.low);
    batch.close.push(c.close);
    batch.volume.push(c.volume);
    if (++batch.n >= batchSize) {
      const full = batch;
      batch = newBatch();
      await onBatch(full);
    }
  };

  const decideDirection = async () => {
    let inc = 0;
    let dec = 0;
    for (let k = 1; k < look.length; k++) {
      if (look[k].c.ts > look[k - 1].c.ts) inc++;
      else if (look[k].c.ts < look[k - 1].c.ts) dec++;
    }
    direction = dec > inc || (dec === inc && plan.newestFirst) ? -1 : 1;
    for (const r of look) await accept(r.line, r.c);
    look.length = 0;
  };

  const scratch: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  const processLines = async (batchLines: string[]) => {
    for (const text of batchLines) {
      lineNo++;
      if (!text.trim()) continue;
      read++;
      const fields = splitLine(text, plan.delimiter);
      const reason = readRow(fields, plan, scratch);
      if (reason) {
        addError(lineNo, reason);
        continue;
      }
      if (symbol === null && plan.idx.symbol >= 0) symbol = fields[plan.idx.symbol].trim() || null;
      if (direction === 0) {
        look.push({ line: lineNo, c: { ...scratch } });
        if (look.length >= LOOKAHEAD) await decideDirection();
      } else await accept(lineNo, scratch);
    }
  };

  await processLines(pending);
  pending = [];
  if (!ended) for await (const b of lines) await processLines(b);
  if (direction === 0) await decideDirection();
  if (batch.n) await onBatch(batch);

  if (read === 0) throw badRequest(`file: there is a header (line ${plan.headerLine}) but no data rows`, { reason: 'no-rows' });
  errors.sort(byPosition);
  if (valid === 0) {
    const e = errors[0];
    throw badRequest(`file: no valid rows: all ${read} data rows were rejected (first: line ${e.line}: ${e.reason})`, { reason: 'no-valid-rows', errors: errors.slice(0, 20) });
  }
  return {
    format: plan.format,
    plan,
    read,
    valid,
    errorCount,
    errors,
    first,
    last,
    newestFirst: direction < 0,
    symbol,
    barMs: inferBarMs(tsSample),
    notes: plan.notes,
    bytes,
  };
}
