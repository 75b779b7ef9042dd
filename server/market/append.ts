import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Db } from '../db/client';
import { DomainError, badRequest } from '../errors';
import { FreshnessSchema } from './freshness';
import { importCandles, ImportResultSchema, mergeCandles, DatasetNameSchema, ImportOptionsSchema, type FeedSummary, type ImportResult, type RowFeed } from './import';
import { barProblem } from './parse/bar-check';
import { isoOf, parseDate, parseNumber } from './parse/fields';
import { ColumnMappingSchema, FormatOptionSchema } from './parse/formats';
import { byPosition, errorWhere, type CandleBatch, type RowError } from './parse/parse-candles';
import { getDataset, withFreshness } from './store';
import { inferBarMs } from './timeframe';
import { parseOrThrow } from './validate';

/**
 * Appending closed bars to an existing dataset — what the trading app (or a cron) does as the market moves. JSON bars
 * or a CSV file; either way the rows go through the import's merge (server/market/import.ts mergeCandles): the same
 * value checks (server/market/parse/bar-check.ts), the timeframe grid, idempotent inserts, conflicts reported and the
 * stored bar kept, one transaction. A JSON bar is named by its index — `bars[3].high: …` — as a CSV row is by its line.
 */

/** Most bars one request may carry (413 beyond): larger backfills go as a CSV file or in chunks. */
export const MAX_APPEND_BARS = 50_000;
/** Largest JSON body (413 beyond): 50,000 bars of ~150 bytes, with room to spare. */
export const MAX_APPEND_JSON_BYTES = 16 * 1024 * 1024;
/** Largest CSV body of an append (413 beyond); bigger files go to the import upload (POST /api/v1/datasets). */
export const MAX_APPEND_CSV_BYTES = 64 * 1024 * 1024;

const TIME_KEYS = ['ts', 'time', 'timestamp'] as const;
const FIELDS_HINT = 'fields: ts (or time, timestamp), open, high, low, close, volume';

/** A bar as a caller sends it. Numbers may be JSON numbers or decimal strings ("1.0861", as some exchange APIs send). */
export interface JsonBar {
  /** The bar's OPEN time (how every dataset keys its bars): ISO 8601 (`2024-05-01T14:00:00Z`) or epoch milliseconds. */
  ts?: string | number;
  time?: string | number;
  timestamp?: string | number;
  open: number | string;
  high: number | string;
  low: number | string;
  close: number | string;
  /** Required: a missing volume is not guessed (it feeds vwap and volume_ma); send 0 for a market without volume. */
  volume: number | string;
}

const describe = (v: unknown) => (typeof v === 'string' ? `'${v.slice(0, 40)}'` : JSON.stringify(v)?.slice(0, 40) ?? String(v));

function numberLike(name: string, required: string) {
  return z.unknown().transform((v, ctx) => {
    if (v === undefined || v === null) {
      ctx.addIssue({ code: 'custom', message: required });
      return z.NEVER;
    }
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : NaN;
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: typeof v === 'number' || typeof v === 'string' ? `not a number: ${describe(v)}` : `${name} must be a number, got ${describe(v)}` });
      return z.NEVER;
    }
    return n;
  });
}

/** Epoch milliseconds of a bar time, or the reason it is not one. Numbers are epoch ms; seconds are refused, not guessed. */
export function parseBarTime(v: unknown): number | string {
  const asMs = (n: number) => {
    if (!Number.isInteger(n)) return `epoch milliseconds must be a whole number, got ${n}`;
    if (Math.abs(n) < 1e11) return `${n} looks like epoch seconds: send epoch milliseconds (${n * 1000}) or an ISO 8601 time`;
    if (Math.abs(n) >= 1e14) return `${n} looks like epoch microseconds: send epoch milliseconds (${Math.round(n / 1000)}) or an ISO 8601 time`;
    return n;
  };
  if (typeof v === 'number') return asMs(v);
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^-?\d+$/.test(s)) return asMs(Number(s));
    const t = parseDate(s);
    return Number.isNaN(t) ? `not an ISO 8601 time (e.g. 2024-05-01T14:00:00Z) or epoch milliseconds: ${describe(v)}` : t;
  }
  return `must be an ISO 8601 time or epoch milliseconds, got ${describe(v)}`;
}

