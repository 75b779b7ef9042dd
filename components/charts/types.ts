/**
 * View types for the Training and Models pages, derived from the router's outputs as the browser receives them
 * (`inferRouterOutputs`: transformer-free JSON, so dates are ISO strings). The jsonb parts are typed at the source —
 * drizzle/schema/shapes.ts — so nothing here restates a server shape (types only: nothing from server/ is bundled).
 */
import type { inferRouterOutputs } from '@trpc/server';
import type { Serialize } from '@trpc/server/unstable-core-do-not-import';
import type { AppRouter } from '@/server/trpc/root';
import type { TrainRequest } from '@/server/training/params';
import type { ModelConfig } from '@/server/ml/models';

export type Outputs = inferRouterOutputs<AppRouter>;
export type RunRow = Outputs['training']['get'];
export type RunListRow = Outputs['training']['list'][number];
export type ModelList = Outputs['registry']['list'];
export type VersionSummary = ModelList[number]['versions'][number];
export type VersionRow = Outputs['registry']['get'];
export type ScheduleRow = Outputs['training']['schedules'][number];
export type TrainDefaults = Outputs['training']['defaults'];

export type { JsonSafe } from '@/drizzle/schema/shapes';
export type { TrainRequest };
export type StageView = RunRow['stages'][number];
/** Alias kept for callers that name the server's record. */
export type StageRecord = StageView;
export type RunStatus = RunListRow['status'];

export type EpochPoint = RunRow['history'][number];
export type LogLine = RunRow['logs'][number];
export type RunResult = NonNullable<RunRow['result']>;

export type Metrics = VersionRow['metrics'];
export type Gate = VersionRow['gate'];
export type Weights = VersionRow['indicatorWeights'];
export type Lineage = VersionRow['lineage'];
export type { ModelConfig };

export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];
export const isActive = (s: RunStatus) => ACTIVE_STATUSES.includes(s);

/** The jsonb parts of a run (typed by their columns), with empty defaults. */
export function runParts(run: Pick<RunRow, 'stages' | 'history' | 'logs' | 'result' | 'params'>) {
  return {
    stages: run.stages ?? [],
    history: run.history ?? [],
    logs: run.logs ?? [],
    result: run.result ?? null,
    params: run.params,
  };
}

/** The jsonb parts of a version (typed by their columns). */
export function versionParts(v: Pick<VersionRow, 'metrics' | 'gate' | 'indicatorWeights' | 'lineage'>) {
  return {
    metrics: v.metrics,
    gate: v.gate,
    weights: v.indicatorWeights,
    lineage: v.lineage,
  };
}

/** The training parameters a schedule form edits: the request without what the schedule sets itself. */
export type ScheduleParams = Omit<TrainRequest, 'modelName' | 'force'>;

/**
 * The request a schedule runs, from a version's lineage or a stored schedule: without the fields the schedule sets
 * itself (its input schema is strict).
 */
export function scheduleParams(p: (ScheduleParams & { modelName?: string; force?: boolean }) | null | undefined): ScheduleParams | null {
  if (!p || typeof p !== 'object') return null;
  const { modelName: _m, force: _f, ...rest } = p;
  return rest;
}

/**
 * A server caller's result as the browser receives it over HTTP (transformer-free JSON: dates become ISO strings),
 * so initial data from a server component and polled data have the same shape — and the same type
 * (`Serialize` is what `inferRouterOutputs` applies).
 */
export function asWire<T>(value: T): Serialize<T> {
  return JSON.parse(JSON.stringify(value));
}
