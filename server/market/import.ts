import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../db/client';
import { badRequest, conflict } from '../errors';
import { isoOf } from './parse/fields';
import { ColumnMappingSchema, FormatOptionSchema, type CandleFormat } from './parse/formats';
import { parseCandles, type CandleBatch } from './parse/parse-candles';
import { openSource, type CandleSource } from './parse/source';
import { hashCandles } from './hash';
import { readCandleColumns } from './store';
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

export const ImportResultSchema = z.object({
  dataset: z.string(),
  read: z.number().int(),
  inserted: z.number().int(),
  skipped: z.number().int(),
  first: z.string().nullable(),
  last: z.string().nullable(),
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
});

export interface ImportProgress {
  bytes: number;
  totalBytes: number | null;
}

export interface ImportParams extends ImportOptions {
  source: CandleSource;
  actor: string;
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportResult extends z.infer<typeof ImportResultSchema> {
  /** Bad rows (errors lists the first 1000). */
  errorCount: number;
  format: CandleFormat;
  symbol: string;
  timeframe: string;
  /** The dataset was created by this import. */
  created: boolean;
  /** Rows already stored (valid rows that were not inserted). */
  existing: number;
  rowCount: number;
  contentHash: string;
  importId: string;
  notes: string[];
  durationMs: number;
}

const INSERT_SQL = `INSERT INTO candles (dataset_id, ts, open, high, low, close, volume)
  SELECT $1, to_timestamp(u.t / 1000.0), u.o, u.h, u.l, u.c, u.v
  FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) AS u(t, o, h, l, c, v)
  ON CONFLICT DO NOTHING`;

/** `EURUSD_H1.csv` → `EURUSD`; `BTCUSDT_1h.csv` → `BTCUSDT`; `AAPL.csv` → `AAPL`. */
function symbolFromFileName(fileName: string | null): string | null {
  if (!fileName) return null;
  const base = path.basename(fileName).replace(/\.[^.]+$/, '');
  const head = base.split(/[_\s.-]/)[0];
  return /^[A-Za-z0-9]{1,32}$/.test(head) ? head.toUpperCase() : null;
}

/**
 * Imports a candle file into a dataset (created on first import) in ONE transaction: a strict rejection or any
 * failure leaves nothing behind. Streams the file; valid rows go in as batched multi-row `unnest` inserts with
 * `ON CONFLICT DO NOTHING`, so the same file twice inserts nothing and an overlapping file merges. Updates the
 * dataset's row count, range and content hash, and writes a dataset_imports report.
 */
export async function importCandles(db: Db, params: ImportParams): Promise<ImportResult> {
  const started = performance.now();
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

  const client = await db.$client.connect();
  let began = false;
  try {
    await client.query('BEGIN');
    began = true;
    let ds: { id: number; symbol: string; timeframe: string; created: boolean } | null = null;
    const provisional = { symbol: opts.symbol ?? symbolFromFileName(fileName) ?? 'UNKNOWN', timeframe: opts.timeframe ?? 'unknown' };
    const ensureDataset = async (format: CandleFormat) => {
      if (ds) return ds;
      const ins = await client.query(
        `INSERT INTO datasets (name, symbol, timeframe, source, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO NOTHING RETURNING id, symbol, timeframe`,
        [opts.dataset, provisional.symbol, provisional.timeframe, format, params.actor],
      );
      if (ins.rowCount) ds = { ...(ins.rows[0] as { id: number; symbol: string; timeframe: string }), created: true };
      else {
        const sel = await client.query('SELECT id, symbol, timeframe FROM datasets WHERE name = $1 FOR UPDATE', [opts.dataset]);
        ds = { ...(sel.rows[0] as { id: number; symbol: string; timeframe: string }), created: false };
      }
      return ds;
    };

    let inserted = 0;
    let inflight: Promise<void> = Promise.resolve();
    let failure: unknown = null;
    let format: CandleFormat | null = null;
    const insert = async (b: CandleBatch, datasetId: number) => {
      const r = await client.query(INSERT_SQL, [datasetId, b.ts, b.open, b.high, b.low, b.close, b.volume]);
      inserted += r.rowCount ?? 0;
    };

    const summary = await parseCandles(
      src.stream,
      {
        format: opts.format,
        mapping: opts.mapping,
        onBytes: params.onProgress ? (bytes) => params.onProgress!({ bytes, totalBytes: src.size }) : undefined,
      },
      async (batch) => {
        await inflight;
        if (failure) throw failure;
        // The format is known once rows flow; the plan was detected before the first batch.
        const d = await ensureDataset(format ?? 'generic');
        inflight = insert(batch, d.id).catch((e: unknown) => {
          failure = e;
        });
      },
    );
    format = summary.format;
    await inflight;
    if (failure) throw failure;

    if (opts.strict && summary.errorCount > 0) {
      const e = summary.errors[0];
      throw badRequest(
        `strict: the whole file was rejected: ${summary.errorCount} bad row${summary.errorCount === 1 ? '' : 's'} (first: line ${e.line}: ${e.reason}); nothing was imported`,
        { errors: summary.errors.slice(0, 100), errorCount: summary.errorCount },
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
      if (!opts.timeframe && dsMs && summary.barMs && summary.barMs !== dsMs) {
        throw conflict(`timeframe: dataset '${opts.dataset}' holds ${d.timeframe} bars but this file has ${fileTf} bars; import it into another dataset`, {
          field: 'timeframe',
        });
      }
    }

    const all = await readCandleColumns(client, d.id);
    const contentHash = hashCandles(all);
    await client.query(
      `UPDATE datasets SET row_count = $2, first_ts = to_timestamp($3 / 1000.0), last_ts = to_timestamp($4 / 1000.0),
         content_hash = $5, symbol = $6, timeframe = $7, updated_at = now() WHERE id = $1`,
      [d.id, all.n, all.n ? all.ts[0] : null, all.n ? all.ts[all.n - 1] : null, contentHash, symbol, timeframe],
    );
    const first = summary.first !== null ? isoOf(summary.first) : null;
    const last = summary.last !== null ? isoOf(summary.last) : null;
    const skipped = summary.read - inserted;
    const rep = await client.query(
      `INSERT INTO dataset_imports (dataset_id, file_name, format, read, inserted, skipped, first_ts, last_ts, errors, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [d.id, fileName, summary.format, summary.read, inserted, skipped, first, last, JSON.stringify(summary.errors), params.actor],
    );
    await client.query('COMMIT');
    began = false;
    return {
      dataset: opts.dataset,
      read: summary.read,
      inserted,
      skipped,
      first,
      last,
      errors: summary.errors,
      errorCount: summary.errorCount,
      format: summary.format,
      symbol,
      timeframe,
      created: d.created,
      existing: summary.valid - inserted,
      rowCount: all.n,
      contentHash,
      importId: (rep.rows[0] as { id: string }).id,
      notes: summary.notes,
      durationMs: performance.now() - started,
    };
  } catch (e) {
    if (began) await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
    src.close();
  }
}

