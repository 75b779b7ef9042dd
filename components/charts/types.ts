/**
 * View types for the Training and Models pages. Procedures return jsonb columns as `unknown`; these describe what
 * the training job stores there (types only: nothing from server/ is bundled). JSON cannot hold NaN, so every number
 * the server computed may arrive as null (`JsonSafe`).
 */
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/trpc/root';
import type { Evaluation, GateResult } from '@/server/training/evaluate';
import type { IndicatorWeights } from '@/server/training/weights';
import type { StageRecord } from '@/server/training/runs';
import type { TrainRequest } from '@/server/training/params';
import type { SampleSnapshot } from '@/server/market/samples';
import type { TfInfo } from '@/server/ml/backend';
import type { ModelConfig } from '@/server/ml/models';

export type Outputs = inferRouterOutputs<AppRouter>;
export type RunRow = Outputs['training']['get'];
export type RunListRow = Outputs['training']['list'][number];
export type ModelList = Outputs['registry']['list'];
export type VersionSummary = ModelList[number]['versions'][number];
export type VersionRow = Outputs['registry']['get'];
export type ScheduleRow = Outputs['training']['schedules'][number];
export type TrainDefaults = Outputs['training']['defaults'];

/** Every number may be null (NaN and ±Infinity are stored as null). */
export type JsonSafe<T> = T extends number
  ? number | null
  : T extends readonly (infer U)[]
    ? JsonSafe<U>[]
    : T extends object
      ? { [K in keyof T]: JsonSafe<T[K]> }
      : T;

export type { TrainRequest, StageRecord };
export type StageView = StageRecord;
export type RunStatus = RunListRow['status'];

export interface EpochPoint {
  epoch: number;
  epochs: number;
  loss: number | null;
  accuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  elapsedMs: number | null;
  etaMs: number | null;
  best: boolean;
}
export interface LogLine {
  at: string;
  msg: string;
}
export interface RunResult {
  model: string;
  version: number;
  status: 'candidate' | 'rejected';
  accuracy: number | null;
  macroF1: number | null;
  passed: boolean;
}

export type Metrics = JsonSafe<Evaluation> & {
  history?: { epoch: number; loss: number | null; valLoss: number | null; accuracy: number | null; valAccuracy: number | null }[];
};
export type Gate = JsonSafe<GateResult>;
export type Weights = JsonSafe<IndicatorWeights>;
export interface Lineage {
  dataset: JsonSafe<SampleSnapshot>;
  params: TrainRequest;
  seed: number;
  code: { app: string; commit: string | null };
  tensorflow: TfInfo | null;
  durationsMs: Record<string, number>;
  runId: string;
  startedBy: string;
  trigger: string;
  worker: { id: string; host: string };
  training?: { epochsRun: number; bestEpoch: number; stoppedEarly: boolean };
}
export type { ModelConfig };

export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];
export const isActive = (s: RunStatus) => ACTIVE_STATUSES.includes(s);

/** The jsonb parts of a run, typed. */
export function runParts(run: Pick<RunRow, 'stages' | 'history' | 'logs' | 'result' | 'params'>) {
  return {
    stages: (run.stages ?? []) as StageView[],
    history: (run.history ?? []) as EpochPoint[],
    logs: (run.logs ?? []) as LogLine[],
    result: (run.result ?? null) as RunResult | null,
    params: run.params as TrainRequest,
  };
}

/** The jsonb parts of a version, typed. */
export function versionParts(v: Pick<VersionRow, 'metrics' | 'gate' | 'indicatorWeights' | 'lineage'>) {
  return {
    metrics: v.metrics as Metrics,
    gate: v.gate as Gate,
    weights: v.indicatorWeights as Weights,
    lineage: v.lineage as Lineage,
  };
}

export type ScheduleParams = Omit<TrainRequest, 'modelName' | 'force'>;

/** The request a schedule runs, without the fields the schedule sets itself (its input schema is strict). */
export function scheduleParams(p: unknown): ScheduleParams | null {
  if (!p || typeof p !== 'object') return null;
  const { modelName: _m, force: _f, ...rest } = p as TrainRequest;
  return rest;
}

/**
 * A server caller's result as the browser receives it over HTTP (transformer-free JSON: dates become ISO strings),
 * so initial data from a server component and polled data have the same shape.
 */
export function asWire<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
