import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure } from '../init';
import { listModels, getVersion, archiveVersion } from '../../registry/versions';

const ZVersionRef = z.object({ model: z.string().min(1), version: z.union([z.string(), z.number().int()]) });

export const registryRouter = router({
  /** Every model with its versions (status, key metrics), newest version first. */
  list: viewerProcedure.query(({ ctx }) => listModels(ctx.db)),
  /** One version: metrics, gate, indicator weights, lineage, artifact summary. */
  get: viewerProcedure.input(ZVersionRef).query(({ ctx, input }) => getVersion(ctx.db, input.model, input.version)),
  archive: engineerProcedure.input(ZVersionRef).mutation(({ ctx, input }) => archiveVersion(ctx.db, input.model, input.version, ctx.actor)),
});
