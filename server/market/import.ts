import path from 'node:path';
import type pg from 'pg';
import { z } from 'zod';
import type { ImportErrors } from '../../drizzle/schema/shapes';
import type { Db } from '../db/client';
import { DomainError, badRequest, conflict } from '../errors';
import { isoOf } from './parse/fields';
import { ColumnMappingSchema, FormatOptionSchema } from './parse/formats';
import { byPosition, errorWhere, parseCandles, type CandleBatch, type RowError } from './parse/parse-candles';
import { openSource, type CandleSource } from './parse/source';
import { hashCandles } from './hash';
import { ImportErrorSchema, readCandleColumns } from './store';
import { msToTimeframe, TIMEFRAME_RE, timeframeToMs } from './timeframe';
import { parseOrThrow } from './validate';

export const DatasetNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a dataset name is 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit');

/** The options of an import (everything but the bytes): shared by the CLI, tRPC and REST. */
export const ImportOptionsSchema = z.object({
  dataset: DatasetNameSchema,
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9._/:-]{1,32}$/, 'a symbol is 1-32 letters, digits or . _ / : -')
    .optional(),
  timeframe: z.string().regex(TIMEFRAME_RE, 'a timeframe is a number and a unit: 1m, 15m, 1h, 4h, 1d, 1w').optional(),
  format: FormatOptionSchema.default('auto'),
  mapping: ColumnMappingSchema.optional(),
  strict: z.boolean().default(false),
  fileName: z.string().max(255).optional(),
});
export type ImportOptions = z.input<typeof ImportOptionsSchema>;

export { ImportErrorSchema };

/**
 * The import report (also what an append answers). `read` = `inserted` + `existing` + `errorCount`; `skipped` =
 * `read` − `inserted`. `errors` lists the first 1000 problems in input order: bad rows, bars off the dataset's
 * timeframe grid, and `conflicts` (bars stored before with different values: the stored bar is kept).
 */
