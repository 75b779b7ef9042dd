import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure } from '../init';
import { getReport, listReports, driftPolicyOf, ZDriftRunRequest } from '../../drift/report';
import { driftAndMaybeRetrain, setDriftPolicy, ZSetDriftPolicyRequest } from '../../drift/retrain';
import { referenceOf } from '../../drift/profile';
import { DEFAULT_DRIFT_POLICY } from '../../drift/shapes';

type Out<F extends (...a: never[]) => unknown> = Awaited<ReturnType<F>>;
const ZModel = z.strictObject({ model: z.string().min(1).max(200) });

/**
 * Drift: run a report (engineers and `train` keys — it may start retraining), read reports, profiles and policies
 * (analysts and `read` keys), set a model's drift policy (engineers).
 */
export const driftRouter = router({
  run: engineerProcedure
    .input(ZDriftRunRequest)
    .output(z.custom<Out<typeof driftAndMaybeRetrain>>())
    .mutation(({ ctx, input }) => driftAndMaybeRetrain(ctx.db, input, { actor: ctx.actor, trigger: 'manual' })),
  reports: viewerProcedure
    .input(ZModel.extend({ limit: z.number().int().min(1).max(500).default(50) }))
    .output(z.custom<Out<typeof listReports>>())
    .query(({ ctx, input }) => listReports(ctx.db, input.model, input.limit)),
  report: viewerProcedure
    .input(z.strictObject({ id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }))
    .output(z.custom<Out<typeof getReport>>())
    .query(({ ctx, input }) => getReport(ctx.db, input.id)),
  /** A version's reference profile (built now if missing). */
  reference: viewerProcedure
    .input(z.strictObject({ versionId: z.string().uuid() }))
    .output(z.custom<Out<typeof referenceOf>>())
    .query(({ ctx, input }) => referenceOf(ctx.db, input.versionId)),
  policy: viewerProcedure
    .input(ZModel)
    .output(z.custom<typeof DEFAULT_DRIFT_POLICY>())
    .query(({ ctx, input }) => driftPolicyOf(ctx.db, input.model)),
  setPolicy: engineerProcedure
    .input(ZSetDriftPolicyRequest)
    .output(z.custom<Out<typeof setDriftPolicy>>())
    .mutation(({ ctx, input }) => setDriftPolicy(ctx.db, input, ctx.actor)),
});
