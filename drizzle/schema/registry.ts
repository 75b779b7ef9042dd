import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, integer, serial, jsonb, uuid, uniqueIndex, customType, index, boolean } from 'drizzle-orm/pg-core';
import type {
  ArtifactMeta,
  EpochRecord,
  RunLogEntry,
  RunParams,
  RunResult,
  RunStages,
  ScheduleParams,
  VersionGate,
  VersionIndicatorWeights,
  VersionLineage,
  VersionMetrics,
} from './shapes';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** Version lifecycle: training registers `candidate` (gate passed) or `rejected` (gate failed, kept for comparison). */
export const VERSION_STATUSES = ['candidate', 'rejected', 'archived'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export const models = pgTable('models', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  /**
   * The symbols this model serves (upper case). Registration adds each version's training symbol; an engineer may add
   * more. Serving answers a symbol only from a model that serves it.
   */
  symbols: text('symbols').array().notNull().default(sql`'{}'::text[]`),
  /** Serves any symbol (its inputs are scale-free, so an engineer may decide it generalises across markets). */
  anySymbol: boolean('any_symbol').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
});

/** One immutable trained version of a model: metrics, indicator weights, lineage. The artifact is beside it. */
export const modelVersions = pgTable(
  'model_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    /** 1, 2, … per model (shown as v1, v2, …). */
    version: integer('version').notNull(),
    status: text('status', { enum: VERSION_STATUSES }).notNull(),
    modelType: text('model_type').notNull(),
    /** Test-part evaluation: accuracy, macro-F1, per class, confusion, win rate, backtest, calibration, baselines, CIs. */
    metrics: jsonb('metrics').$type<VersionMetrics>().notNull(),
    /** { passed, reasons[], warnings[], thresholds } */
    gate: jsonb('gate').$type<VersionGate>().notNull(),
    /** Normalised permutation importance per indicator + change vs the previous version. */
    indicatorWeights: jsonb('indicator_weights').$type<VersionIndicatorWeights>().notNull(),
    /** Dataset snapshot, every parameter, seed, code version, tf backend, durations, run id, who. */
    lineage: jsonb('lineage').$type<VersionLineage>().notNull(),
    runId: uuid('run_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('model_versions_model_version_idx').on(t.modelId, t.version)],
);

/** Everything serving needs, written in the same transaction as the version row (no version without its artifact). */
export const modelArtifacts = pgTable('model_artifacts', {
  versionId: uuid('version_id')
    .primaryKey()
    .references(() => modelVersions.id, { onDelete: 'cascade' }),
  format: text('format').notNull(),
  /** Topology/config, feature order, input transform, scaler, window, label rule, temperature, weight specs. */
  meta: jsonb('meta').$type<ArtifactMeta>().notNull(),
  weights: bytea('weights').notNull(),
  /** Calibrated class probabilities on the test part (float32, n × 3), to check that a reload reproduces them. */
  testPredictions: bytea('test_predictions').notNull(),
  /** True labels of the test part (int8 per sample, 0 SELL 1 HOLD 2 BUY) and their bar times (float64 epoch ms), for
   * paired comparisons between versions tested on the same bars. Null on versions registered before they were kept. */
  testLabels: bytea('test_labels'),
  testTimes: bytea('test_times'),
  sizeBytes: integer('size_bytes').notNull(),
  sha256: text('sha256').notNull(),
});

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A training run: a pg-boss job executed by a worker, with its stages and per-epoch history. */
export const trainingRuns = pgTable(
  'training_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelName: text('model_name').notNull(),
    modelType: text('model_type').notNull(),
    dataset: text('dataset').notNull(),
    /** The validated training request (every parameter). */
    params: jsonb('params').$type<RunParams>().notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull(),
    /** [{ name, status, startedAt, endedAt, durationMs, detail?, error? }] */
    stages: jsonb('stages').$type<RunStages>().notNull(),
    /** Per epoch: loss, accuracy, valLoss, valAccuracy, elapsedMs, etaMs. */
    history: jsonb('history').$type<EpochRecord[]>().notNull().default(sql`'[]'::jsonb`),
    /** Short human-readable log lines [{ at, msg }]. */
    logs: jsonb('logs').$type<RunLogEntry[]>().notNull().default(sql`'[]'::jsonb`),
    error: text('error'),
    jobId: text('job_id'),
    workerId: text('worker_id'),
    versionId: uuid('version_id'),
    /** Outcome summary for lists: { model, version, status, accuracy, macroF1, passed }. */
    result: jsonb('result').$type<RunResult>(),
    trigger: text('trigger').notNull().default('manual'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** Refreshed by the worker while it runs; a stale heartbeat means the worker died. */
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
  },
  (t) => [
    // One active run per model name.
    uniqueIndex('training_runs_one_active_idx').on(t.modelName).where(sql`status in ('queued', 'running')`),
    index('training_runs_created_idx').on(t.createdAt),
  ],
);

/** Per-model retraining schedule (cron, UTC by default), fired by the worker's pg-boss cron tick. */
export const modelSchedules = pgTable('model_schedules', {
  modelName: text('model_name').primaryKey(),
  cron: text('cron').notNull(),
  timezone: text('timezone').notNull().default('UTC'),
  /** The training request to run (dataset, model type, parameters). */
  params: jsonb('params').$type<ScheduleParams>().notNull(),
  enabled: boolean('enabled').notNull().default(true),
  nextRunAt: timestamp('next_run_at', { withTimezone: true }),
  lastFiredAt: timestamp('last_fired_at', { withTimezone: true }),
  lastRunId: uuid('last_run_id'),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