export const ImportResultSchema = z.object({
  dataset: z.string(),
  read: z.number().int(),
  inserted: z.number().int(),
  skipped: z.number().int(),
  first: z.string().nullable(),
  last: z.string().nullable(),
  errors: z.array(ImportErrorSchema),
  /** Every problem (errors lists the first 1000), conflicts included. */
  errorCount: z.number().int(),
  /** The file's format, or `json` for JSON bars. */
  format: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  /** The dataset was created by this import. */
  created: z.boolean(),
  /** Valid rows already stored with the same values (an idempotent repeat). */
  existing: z.number().int(),
  /** Rows stored before with different values; the stored bar was kept and the row is listed in errors. */
  conflicts: z.number().int(),
  /** Bars in the dataset after the import, and its last bar (open time). */
  rowCount: z.number().int(),
  lastBar: z.string().nullable(),
  contentHash: z.string().nullable(),
  importId: z.string(),
  notes: z.array(z.string()),
  durationMs: z.number(),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

export interface ImportProgress {
  bytes: number;
  totalBytes: number | null;
}

export interface ImportParams extends ImportOptions {
  source: CandleSource;
  actor: string;
  onProgress?: (p: ImportProgress) => void;
  /** Append: the dataset must exist (NOT_FOUND otherwise); nothing is created. */
  mustExist?: boolean;
}

/** What a source of rows (the CSV parser, or JSON bars) reports once it has handed over its valid rows. */
export interface FeedSummary {
  /** The file format, or `json`. */
  format: string;
  read: number;
  valid: number;
  errorCount: number;
  /** The first bad rows (at most 1000), in input order. */
  errors: RowError[];
  first: number | null;
  last: number | null;
  symbol: string | null;
  barMs: number | null;
  notes: string[];
  /** The input carries volumes (a CSV without a volume column does not). */
  hasVolume: boolean;
}

/**
 * A source of validated rows for `mergeCandles`: a CSV file (rows referenced by line) or JSON bars (referenced by
 * index). `run` hands valid rows over in batches (awaited) and returns its summary.
 */
export interface RowFeed {
  kind: 'file' | 'json';
  fileName: string | null;
  run(onBatch: (b: CandleBatch) => Promise<void>): Promise<FeedSummary>;
}

export interface MergeOptions {
  dataset: string;
  symbol?: string;
  timeframe?: string;
  strict: boolean;
  mustExist: boolean;
  actor: string;
}

const MAX_ERRORS = 1000;
const HOUR = 3_600_000;
/** Fewer valid bars than this say too little about their spacing to judge a timeframe mismatch (gaps dominate). */
const MIN_BARS_FOR_SPACING = 20;

const INSERT_SQL = `INSERT INTO candles (dataset_id, ts, open, high, low, close, volume)
  SELECT $1, to_timestamp(u.t / 1000.0), u.o, u.h, u.l, u.c, u.v
  FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) AS u(t, o, h, l, c, v)
  ON CONFLICT DO NOTHING`;

const STORED_SQL = `SELECT (extract(epoch from c.ts) * 1000)::float8, c.open, c.high, c.low, c.close, c.volume
  FROM unnest($2::float8[]) AS u(t) JOIN candles c ON c.dataset_id = $1 AND c.ts = to_timestamp(u.t / 1000.0)`;

/**
 * Offset of `ts` from the grid of bars through `ref` spaced `tf` apart, in (−tf/2, tf/2]: 0 when the bar is on the
 * grid.
 */
export function gridOffset(ts: number, ref: number, tf: number): number {
  let o = (ts - ref) % tf;
  if (o < 0) o += tf;
  if (o > tf / 2) o -= tf;
  return o;
}

interface DatasetRow {
  id: number;
  symbol: string;
  timeframe: string;
  rowCount: number;
  contentHash: string | null;
  /** First and last bar before this import (epoch ms), null for a new or empty dataset. */
  first: number | null;
  last: number | null;
  created: boolean;
}

const LOCK_SQL = `SELECT id, symbol, timeframe, row_count AS "rowCount", content_hash AS "contentHash",
    (extract(epoch from first_ts) * 1000)::float8 AS first, (extract(epoch from last_ts) * 1000)::float8 AS last
  FROM datasets WHERE name = $1 FOR UPDATE`;

/** `EURUSD_H1.csv` → `EURUSD`; `BTCUSDT_1h.csv` → `BTCUSDT`; `AAPL.csv` → `AAPL`. */
function symbolFromFileName(fileName: string | null): string | null {
  if (!fileName) return null;
  const base = path.basename(fileName).replace(/\.[^.]+$/, '');
  const head = base.split(/[_\s.-]/)[0];
  return /^[A-Za-z0-9]{1,32}$/.test(head) ? head.toUpperCase() : null;
}

/**
 * Imports a candle file into a dataset (created on first import; `mustExist` for an append) in ONE transaction: a
 * strict rejection or any failure leaves nothing behind. Streams the file; valid rows go in as batched multi-row
 * `unnest` inserts with `ON CONFLICT DO NOTHING`, so the same file twice inserts nothing and an overlapping file
 * merges (see mergeCandles for what a merge checks). Updates the dataset's row count, range and content hash, and
 * writes a dataset_imports report.
 */
export async function importCandles(db: Db, params: ImportParams): Promise<ImportResult> {
  const opts = parseOrThrow(ImportOptionsSchema, {
    dataset: params.dataset,
    symbol: params.symbol,
    timeframe: params.timeframe,
    format: params.format,
    mapping: params.mapping,
    strict: params.strict,
    fileName: params.fileName,
  });
  if (opts.mapping && opts.format !== 'auto' && opts.format !== 'generic') {
    throw badRequest(`format: a column mapping goes with --format generic (or auto), not ${opts.format}`, { field: 'format' });
  }
  const src = openSource(params.source);
  const fileName = opts.fileName ?? src.fileName;
  const feed: RowFeed = {
    kind: 'file',
    fileName,
    run: async (onBatch) => {
      const s = await parseCandles(
        src.stream,
        {
          format: opts.format,
          mapping: opts.mapping,
          maxErrors: MAX_ERRORS,
          onBytes: params.onProgress ? (bytes) => params.onProgress!({ bytes, totalBytes: src.size }) : undefined,
        },
        onBatch,
      );
      return { ...s, hasVolume: s.plan.idx.volume >= 0 };
    },
  };
  try {
    return await mergeCandles(
      db,
      { dataset: opts.dataset, symbol: opts.symbol, timeframe: opts.timeframe, strict: opts.strict, mustExist: params.mustExist ?? false, actor: params.actor },
      feed,
      { provisionalSymbol: symbolFromFileName(fileName) },
    );
  } finally {
    src.close();
  }
}

/** NOT_FOUND for an append to a dataset that does not exist, naming the known ones and how to create it. */
async function appendTargetMissing(client: pg.PoolClient, name: string): Promise<DomainError> {
  const known = (await client.query<{ name: string }>('SELECT name FROM datasets ORDER BY name LIMIT 20')).rows.map((r) => r.name);
  return new DomainError(
    'NOT_FOUND',
    `dataset '${name}' not found: appending adds bars to an existing dataset; import it first ` +
      `(POST /api/v1/datasets?dataset=${name} with a CSV file, or npm run cli -- import <file> --dataset ${name})` +
      (known.length ? ` (datasets: ${known.join(', ')})` : ''),
    { field: 'dataset' },
  );
}

/**
 * The merge shared by a file import and an append, in ONE transaction (a strict rejection or any failure leaves
 * nothing behind). Into a dataset that already has bars, each row is checked against what is stored:
 *   - on the grid: a bar must open at the last stored bar's open ± k × timeframe (a bar 1 h off is accepted, with a
 *     note, for timeframes above 1 h: a session-aligned series shifted by daylight saving); others are errors;
 *   - an identical stored bar: counted in `existing`, nothing written (appending the same bars twice inserts 0);
 *   - a stored bar with different values: a **conflict** — the stored bar is kept, the row is listed in `errors`
 *     with both values and counted in `conflicts` (`strict` rejects the whole input with 409 instead);
 *   - a file without volumes into a dataset with volumes is refused (its bars would get volume 0).
 */
export async function mergeCandles(db: Db, opts: MergeOptions, feed: RowFeed, extra: { provisionalSymbol?: string | null } = {}): Promise<ImportResult> {
  const started = performance.now();
  const json = feed.kind === 'json';
  const words = json ? { one: 'bar', many: 'bars', whole: 'request', done: 'appended' } : { one: 'row', many: 'rows', whole: 'file', done: 'imported' };
  const errorAt = (ref: number, reason: string, field?: string): RowError =>
    json ? { bar: ref, field: `bars[${ref}]${field ? `.${field}` : ''}`, reason } : { line: ref, reason };
  const plural = (n: number, w: { one: string; many: string }) => `${n} ${n === 1 ? w.one : w.many}`;

  const client = await db.$client.connect();
  let began = false;
  try {
    await client.query('BEGIN');
    began = true;
    let ds: DatasetRow | null = null;
    if (opts.mustExist) {
      const sel = await client.query<Omit<DatasetRow, 'created'>>(LOCK_SQL, [opts.dataset]);
      if (!sel.rowCount) throw await appendTargetMissing(client, opts.dataset);
      ds = { ...sel.rows[0], created: false };
    }
    const provisional = { symbol: opts.symbol ?? extra.provisionalSymbol ?? 'UNKNOWN', timeframe: opts.timeframe ?? 'unknown' };
    const ensureDataset = async (format: string): Promise<DatasetRow> => {
      if (ds) return ds;
      const ins = await client.query(
        `INSERT INTO datasets (name, symbol, timeframe, source, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO NOTHING RETURNING id, symbol, timeframe`,
        [opts.dataset, provisional.symbol, provisional.timeframe, format, opts.actor],
      );
      if (ins.rowCount) {
        const r = ins.rows[0] as { id: number; symbol: string; timeframe: string };
        ds = { ...r, rowCount: 0, contentHash: null, first: null, last: null, created: true };
      } else {
        const sel = await client.query<Omit<DatasetRow, 'created'>>(LOCK_SQL, [opts.dataset]);
        ds = { ...sel.rows[0], created: false };
      }
      return ds;
    };

    let inserted = 0;
    let conflicts = 0;
    let misaligned = 0;
    let dstShifted = 0;
    // Problems found against the stored bars: rows off the grid, and conflicts.
    const offGrid: RowError[] = [];
    const clashes: RowError[] = [];
    const insert = async (b: CandleBatch, d: DatasetRow) => {
      let keep: number[] | null = null; // indices into the batch; null = all
      const tf = timeframeToMs(d.timeframe);
      if (!d.created && d.last !== null && d.first !== null) {
        keep = [];
        const candidates: number[] = [];
        for (let i = 0; i < b.n; i++) {
          const off = tf ? gridOffset(b.ts[i], d.last, tf) : 0;
          if (off !== 0 && !(tf! > HOUR && Math.abs(off) === HOUR)) {
            misaligned++;
            offGrid.push(
              errorAt(
                b.ref[i],
                `${isoOf(b.ts[i])} is not on the ${d.timeframe} grid of dataset '${opts.dataset}' (its bars open at ${isoOf(d.last)} ± k × ${d.timeframe}); a bar is keyed by its open time`,
                'ts',
              ),
            );
            continue;
          }
          if (off !== 0) dstShifted++;
          if (b.ts[i] >= d.first && b.ts[i] <= d.last) candidates.push(i);
          keep.push(i);
        }
        if (candidates.length) {
          const res = await client.query({ text: STORED_SQL, values: [d.id, candidates.map((i) => b.ts[i])], rowMode: 'array' });
          const stored = new Map<number, number[]>();
          for (const r of res.rows as number[][]) stored.set(r[0], r);
          const clash = new Set<number>();
          for (const i of candidates) {
            const s = stored.get(b.ts[i]);
            if (!s) continue;
            const sent = [b.open[i], b.high[i], b.low[i], b.close[i], b.volume[i]];
            const diffs = (['open', 'high', 'low', 'close', 'volume'] as const).flatMap((k, j) => (s[j + 1] === sent[j] ? [] : [`${k}: stored ${s[j + 1]}, sent ${sent[j]}`]));
            if (!diffs.length) continue;
            conflicts++;
            clash.add(i);
            clashes.push(errorAt(b.ref[i], `conflicts with the stored bar at ${isoOf(b.ts[i])} (${diffs.join('; ')}): the stored bar is kept`));
          }
          if (clash.size) keep = keep.filter((i) => !clash.has(i));
        }
      }
      const pick = (col: number[]) => (keep ? keep.map((i) => col[i]) : col);
      if (keep && !keep.length) return;
      const r = await client.query(INSERT_SQL, [d.id, pick(b.ts), pick(b.open), pick(b.high), pick(b.low), pick(b.close), pick(b.volume)]);
      inserted += r.rowCount ?? 0;
    };

    let inflight: Promise<void> = Promise.resolve();
    let failure: unknown = null;
    const summary = await feed.run(async (batch) => {
      await inflight;
      if (failure) throw failure;
      // The format is known at the end; the provisional one is replaced then.
      const d = await ensureDataset(json ? 'json' : 'generic');
      inflight = insert(batch, d).catch((e: unknown) => {
        failure = e;
      });
    });
    await inflight;
    if (failure) throw failure;

    const errors = [...summary.errors, ...offGrid, ...clashes].sort(byPosition).slice(0, MAX_ERRORS);
    const errorCount = summary.errorCount + misaligned + conflicts;
    const bad = summary.errorCount + misaligned;
    if (opts.strict && bad > 0) {
      const e = [...summary.errors, ...offGrid].sort(byPosition)[0];
      throw badRequest(
        `strict: the whole ${words.whole} was rejected: ${plural(bad, { one: `bad ${words.one}`, many: `bad ${words.many}` })} (first: ${errorWhere(e)}: ${e.reason}); nothing was ${words.done}`,
        { errors: errors.slice(0, 100), errorCount },
      );
    }
    if (opts.strict && conflicts > 0) {
      const e = clashes.sort(byPosition)[0];
      throw conflict(
        `strict: the whole ${words.whole} was rejected: ${plural(conflicts, words)} conflict${conflicts === 1 ? 's' : ''} with stored bars (first: ${errorWhere(e)}: ${e.reason}); nothing was ${words.done}`,
        { errors: errors.slice(0, 100), errorCount, conflicts },
      );
    }
    const d = await ensureDataset(summary.format);
    if (d.created) await client.query('UPDATE datasets SET source = $2 WHERE id = $1', [d.id, summary.format]);

    // Symbol and timeframe: given, read from the file, or inferred; a merge must agree with the dataset.
    const fileTf = summary.barMs ? msToTimeframe(summary.barMs) : null;
    let symbol = d.symbol;
    let timeframe = d.timeframe;
    if (d.created) {
      symbol = opts.symbol ?? (summary.symbol ? summary.symbol.replace(/[/:-]/g, '').toUpperCase() : provisional.symbol);
      timeframe = opts.timeframe ?? fileTf ?? '';
      if (!timeframe) throw badRequest('timeframe: cannot infer the bar size from a single bar; pass --timeframe (e.g. 1h)', { field: 'timeframe' });
    } else {
      if (opts.symbol && opts.symbol !== d.symbol) throw conflict(`symbol: dataset '${opts.dataset}' holds ${d.symbol}, not ${opts.symbol}`, { field: 'symbol' });
      if (opts.timeframe && opts.timeframe !== d.timeframe) {
        throw conflict(`timeframe: dataset '${opts.dataset}' holds ${d.timeframe} bars, not ${opts.timeframe}`, { field: 'timeframe' });
      }
      const dsMs = timeframeToMs(d.timeframe);
      if (!opts.timeframe && dsMs && summary.barMs && summary.barMs !== dsMs && summary.valid >= MIN_BARS_FOR_SPACING) {
        throw conflict(`timeframe: dataset '${opts.dataset}' holds ${d.timeframe} bars but this ${words.whole} has ${fileTf} bars; import it into another dataset`, {
          field: 'timeframe',
        });
      }
      if (!summary.hasVolume && d.last !== null) {
        const v = await client.query(
          'SELECT EXISTS (SELECT 1 FROM (SELECT volume FROM candles WHERE dataset_id = $1 AND ts <= to_timestamp($2 / 1000.0) ORDER BY ts DESC LIMIT 1000) s WHERE volume > 0) AS has',
          [d.id, d.last],
        );
        if ((v.rows[0] as { has: boolean }).has) {
          throw badRequest(
            `volume: this ${words.whole} has no volume column, but dataset '${opts.dataset}' has volumes: its new bars would get volume 0 (vwap and volume_ma would change); add the column (or map it: --map …,volume=<col>)`,
            { field: 'volume' },
          );
        }
      }
    }

    let rowCount = d.rowCount;
    let contentHash = d.contentHash;
    let lastBar = d.last;
    if (d.created || inserted > 0) {
      const all = await readCandleColumns(client, d.id);
      contentHash = hashCandles(all);
      rowCount = all.n;
      lastBar = all.n ? all.ts[all.n - 1] : null;
      await client.query(
        `UPDATE datasets SET row_count = $2, first_ts = to_timestamp($3 / 1000.0), last_ts = to_timestamp($4 / 1000.0),
           content_hash = $5, symbol = $6, timeframe = $7, updated_at = now() WHERE id = $1`,
        [d.id, all.n, all.n ? all.ts[0] : null, lastBar, contentHash, symbol, timeframe],
      );
    }
    const first = summary.first !== null ? isoOf(summary.first) : null;
    const last = summary.last !== null ? isoOf(summary.last) : null;
    const skipped = summary.read - inserted;
    const rep = await client.query(
      `INSERT INTO dataset_imports (dataset_id, file_name, format, read, inserted, skipped, first_ts, last_ts, errors, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [d.id, feed.fileName, summary.format, summary.read, inserted, skipped, first, last, JSON.stringify(errors satisfies ImportErrors), opts.actor],
    );
    await client.query('COMMIT');
    began = false;
    const notes = [...summary.notes];
    if (dstShifted) {
      notes.push(`${plural(dstShifted, words)} ${dstShifted === 1 ? 'is' : 'are'} 1 h off the dataset's ${d.timeframe} grid: read as a daylight-saving shift of the session`);
    }
    return {
      dataset: opts.dataset,
      read: summary.read,
      inserted,
      skipped,
      first,
      last,
      errors,
      errorCount,
      format: summary.format,
      symbol,
      timeframe,
      created: d.created,
      existing: summary.valid - inserted - conflicts - misaligned,
      conflicts,
      rowCount,
      lastBar: lastBar !== null ? isoOf(lastBar) : null,
      contentHash,
      importId: (rep.rows[0] as { id: string }).id,
      notes,
      durationMs: performance.now() - started,
    };
  } catch (e) {
    if (began) await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
