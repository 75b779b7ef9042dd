import type pg from 'pg';
import { asc, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { datasetImports, datasets } from '../../drizzle/schema/market';
import type { Db } from '../db/client';
import { DomainError, notFound } from '../errors';
import { freshness, FreshnessSchema, saturdaysToProbe, type Freshness, type MarketClock } from './freshness';
import { emptyColumns, type Candle, type CandleColumns } from './types';

/** A dataset as the API shows it (ISO timestamps, JSON-safe). */
export const DatasetSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  source: z.string(),
  rowCount: z.number().int(),
  firstTs: z.string().nullable(),
  lastTs: z.string().nullable(),
  contentHash: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
});
export type Dataset = z.infer<typeof DatasetSchema>;

/** A dataset with its freshness now (null without bars or with an unknown timeframe): what the Data page lists. */
export const DatasetSummarySchema = DatasetSchema.extend({ freshness: FreshnessSchema.nullable() });
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

/** A rejected row or bar (see RowError): `{ line, reason }` for a CSV row, `{ bar, field, reason }` for a JSON bar. */
export const ImportErrorSchema = z.object({
  line: z.number().int().optional(),
  bar: z.number().int().optional(),
  field: z.string().optional(),
  reason: z.string(),
});

export const DatasetImportSchema = z.object({
  id: z.string(),
  datasetId: z.number().int(),
  fileName: z.string().nullable(),
  format: z.string(),
  read: z.number().int(),
  inserted: z.number().int(),
  skipped: z.number().int(),
  firstTs: z.string().nullable(),
  lastTs: z.string().nullable(),
  errors: z.array(ImportErrorSchema),
  actor: z.string(),
  createdAt: z.string(),
});
export type DatasetImport = z.infer<typeof DatasetImportSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toDataset(r: typeof datasets.$inferSelect): Dataset {
  return {
    id: r.id,
    name: r.name,
    symbol: r.symbol,
    timeframe: r.timeframe,
    source: r.source,
    rowCount: r.rowCount,
    firstTs: iso(r.firstTs),
    lastTs: iso(r.lastTs),
    contentHash: r.contentHash,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    createdBy: r.createdBy,
  };
}

/** All datasets, by name, each with its freshness at `now` (default: the current time). */
export async function listDatasets(db: Db, opts: { now?: number } = {}): Promise<DatasetSummary[]> {
  const rows = (await db.select().from(datasets).orderBy(asc(datasets.name))).map(toDataset);
  return withFreshness(db.$client, rows, opts.now ?? Date.now());
}

/**
 * Adds each dataset's freshness at `now`. Its clock comes from its data: a dataset with bars on none of the last
 * four Saturdays (UTC) of its range trades on weekdays (stocks, FX), so weekends do not make it late; one with
 * Saturday bars (crypto) or less than a week of bars runs on the 24/7 clock. One query for all datasets: an index
 * probe per (dataset, Saturday).
 */
export async function withFreshness(q: Queryable, list: readonly Dataset[], now: number): Promise<DatasetSummary[]> {
  const ids: number[] = [];
  const sats: number[] = [];
  for (const d of list) {
    if (!d.firstTs || !d.lastTs) continue;
    for (const sat of saturdaysToProbe(Date.parse(d.firstTs), Date.parse(d.lastTs))) {
      ids.push(d.id);
      sats.push(sat);
    }
  }
  const weekend = new Map<number, boolean>();
  if (ids.length) {
    const r = await q.query<{ id: number; weekend: boolean }>(
      `SELECT s.id, bool_or(EXISTS (SELECT 1 FROM candles c WHERE c.dataset_id = s.id
           AND c.ts >= to_timestamp(s.sat / 1000.0) AND c.ts < to_timestamp(s.sat / 1000.0) + interval '1 day')) AS weekend
         FROM unnest($1::int[], $2::float8[]) AS s(id, sat) GROUP BY s.id`,
      [ids, sats],
    );
    for (const row of r.rows) weekend.set(row.id, row.weekend);
  }
  return list.map((d) => {
    const w = weekend.get(d.id);
    const clock: MarketClock = w === false ? 'weekdays' : '24/7';
    return { ...d, freshness: freshness(d.lastTs, d.timeframe, now, { clock }) satisfies Freshness | null };
  });
}

/** The dataset or null. */
export async function findDataset(db: Db, name: string): Promise<Dataset | null> {
  const [row] = await db.select().from(datasets).where(eq(datasets.name, name)).limit(1);
  return row ? toDataset(row) : null;
}

