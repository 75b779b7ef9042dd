import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, type Assert, type SameShape } from '../init';
import { startRun, getRun, listRuns, cancelRun, trainingStatus, type Run } from '../../training/runs';
import { STAGES, ZTrainRequest } from '../../training/params';
import { listSchedules, upsertSchedule, deleteSchedule, ZScheduleRequest, DEFAULT_CRON } from '../../training/schedules';
import { MODEL_TYPES } from '../../ml/models';
import { RUN_STATUSES } from '../../../drizzle/schema';
import type { EpochRecord, RunLogEntry, RunParams, RunResult, RunStages, ScheduleParams } from '../../../drizzle/schema/shapes';

// Response schemas. Dates are Date objects here (the caller's side) and ISO strings over HTTP (no transformer).
// jsonb columns are `z.custom<Shape>()` over drizzle/schema/shapes.ts: the shape is declared once there, and the
// code writing it `satisfies` it; a zod copy would be a second declaration of the same fact.

const runColumns = {
  id: z.string(),
  modelName: z.string(),
  modelType: z.string(),
  dataset: z.string(),
  status: z.enum(RUN_STATUSES),
  stages: z.custom<RunStages>(),
  result: z.custom<RunResult>().nullable(),
  error: z.string().nullable(),
  trigger: z.string(),
  createdBy: z.string(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  endedAt: z.date().nullable(),
};

/** A run with its stages, per-epoch history and log lines. */
export const ZRunResponse = z.object({
  ...runColumns,
  params: z.custom<RunParams>(),
  history: z.custom<EpochRecord[]>(),
  logs: z.custom<RunLogEntry[]>(),
  jobId: z.string().nullable(),
  workerId: z.string().nullable(),
  versionId: z.string().nullable(),
  heartbeatAt: z.date().nullable(),
  cancelRequestedAt: z.date().nullable(),
});
type _Run = Assert<SameShape<z.output<typeof ZRunResponse>, Run>>;

/** Runs for lists: epochs done and planned instead of the history. */
export const ZListRunsResponse = z.array(z.object({ ...runColumns, epochs: z.number().int(), totalEpochs: z.number().int() }));
type _ListRuns = Assert<SameShape<z.output<typeof ZListRunsResponse>, Awaited<ReturnType<typeof listRuns>>>>;

export const ZTrainingStatusResponse = z.object({
  active: z.array(
    z.object({
      id: z.string(),
      modelName: z.string(),
      dataset: z.string(),
      status: z.enum(RUN_STATUSES),
      stage: z.enum(STAGES).nullable(),
      epoch: z.number(),
      epochs: z.number().int(),
      etaMs: z.number().nullable(),
      startedAt: z.date().nullable(),
      workerId: z.string().nullable(),
    }),
  ),
});
type _Status = Assert<SameShape<z.output<typeof ZTrainingStatusResponse>, Awaited<ReturnType<typeof trainingStatus>>>>;

export const ZTrainingDefaultsResponse = z.object({ defaults: ZTrainRequest, modelTypes: z.custom<typeof MODEL_TYPES>(), defaultCron: z.string() });

export const ZListSchedulesResponse = z.array(
  z.object({
    modelName: z.string(),
    cron: z.string(),
    timezone: z.string(),
    params: z.custom<ScheduleParams>(),
    enabled: z.boolean(),
    nextRunAt: z.date().nullable(),
    lastFiredAt: z.date().nullable(),
    lastRunId: z.string().nullable(),
    updatedBy: z.string(),
    updatedAt: z.date(),
  }),
);
type _Schedules = Assert<SameShape<z.output<typeof ZListSchedulesResponse>, Awaited<ReturnType<typeof listSchedules>>>>;

export const trainingRouter = router({
  /** Queues a run (engineer). CONFLICT when the model already has an active run, unless `force`. */
  start: engineerProcedure.input(ZTrainRequest).mutation(({ ctx, input }) => startRun(ctx.db, input, ctx.actor)),
  cancel: engineerProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => cancelRun(ctx.db, input.id, ctx.actor)),
  list: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(50), modelName: z.string().optional() }).default({ limit: 50 }))
    .output(ZListRunsResponse)
    .query(({ ctx, input }) => listRuns(ctx.db, input)),
  /** One run with stages, per-epoch history and logs: poll it (≤ 2 s) for live progress. */
  get: viewerProcedure.input(z.object({ id: z.uuid() })).output(ZRunResponse).query(({ ctx, input }) => getRun(ctx.db, input.id)),
  status: viewerProcedure.output(ZTrainingStatusResponse).query(({ ctx }) => trainingStatus(ctx.db)),
  /** Form defaults and choices for the Training page. */
  defaults: viewerProcedure.output(ZTrainingDefaultsResponse).query(() => ({ defaults: ZTrainRequest.parse({ dataset: 'x' }), modelTypes: MODEL_TYPES, defaultCron: DEFAULT_CRON })),
  schedules: viewerProcedure.output(ZListSchedulesResponse).query(({ ctx }) => listSchedules(ctx.db)),
  setSchedule: engineerProcedure.input(ZScheduleRequest).mutation(({ ctx, input }) => upsertSchedule(ctx.db, input, ctx.actor)),
  deleteSchedule: engineerProcedure.input(z.object({ modelName: z.string() })).mutation(({ ctx, input }) => deleteSchedule(ctx.db, input.modelName, ctx.actor)),
});
