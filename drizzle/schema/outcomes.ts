import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, integer, uuid, primaryKey, real, doublePrecision, boolean, index, bigint, smallint } from 'drizzle-orm/pg-core';

/**
 * How served signals turned out: one row per (version, symbol, prediction bar) — repeated predictions of the same bar
 * count once (the first one logged; `requests` counts them all). Filled from `prediction_log` by the outcome job
 * (server/outcomes), resolved once the bar `horizon` steps later exists in a dataset of that symbol and timeframe,
 * with the version's own label rule (ATR as of the prediction bar).
 */
export const predictionOutcomes = pgTable(
  'prediction_outcomes',
  {
    versionId: uuid('version_id').notNull(),
    symbol: text('symbol').notNull(),
    /** Open time of the prediction bar (a request's `timestamp` is the bar's close; without one, the bar it arrived in). */
    barTs: timestamp('bar_ts', { withTimezone: true }).notNull(),
    modelName: text('model_name').notNull(),
    version: integer('version').notNull(),
    /** 0 SELL, 1 HOLD, 2 BUY — the first logged answer for this bar. */
    predicted: smallint('predicted').notNull(),
    confidence: real('confidence').notNull(),
    shadow: boolean('shadow').notNull(),
    requests: integer('requests').notNull(),
    firstLoggedAt: timestamp('first_logged_at', { withTimezone: true }).notNull(),
    /** Set when resolved: the realised label (null when the bar cannot be labelled, e.g. no ATR yet), returns. */
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    datasetId: integer('dataset_id'),
    realised: smallint('realised'),
    forwardReturn: doublePrecision('forward_return'),
    /** BUY: r − costs, SELL: −r − costs, HOLD: null (no position). Costs: the version's costBps per side, both sides. */
    returnAfterCosts: doublePrecision('return_after_costs'),
    /** Why a row cannot be resolved yet or ever ('no dataset for EURUSD 1h', 'no bar at …'). */
    note: text('note'),
  },
  (t) => [
    primaryKey({ columns: [t.versionId, t.symbol, t.barTs] }),
    index('prediction_outcomes_model_idx').on(t.modelName, t.version, t.barTs),
    index('prediction_outcomes_pending_idx').on(t.versionId, t.symbol).where(sql`resolved_at is null`),
  ],
);

/** How far the outcome job has read `prediction_log` (by id). */
export const outcomeCursor = pgTable('outcome_cursor', {
  name: text('name').primaryKey(),
  lastId: bigint('last_id', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