/** One JSON bar, validated: exactly one time field, finite numbers, no unknown fields (a typo such as `vol` is named). */
export const JsonBarSchema = z
  .object({
    ts: z.unknown().optional(),
    time: z.unknown().optional(),
    timestamp: z.unknown().optional(),
    open: numberLike('open', 'required'),
    high: numberLike('high', 'required'),
    low: numberLike('low', 'required'),
    close: numberLike('close', 'required'),
    volume: numberLike('volume', 'required (send 0 for a market without volume: a missing volume is not guessed, it feeds vwap and volume_ma)'),
  })
  .strict()
  .transform((b, ctx) => {
    const given = TIME_KEYS.filter((k) => b[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given[1] ?? 'ts'],
        message: given.length ? `give one time field, not ${given.join(' and ')}` : "required: the bar's open time as ts (or time, timestamp), ISO 8601 or epoch milliseconds",
      });
      return z.NEVER;
    }
    const ts = parseBarTime(b[given[0]]);
    if (typeof ts === 'string') {
      ctx.addIssue({ code: 'custom', path: [given[0]], message: ts });
      return z.NEVER;
    }
    return { ts, timeKey: given[0], open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
  });

const issuePath = (i: z.core.$ZodIssue) => (i.code === 'unrecognized_keys' ? i.keys[0] : i.path.map(String).join('.'));
const issueText = (i: z.core.$ZodIssue) => (i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')} (${FIELDS_HINT})` : i.message);

/** The request options of an append (everything but the bars or the bytes), shared by tRPC, REST and the CLI. */
export const AppendOptionsSchema = z.object({
  dataset: DatasetNameSchema,
  /** When given, must be the dataset's symbol (409 otherwise): a guard against pushing one market's bars into another's dataset. */
  symbol: ImportOptionsSchema.shape.symbol,
  /** Reject the whole request when any bar is bad (400) or conflicts with a stored bar (409); default: skip and list them. */
  strict: z.boolean().default(false),
  /** CSV only: the file format and column mapping, as for an import. */
  format: FormatOptionSchema.default('auto'),
  mapping: ColumnMappingSchema.optional(),
});

export interface AppendParams extends z.input<typeof AppendOptionsSchema> {
  /** JSON bars (each validated on its own: a bad one is reported by index). */
  bars?: unknown[];
  /** Or a CSV file: its text, bytes, or a stream of them. */
  csv?: string | Buffer | Readable | AsyncIterable<Uint8Array | string>;
  fileName?: string;
}

/** The import report, plus the dataset's freshness after the append. */
export const AppendResultSchema = ImportResultSchema.extend({ freshness: FreshnessSchema.nullable() });
export type AppendResult = z.infer<typeof AppendResultSchema>;

/** Validates JSON bars one by one (a bad bar is an error at its index, not a failed request) and feeds the valid ones, oldest first. */
function jsonFeed(bars: readonly unknown[]): RowFeed {
  return {
    kind: 'json',
    fileName: null,
    async run(onBatch): Promise<FeedSummary> {
      const errors: RowError[] = [];
      const ok: { i: number; ts: number; open: number; high: number; low: number; close: number; volume: number; timeKey: string }[] = [];
      for (let i = 0; i < bars.length; i++) {
        const r = JsonBarSchema.safeParse(bars[i]);
        if (!r.success) {
          const [first, ...rest] = r.error.issues;
          const path = issuePath(first);
          const also = rest.slice(0, 3).map((x) => `${issuePath(x) ? `${issuePath(x)}: ` : ''}${issueText(x)}`);
          errors.push({
            bar: i,
            field: `bars[${i}]${path ? `.${path}` : ''}`,
            reason: (first.code === 'invalid_type' && !path ? `a bar is an object with ${FIELDS_HINT}` : issueText(first)) + (also.length ? `; also ${also.join('; ')}` : ''),
          });
          continue;
        }
        const p = barProblem(r.data);
        if (p) {
          errors.push({ bar: i, field: `bars[${i}].${p.field}`, reason: p.reason });
          continue;
        }
        ok.push({ i, ...r.data });
      }
      // Any order is accepted (stored in time order); the same time twice in one request is an error, as in a file.
      ok.sort((a, b) => a.ts - b.ts || a.i - b.i);
      const valid: typeof ok = [];
      for (const b of ok) {
        const prev = valid.at(-1);
        if (prev && prev.ts === b.ts) {
          errors.push({ bar: b.i, field: `bars[${b.i}].${b.timeKey}`, reason: `duplicate timestamp ${isoOf(b.ts)} (same as bars[${prev.i}])` });
          continue;
        }
        valid.push(b);
      }
      errors.sort(byPosition);
      if (!valid.length) {
        const e = errors[0];
        throw badRequest(`bars: no valid bars: all ${bars.length} were rejected (first: ${errorWhere(e)}: ${e.reason})`, { field: 'bars', errors: errors.slice(0, 20), errorCount: errors.length });
      }
      for (let start = 0; start < valid.length; start += 5000) {
        const part = valid.slice(start, start + 5000);
        const batch: CandleBatch = {
          n: part.length,
          ref: part.map((b) => b.i),
          ts: part.map((b) => b.ts),
          open: part.map((b) => b.open),
          high: part.map((b) => b.high),
          low: part.map((b) => b.low),
          close: part.map((b) => b.close),
          volume: part.map((b) => b.volume),
        };
        await onBatch(batch);
      }
      return {
        format: 'json',
        read: bars.length,
        valid: valid.length,
        errorCount: errors.length,
        errors: errors.slice(0, 1000),
        first: valid[0].ts,
        last: valid[valid.length - 1].ts,
        symbol: null,
        barMs: inferBarMs(valid.map((b) => b.ts)),
        notes: [],
        hasVolume: true,
      };
    },
  };
}

/**
 * Appends bars to an existing dataset (NOT_FOUND naming it otherwise: appending does not create) and answers the
 * import report with the dataset's new last bar and freshness. `bars` (JSON) or `csv`, not both. Merge rules (grid,
 * idempotency, conflicts: the stored bar is kept and the bar listed; `strict`: all or nothing) are mergeCandles'.
 */
export async function appendCandles(db: Db, params: AppendParams, actor: string): Promise<AppendResult> {
  const opts = parseOrThrow(AppendOptionsSchema, {
    dataset: params.dataset,
    symbol: params.symbol,
    strict: params.strict,
    format: params.format,
    mapping: params.mapping,
  });
  const hasBars = params.bars !== undefined;
  const hasCsv = params.csv !== undefined;
  if (hasBars === hasCsv) throw badRequest(hasBars ? 'bars: send JSON bars or a CSV file, not both' : 'bars: nothing to append: send JSON bars (bars: [...]) or a CSV file', { field: 'bars' });
  let result: ImportResult;
  if (hasBars) {
    const bars = params.bars;
    if (!Array.isArray(bars)) throw badRequest('bars: must be an array of bars', { field: 'bars' });
    if (bars.length > MAX_APPEND_BARS) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `bars: ${bars.length.toLocaleString('en')} bars; at most ${MAX_APPEND_BARS.toLocaleString('en')} per request (send them in chunks, or as a CSV file)`, {
        field: 'bars',
      });
    }
    if (!bars.length) throw badRequest('bars: empty: send at least one bar', { field: 'bars' });
    result = await mergeCandles(db, { dataset: opts.dataset, symbol: opts.symbol, strict: opts.strict, mustExist: true, actor }, jsonFeed(bars));
  } else {
    const csv = params.csv!;
    if ((typeof csv === 'string' || Buffer.isBuffer(csv)) && csv.length > MAX_APPEND_CSV_BYTES) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `csv: ${csv.length} bytes exceeds the ${MAX_APPEND_CSV_BYTES}-byte limit of an append; import bigger files with POST /api/v1/datasets`, { field: 'csv' });
    }
    result = await importCandles(db, {
      source: typeof csv === 'string' ? Buffer.from(csv, 'utf8') : csv,
      dataset: opts.dataset,
      symbol: opts.symbol,
      format: opts.format,
      mapping: opts.mapping,
      strict: opts.strict,
      fileName: params.fileName,
      actor,
      mustExist: true,
    });
  }
  const [withF] = await withFreshness(db.$client, [await getDataset(db, opts.dataset)], Date.now());
  return { ...result, freshness: withF.freshness };
}
