/**
 * The shapes of every jsonb column — one module, types only. Each column in drizzle/schema/*.ts takes its type from
 * here (`jsonb(...).$type<Shape>()`), and the code that builds the value `satisfies` the same shape, so writer, reader,
 * the tRPC outputs and the pages agree on one declaration per fact. Domain types are imported where they already
 * exist (type-only: the schema must not load server modules at runtime, and those modules import the schema).
 *
 * JSON cannot hold NaN or ±Infinity: whatever is stored goes through `JSON.stringify`, which writes them as null.
 * Values that can hold a non-finite number (evaluation figures, importances) are typed `JsonSafe<T>`; values whose
 * numbers are finite by construction (a zod-validated request, integers, counts) keep their own type.
 */
import type { Evaluation, GateResult } from '../../server/training/evaluate';
import type { IndicatorWeights } from '../../server/training/weights';
import type { StageRecord } from '../../server/training/runs';
import type { TrainRequest } from '../../server/training/params';
import type { SampleSnapshot } from '../../server/market/samples';
import type { RowError } from '../../server/market/parse/parse-candles';
import type { ArtifactMeta } from '../../server/ml/artifact';
import type { TfInfo } from '../../server/ml/backend';

// --- helpers ---------------------------------------------------------------------------------------------------------

/** `T` as stored through `jsonSafe()` / JSON: every number may be null (NaN and ±Infinity are written as null). */
export type JsonSafe<T> = T extends number
  ? number | null
  : T extends readonly (infer U)[]
    ? JsonSafe<U>[]
    : T extends object
      ? { [K in keyof T]: JsonSafe<T[K]> }
      : T;

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// --- training_runs ---------------------------------------------------------------------------------------------------

/** `training_runs.params`: the validated training request (every parameter; zod keeps its numbers finite). */
export type RunParams = TrainRequest;

/** `training_runs.stages`: one record per pipeline stage, in order. */
export type RunStages = StageRecord[];

/** One epoch on a learning curve (also kept in the version's metrics). The figures may be null (non-finite). */
export interface EpochCurvePoint {
  epoch: number;
  loss: number | null;
  valLoss: number | null;
  accuracy: number | null;
  valAccuracy: number | null;
}

/** One element of `training_runs.history`, appended at every finished epoch. */
export interface EpochRecord extends EpochCurvePoint {
  epochs: number;
  elapsedMs: number | null;
  etaMs: number | null;
  /** This epoch has the best validation loss so far. */
  best: boolean;
}

/** One element of `training_runs.logs`: a short human-readable line. */
export interface RunLogEntry {
  /** ISO time. */
  at: string;
  msg: string;
}

/** `training_runs.result`: the outcome summary for lists (null until the run registered a version). */
export interface RunResult {
  model: string;
  version: number;
  status: 'candidate' | 'rejected';
  accuracy: number | null;
  macroF1: number | null;
  passed: boolean;
}

// --- model_versions --------------------------------------------------------------------------------------------------

/** `model_versions.metrics`: the test-part evaluation, with the learning curve (absent on versions older than it). */
export type VersionMetrics = JsonSafe<Evaluation> & { history?: EpochCurvePoint[] };

/** `model_versions.gate`: the gate's verdict with every check. */
export type VersionGate = JsonSafe<GateResult>;

/** `model_versions.indicator_weights`: normalised permutation importance per indicator, change vs the previous version. */
export type VersionIndicatorWeights = JsonSafe<IndicatorWeights>;

/**
 * `model_versions.lineage`: what it takes to rebuild the version, and who/what made it. Its numbers are finite by
 * construction (the validated request, counts, bar indices, durations), so it keeps its own types.
 */
export interface VersionLineage {
  dataset: SampleSnapshot;
  params: TrainRequest;
  seed: number;
  code: { app: string; commit: string | null };
  tensorflow: TfInfo | null;
  /** Per stage. */
  durationsMs: Record<string, number>;
  runId: string;
  startedBy: string;
  trigger: string;
  worker: { id: string; host: string };
  /** Absent on versions registered before it was recorded. */
  training?: { epochsRun: number; bestEpoch: number; stoppedEarly: boolean };
  /** `vN` when the weights are bit-identical to an earlier version of the same model. */
  duplicateOf?: string;
}

// --- model_artifacts -------------------------------------------------------------------------------------------------

/** `model_artifacts.meta`: the artifact without its weight bytes (those are in the bytea column). */
export type { ArtifactMeta };

// --- model_schedules -------------------------------------------------------------------------------------------------

/** `model_schedules.params`: the training request a schedule runs; its model name is the schedule's, never forced. */
export type ScheduleParams = Omit<TrainRequest, 'modelName' | 'force'> & { modelName: string };

// --- dataset_imports -------------------------------------------------------------------------------------------------

/** `dataset_imports.errors`: the first bad rows of the file (the count is in `skipped`). */
export type ImportErrors = RowError[];

// --- audit_log -------------------------------------------------------------------------------------------------------

/** `audit_log.details`: free-form facts of the action (ids, previous values), or null. */
export type AuditDetails = Record<string, unknown>;

// --- monitoring ------------------------------------------------------------------------------------------------------

/** `metric_rollups.symbols`: requests per symbol in the interval. */
export type RollupSymbolCounts = Record<string, number>;

/** `alert_rules.params`: the rule kind's parameters. */
export type AlertRuleParams = Record<string, unknown>;

/** `alert_states.labels`, `alert_events.labels` / `.annotations`: Alertmanager-style string maps. */
export type AlertLabels = Record<string, string>;

/** `alert_deliveries.payload`: the body sent to the channel (Alertmanager's or Slack's format). */
export type AlertPayload = unknown;

// --- serving_settings ------------------------------------------------------------------------------------------------

/** `serving_settings.value`: a JSON value per key. */
export type ServingSettingValue = JsonValue;

// --- promotion -------------------------------------------------------------------------------------------------------

export type {
  NewVersionPolicy as PromotionPolicyShape,
  ShadowState as PromotionShadowShape,
  CanaryState as PromotionCanaryShape,
  PromotionSnapshot as PromotionSnapshotShape,
  AutomaticReason as PromotionAutomaticShape,
} from '../../server/promotion/shapes';

// --- drift -----------------------------------------------------------------------------------------------------------

export type { DriftProfile as DriftProfileShape, DriftReportBody, DriftPolicy as DriftPolicyShape } from '../../server/drift/shapes';
