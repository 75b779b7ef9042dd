import { z } from 'zod';
import { recordAudit } from '../../auth/audit';
import { router, scopedProcedure, viewerProcedure, engineerProcedure, type Assert, type SameShape } from '../init';
import { servingContext } from '../../serving/instance';
import type { InferenceEngine } from '../../serving/engine';
import { ZPredictRequest, ZPredictResponse } from '../../serving/schemas';
import { listSplits } from '../../promotion/traffic';
import { setSplit, ZSetSplitRequest } from '../../promotion/actions';
import type { FEATURE_NAMES } from '../../market/indicators';
import type { TfInfo } from '../../ml/backend';
import { ZListSplitsResponse } from './promotion';

/** What this process serves: routes, loaded versions, cache, micro-batching and prediction-log counters. */
export const ZServingInfoResponse = z.object({
  status: z.string(),
  /** Symbol → the model that answers it when a request names no model. */
  symbols: z.record(z.string(), z.string()),
  any_symbol_model: z.string().nullable(),
  models: z.array(
    z.object({
      name: z.string(),
      symbols: z.array(z.string()),
      any_symbol: z.boolean(),
      /** champion, challenger, … → `vN`. */
      aliases: z.record(z.string(), z.string()),
      shadow: z.object({ version: z.string(), sample: z.number(), loaded: z.boolean() }).nullable(),
      split: z.array(z.object({ version: z.string(), percent: z.number(), loaded: z.boolean(), window: z.number().nullable(), status: z.string().nullable() })),
    }),
  ),
  features: z.custom<typeof FEATURE_NAMES>(),
  generation: z.number(),
  reloaded_at: z.string(),
  tensorflow: z.custom<TfInfo>().nullable(),
  cache: z.object({ entries: z.number(), ttl_seconds: z.number(), hits: z.number() }),
  /** `<model>@v<n>` → micro-batching counters. */
  batching: z.record(z.string(), z.object({ batches: z.number(), items: z.number(), maxSize: z.number() })),
  prediction_log: z.object({ written: z.number(), overflow: z.number(), failedWrites: z.number(), pending: z.number() }),
  /** Shadow predictions of this process: computed, skipped (too many in flight), failed; in flight now. */
  shadow: z.object({ mirrored: z.number(), skipped: z.number(), failed: z.number(), inflight: z.number() }),
  requests: z.number(),
  errors: z.number(),
  served_by: z.string(),
});
type _Info = Assert<SameShape<z.output<typeof ZServingInfoResponse>, ReturnType<InferenceEngine['info']>>>;

/**
 * Inference over tRPC (API key with `predict`, or a signed-in user). Inputs are validated by the engine with the same
 * schema as REST, so the messages are the same; outputs are typed for the client.
 */
export const inferenceRouter = router({
  predict: scopedProcedure('predict')
    .input(ZPredictRequest)
    .output(ZPredictResponse)
    .mutation(async ({ input }) => (await servingContext()).engine.predict(input)),
  /** Items are checked one by one (a bad item fails alone), so they are typed but not validated up front. */
  batchPredict: scopedProcedure('predict')
    .input(z.object({ requests: z.array(z.custom<z.input<typeof ZPredictRequest>>((v) => typeof v === 'object' && v !== null)).min(1) }))
    .mutation(async ({ input }) => (await servingContext()).engine.predictBatch(input)),
  info: viewerProcedure.output(ZServingInfoResponse).query(async () => (await servingContext()).engine.info()),
  reload: engineerProcedure.mutation(async ({ ctx }) => {
    const engine = (await servingContext()).engine;
    const from = { generation: engine.generation };
    const to = await engine.reload('requested');
    await recordAudit(ctx.db, { actor: ctx.actor, action: 'serving.reload', target: engine.info().served_by ?? null, details: { from, to } });
    return to;
  }),
  /** Traffic split per model (the promotion pages build on this). */
  splits: viewerProcedure.output(ZListSplitsResponse).query(({ ctx }) => listSplits(ctx.db)),
  /** Alias of `promotion.setSplit` (kept for existing clients). */
  setSplit: engineerProcedure.input(ZSetSplitRequest).mutation(({ ctx, input }) => setSplit(ctx.db, input, ctx.actor)),
});
