import { z } from 'zod';
import { router, scopedProcedure, viewerProcedure, engineerProcedure } from '../init';
import { servingContext } from '../../serving/instance';
import { ZPredictRequest, ZPredictResponse } from '../../serving/schemas';
import { setSplit, listSplits, ZSetSplitRequest } from '../../promotion/traffic';

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
  info: viewerProcedure.query(async () => (await servingContext()).engine.info()),
  reload: engineerProcedure.mutation(async () => (await servingContext()).engine.reload('requested')),
  /** Traffic split per model (the promotion pages build on this). */
  splits: viewerProcedure.query(({ ctx }) => listSplits(ctx.db)),
  setSplit: engineerProcedure.input(ZSetSplitRequest).mutation(({ ctx, input }) => setSplit(ctx.db, input, ctx.actor)),
});
