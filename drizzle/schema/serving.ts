import { pgTable, text, timestamp, integer, uuid, primaryKey, doublePrecision, real, boolean, bigserial, index, jsonb } from 'drizzle-orm/pg-core';
import { modelVersions } from './registry';
import type { ServingSettingValue } from './shapes';

/** Traffic split of a model: version → percent (the rows of one model sum to 100). */
export const trafficSplits = pgTable(
  'traffic_splits',
  {
    modelName: text('model_name').notNull(),
    versionId: uuid('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    percent: integer('percent').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelName, t.versionId] })],
);

/** The model a request without `model` goes to, per symbol, when several models serve that symbol. */
export const symbolDefaults = pgTable('symbol_defaults', {
  symbol: text('symbol').primaryKey(),
  modelName: text('model_name').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});

/** Key/value settings of the serving layer (e.g. the model a request without `model` goes to). */
export const servingSettings = pgTable('serving_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<ServingSettingValue>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * The 16 indicators of a symbol at a bar time: from prediction requests and from imported candles. Sequence models
 * complete a request's window from here (shared by every replica).
 */
export const symbolSnapshots = pgTable(
  'symbol_snapshots',
  {
    symbol: text('symbol').notNull(),
    barTime: timestamp('bar_time', { withTimezone: true }).notNull(),
    /** The 16 indicators in FEATURE_NAMES order. */
    features: doublePrecision('features').array().notNull(),
    source: text('source').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.symbol, t.barTime] })],
);

/** Every served prediction (written in batches, off the hot path). */
export const predictionLog = pgTable(
  'prediction_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    modelName: text('model_name').notNull(),
    versionId: uuid('version_id').notNull(),
    version: integer('version').notNull(),
    symbol: text('symbol').notNull(),
    barTime: timestamp('bar_time', { withTimezone: true }),
    inputHash: text('input_hash').notNull(),
    direction: text('direction').notNull(),
    confidence: real('confidence').notNull(),
    /** [SELL, HOLD, BUY] probabilities in [0, 1]. */
    probabilities: real('probabilities').array().notNull(),
    latencyMs: real('latency_ms').notNull(),
    cacheHit: boolean('cache_hit').notNull(),
    imputed: text('imputed').array().notNull(),
    stepsReal: integer('steps_real').notNull(),
    /** 16 indicators of the current bar (for drift monitoring). */
    features: real('features').array(),
    servedBy: text('served_by').notNull(),
    /** A shadow prediction: computed off the response path on a copy of the request, never returned. */
    shadow: boolean('shadow').notNull().default(false),
  },
  (t) => [index('prediction_log_model_at_idx').on(t.modelName, t.at), index('prediction_log_symbol_bar_idx').on(t.symbol, t.barTime)],
);
