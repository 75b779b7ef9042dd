import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure } from '../init';
import { listDatasets, getDataset, listImports, deleteDataset } from '../../market/store';
import { importCandles, ImportOptionsSchema } from '../../market/import';
import { datasetFeatures } from '../../market/feature-table';
import { LabelRuleSchema } from '../../market/labels';
import { datasetChart, ZChartRequest } from '../../market/chart';
import { recordAudit } from '../../auth/audit';
import { notFound } from '../../errors';

/** Largest CSV accepted inline through tRPC; bigger files go to the streaming REST upload (POST /api/v1/datasets). */
export const MAX_INLINE_CSV_BYTES = 50 * 1024 * 1024;

export const dataRouter = router({
  list: viewerProcedure.query(({ ctx }) => listDatasets(ctx.db)),
  get: viewerProcedure.input(z.object({ name: z.string().min(1) })).query(async ({ ctx, input }) => {
    const dataset = await getDataset(ctx.db, input.name);
    return { dataset, imports: await listImports(ctx.db, dataset.name, { limit: 20 }) };
  }),
  chart: viewerProcedure.input(ZChartRequest).query(({ ctx, input }) => datasetChart(ctx.db, input)),
  features: viewerProcedure
    .input(z.object({ dataset: z.string().min(1), from: z.string().optional(), to: z.string().optional(), labels: LabelRuleSchema.optional() }))
    .query(({ ctx, input }) => datasetFeatures(ctx.db, input)),
  /** Imports CSV text (for TypeScript callers; the browser uses the streaming REST upload). */
  import: engineerProcedure
    .input(ImportOptionsSchema.extend({ csv: z.string().min(1, 'the file is empty').max(MAX_INLINE_CSV_BYTES, `the file exceeds ${MAX_INLINE_CSV_BYTES} bytes; use POST /api/v1/datasets`) }))
    .mutation(async ({ ctx, input }) => {
      const { csv, ...opts } = input;
      return importCandles(ctx.db, { ...opts, source: Buffer.from(csv, 'utf8'), actor: ctx.actor });
    }),
  delete: engineerProcedure.input(z.object({ name: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const r = await deleteDataset(ctx.db, input.name);
    if (!r.deleted) throw notFound(`No dataset named '${input.name}'.`);
    await recordAudit(ctx.db, { actor: ctx.actor, action: 'dataset.delete', target: input.name });
    return r;
  }),
});