/** The dataset; NOT_FOUND (naming the known ones) when there is none by that name. */
export async function getDataset(db: Db, name: string): Promise<Dataset> {
  const d = await findDataset(db, name);
  if (d) return d;
  const known = (await db.select({ name: datasets.name }).from(datasets).orderBy(asc(datasets.name)).limit(20)).map((r) => r.name);
  throw notFound(`dataset '${name}' not found${known.length ? ` (datasets: ${known.join(', ')})` : ' (there are no datasets yet: import one first)'}`);
}

/** Import reports of a dataset, newest first. */
export async function listImports(db: Db, datasetName: string, opts: { limit?: number } = {}): Promise<DatasetImport[]> {
  const d = await getDataset(db, datasetName);
  const rows = await db
    .select()
    .from(datasetImports)
    .where(eq(datasetImports.datasetId, d.id))
    .orderBy(desc(datasetImports.createdAt))
    .limit(opts.limit ?? 50);
  return rows.map((r) => ({
    id: r.id,
    datasetId: r.datasetId,
    fileName: r.fileName,
    format: r.format,
    read: r.read,
    inserted: r.inserted,
    skipped: r.skipped,
    firstTs: iso(r.firstTs),
    lastTs: iso(r.lastTs),
    errors: r.errors,
    actor: r.actor,
    createdAt: r.createdAt.toISOString(),
  }));
}

/** Deletes a dataset with its candles and import reports. */
export async function deleteDataset(db: Db, name: string): Promise<{ deleted: boolean }> {
  const r = await db.delete(datasets).where(eq(datasets.name, name)).returning({ id: datasets.id });
  return { deleted: r.length > 0 };
}

export interface CandleRange {
  /** Inclusive bounds, epoch ms or Date or ISO string. */
  from?: number | Date | string;
  to?: number | Date | string;
  /** Only the last `limit` bars of the range. */
  limit?: number;
}

function toDate(v: number | Date | string, field: string): Date {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw new DomainError('BAD_REQUEST', `${field}: not a date: '${String(v)}'`, { field });
  return d;
}

/** Candles of a dataset, ascending, optionally limited to [from, to] (inclusive). */
export async function loadCandles(db: Db, datasetName: string, range: CandleRange = {}): Promise<Candle[]> {
  const cols = await loadCandleColumns(db, datasetName, range);
  const out: Candle[] = new Array(cols.n);
  for (let i = 0; i < cols.n; i++) {
    out[i] = { ts: cols.ts[i], open: cols.open[i], high: cols.high[i], low: cols.low[i], close: cols.close[i], volume: cols.volume[i] };
  }
  return out;
}

/** Same as loadCandles, column-wise (what indicators want). */
export async function loadCandleColumns(db: Db, datasetName: string, range: CandleRange = {}): Promise<CandleColumns> {
  const d = await getDataset(db, datasetName);
  return readCandleColumns(db.$client, d.id, range);
}

type Queryable = pg.Pool | pg.PoolClient;

export async function readCandleColumns(q: Queryable, datasetId: number, range: CandleRange = {}): Promise<CandleColumns> {
  const params: unknown[] = [datasetId];
  let where = 'dataset_id = $1';
  if (range.from !== undefined) {
    params.push(toDate(range.from, 'from'));
    where += ` AND ts >= $${params.length}`;
  }
  if (range.to !== undefined) {
    params.push(toDate(range.to, 'to'));
    where += ` AND ts <= $${params.length}`;
  }
  let text = `SELECT (extract(epoch from ts) * 1000)::float8, open, high, low, close, volume FROM candles WHERE ${where} ORDER BY ts`;
  if (range.limit !== undefined) {
    params.push(Math.max(0, Math.floor(range.limit)));
    text = `SELECT * FROM (SELECT (extract(epoch from ts) * 1000)::float8 AS t, open, high, low, close, volume FROM candles WHERE ${where} ORDER BY ts DESC LIMIT $${params.length}) s ORDER BY t`;
  }
  const res = await q.query({ text, values: params, rowMode: 'array' });
  const rows = res.rows as number[][];
  const n = rows.length;
  const c = emptyColumns(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    c.ts[i] = r[0];
    c.open[i] = r[1];
    c.high[i] = r[2];
    c.low[i] = r[3];
    c.close[i] = r[4];
    c.volume[i] = r[5];
  }
  return c;
}

export { hashCandles } from './hash';
