import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure } from '../init';
import { startRun, getRun, listRuns, cancelRun, trainingStatus } from '../../training/runs';
import { ZTrainRequest } from '../../training/params';
import { listSchedules, upsertSchedule, deleteSchedule, ZScheduleRequest, DEFAULT_CRON } from '../../training/schedules';
import { MODEL_TYPES } from '../../ml/models';

export const trainingRouter = router({
  /** Queues a run (engineer). CONFLICT when the model already has an active run, unless `force`. */
  start: engineerProcedure.input(ZTrainRequest).mutation(({ ctx, input }) => startRun(ctx.db, input, ctx.actor)),
  cancel: engineerProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => cancelRun(ctx.db, input.id, ctx.actor)),
  list: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(50), modelName: z.string().optional() }).default({ limit: 50 }))
    .query(({ ctx, input }) => listRuns(ctx.db, input)),
  /** One run with stages, per-epoch history and logs: poll it (≤ 2 s) for live progress. */
  get: viewerProcedure.input(z.object({ id: z.uuid() })).query(({ ctx, input }) => getRun(ctx.db, input.id)),
  status: viewerProcedure.query(({ ctx }) => trainingStatus(ctx.db)),
  /** Form defaults and choices for the Training page. */
  defaults: viewerProcedure.query(() => ({ defaults: ZTrainRequest.parse({ dataset: 'x' }), modelTypes: MODEL_TYPES, defaultCron: DEFAULT_CRON })),
  schedules: viewerProcedure.query(({ ctx }) => listSchedules(ctx.db)),
  setSchedule: engineerProcedure.input(ZScheduleRequest).mutation(({ ctx, input }) => upsertSchedule(ctx.db, input, ctx.actor)),
  deleteSchedule: engineerProcedure.input(z.object({ modelName: z.string() })).mutation(({ ctx, input }) => deleteSchedule(ctx.db, input.modelName, ctx.actor)),
});
