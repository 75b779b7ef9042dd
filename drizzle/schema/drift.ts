import { pgTable, text, timestamp, integer, uuid, jsonb, bigserial, index, boolean, real } from 'drizzle-orm/pg-core';
import { modelVersions } from './registry';
import type { DriftPolicyShape, DriftProfileShape, DriftReportBody } from './shapes';

/** What a version saw in training, for drift: per model input the training part's bins and a sample; its test predictions' mix. */
export const driftReferences = pgTable('drift_references', {
  versionId: uuid('version_id')
    .primaryKey()
    .references(() => modelVersions.id, { onDelete: 'cascade' }),
  profile: jsonb('profile').$type<DriftProfileShape>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One drift report: per indicator the test, statistic, threshold and verdict; dataset, prediction and accuracy drift. */
export const driftReports = pgTable(
  'drift_reports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    modelName: text('model_name').notNull(),
    versionId: uuid('version_id').notNull(),
    version: integer('version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** ok | drift | insufficient_data */
    status: text('status').notNull(),
    datasetDrift: boolean('dataset_drift').notNull(),
    predictionDrift: boolean('prediction_drift').notNull(),
    accuracyDrift: boolean('accuracy_drift').notNull(),
    /** Share of indicators that drifted. */
    driftShare: real('drift_share'),
    samples: integer('samples').notNull(),
    /** schedule | api | cli | manual */
    trigger: text('trigger').notNull(),
    actor: text('actor').notNull(),
    body: jsonb('body').$type<DriftReportBody>().notNull(),
  },
  (t) => [index('drift_reports_model_idx').on(t.modelName, t.createdAt)],
);

/** Per model: thresholds, the daily schedule, and drift-triggered retraining (with its cool-down and cap). */
export const driftPolicies = pgTable('drift_policies', {
  modelName: text('model_name').primaryKey(),
  policy: jsonb('policy').$type<DriftPolicyShape>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});
