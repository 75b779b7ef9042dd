import { pgTable, text, timestamp, integer, doublePrecision, serial, primaryKey, jsonb, uuid } from 'drizzle-orm/pg-core';
import type { ImportErrors } from './shapes';

/** A named series of candles of one symbol at one timeframe. */
export const datasets = pgTable('datasets', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  symbol: text('symbol').notNull(),
  /** e.g. `1h`, `15m`, `1d`. */
  timeframe: text('timeframe').notNull(),
  /** Format of the first import: `metatrader`, `cryptodatadownload`, `yahoo`, `generic`. */
  source: text('source').notNull(),
  rowCount: integer('row_count').notNull().default(0),
  firstTs: timestamp('first_ts', { withTimezone: true }),
  lastTs: timestamp('last_ts', { withTimezone: true }),
  /** SHA-256 over the stored candles in time order: identical content, identical hash. */
  contentHash: text('content_hash'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
});

/** OHLCV bars, unique per (dataset, bar open time). */
export const candles = pgTable(
  'candles',
  {
    datasetId: integer('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    open: doublePrecision('open').notNull(),
    high: doublePrecision('high').notNull(),
    low: doublePrecision('low').notNull(),
    close: doublePrecision('close').notNull(),
    volume: doublePrecision('volume').notNull(),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.ts] })],
);

/** One row per import attempt that changed (or tried to change) a dataset: the import report. */
export const datasetImports = pgTable('dataset_imports', {
  id: uuid('id').primaryKey().defaultRandom(),
  datasetId: integer('dataset_id')
    .notNull()
    .references(() => datasets.id, { onDelete: 'cascade' }),
  fileName: text('file_name'),
  format: text('format').notNull(),
  read: integer('read').notNull(),
  inserted: integer('inserted').notNull(),
  skipped: integer('skipped').notNull(),
  firstTs: timestamp('first_ts', { withTimezone: true }),
  lastTs: timestamp('last_ts', { withTimezone: true }),
  /** `[{ line, reason }]`, capped (the count is in `skipped`). */
  errors: jsonb('errors').$type<ImportErrors>().notNull(),
  actor: text('actor').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
