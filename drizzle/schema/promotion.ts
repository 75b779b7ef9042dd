import { pgTable, text, timestamp, integer, uuid, primaryKey, jsonb, bigserial, index, doublePrecision } from 'drizzle-orm/pg-core';
import { modelVersions } from './registry';
import type { PromotionAutomaticShape, PromotionCanaryShape, PromotionPolicyShape, PromotionShadowShape, PromotionSnapshotShape } from './shapes';

/**
 * Named pointers to versions per model, like MLflow's `models:/name@champion`. `champion` takes the traffic not given
 * to others; one row per (model, alias), so a model never has two champions, and a swap is one update.
 */
export const modelAliases = pgTable(
  'model_aliases',
  {
    modelName: text('model_name').notNull(),
    alias: text('alias').notNull(),
    versionId: uuid('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelName, t.alias] })],
);

/** Per model: the revision (bumped by every change; stale writers get 409), the new-version policy, shadow, canary. */
export const promotionStates = pgTable('promotion_states', {
  modelName: text('model_name').primaryKey(),
  revision: integer('revision').notNull().default(0),
  policy: jsonb('policy').$type<PromotionPolicyShape>().notNull(),
  shadow: jsonb('shadow').$type<PromotionShadowShape>(),
  canary: jsonb('canary').$type<PromotionCanaryShape>(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * Append-only history of every promotion change (a trigger refuses UPDATE and DELETE): who, when, the whole state
 * before and after, and why (a person's comment, or the automatic rule with its figures).
 */
export const promotionHistory = pgTable(
  'promotion_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    modelName: text('model_name').notNull(),
    /** The revision this change produced. */
    revision: integer('revision').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    comment: text('comment'),
    automatic: jsonb('automatic').$type<PromotionAutomaticShape>(),
    before: jsonb('before').$type<PromotionSnapshotShape>().notNull(),
    after: jsonb('after').$type<PromotionSnapshotShape>().notNull(),
  },
  (t) => [index('promotion_history_model_idx').on(t.modelName, t.id)],
);

/**
 * Shadow predictions rolled up like `metric_rollups`, per shadow version and the primary version it shadowed:
 * agreement (same direction), confidence difference, class mix of both, the shadow's latency.
 */
export const shadowRollups = pgTable(
  'shadow_rollups',
  {
    bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
    intervalSeconds: integer('interval_seconds').notNull(),
    processId: text('process_id').notNull(),
    modelName: text('model_name').notNull(),
    version: integer('version').notNull(),
    primaryVersion: integer('primary_version').notNull(),
    requests: integer('requests').notNull(),
    agree: integer('agree').notNull(),
    errors: integer('errors').notNull(),
    /** Sum of (shadow confidence − primary confidence), and of its absolute value. */
    confidenceDiffSum: doublePrecision('confidence_diff_sum').notNull(),
    confidenceAbsDiffSum: doublePrecision('confidence_abs_diff_sum').notNull(),
    latencySumMs: doublePrecision('latency_sum_ms').notNull(),
    latencyHist: integer('latency_hist').array().notNull(),
    /** [SELL, HOLD, BUY] of the shadow and of the primary on the same requests. */
    classes: integer('classes').array().notNull(),
    primaryClasses: integer('primary_classes').array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.intervalSeconds, t.bucketStart, t.processId, t.modelName, t.version, t.primaryVersion] }),
    index('shadow_rollups_model_idx').on(t.modelName, t.bucketStart),
  ],
);
