import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, type Assert, type SameShape } from '../init';
import { listModels, getVersion, archiveVersion } from '../../registry/versions';
import { VERSION_STATUSES } from '../../../drizzle/schema';
import type { VersionGate, VersionIndicatorWeights, VersionLineage, VersionMetrics } from '../../../drizzle/schema/shapes';
import type { ModelConfig } from '../../ml/models';

const ZVersionRef = z.object({ model: z.string().min(1), version: z.union([z.string(), z.number().int()]) });

// Response schemas (Date objects here, ISO strings over HTTP). jsonb columns are `z.custom<Shape>()` over
// drizzle/schema/shapes.ts, where each shape is declared once.

/** A version in the models list: status and key metrics. */
export const ZVersionSummary = z.object({
  id: z.string(),
  version: z.number().int(),
  label: z.string(),
  status: z.enum(VERSION_STATUSES),
  modelType: z.string(),
  createdAt: z.date(),
  createdBy: z.string(),
  runId: z.string().nullable(),
  accuracy: z.number().nullable(),
  macroF1: z.number().nullable(),
  winRate: z.number().nullable(),
  sharpe: z.number().nullable(),
  gatePassed: z.boolean(),
  dataset: z.string().nullable(),
});

/** Every model with its versions, newest version first. */
export const ZListModelsResponse = z.array(
  z.object({ name: z.string(), createdAt: z.date(), symbols: z.array(z.string()), anySymbol: z.boolean(), versions: z.array(ZVersionSummary) }),
);
type _ListModels = Assert<SameShape<z.output<typeof ZListModelsResponse>, Awaited<ReturnType<typeof listModels>>>>;

/** One version: metrics, gate, indicator weights, lineage, and a summary of its artifact (no weights). */
export const ZVersionResponse = z.object({
  id: z.string(),
  modelId: z.number().int(),
  model: z.string(),
  version: z.number().int(),
  label: z.string(),
  status: z.enum(VERSION_STATUSES),
  modelType: z.string(),
  metrics: z.custom<VersionMetrics>(),
  gate: z.custom<VersionGate>(),
  indicatorWeights: z.custom<VersionIndicatorWeights>(),
  lineage: z.custom<VersionLineage>(),
  runId: z.string().nullable(),
  createdAt: z.date(),
  createdBy: z.string(),
  archivedAt: z.date().nullable(),
  artifact: z
    .object({
      format: z.string(),
      sizeBytes: z.number().int(),
      sha256: z.string(),
      window: z.number().int(),
      featureOrder: z.array(z.string()),
      inputTransform: z.string(),
      temperature: z.number(),
      /** The label rule as the artifact stores it (opaque JSON from server/market). */
      labelRule: z.custom<NonNullable<unknown> | null>(),
      modelConfig: z.custom<ModelConfig>(),
    })
    .nullable(),
});
type _Version = Assert<SameShape<z.output<typeof ZVersionResponse>, Awaited<ReturnType<typeof getVersion>>>>;

export const registryRouter = router({
  /** Every model with its versions (status, key metrics), newest version first. */
  list: viewerProcedure.output(ZListModelsResponse).query(({ ctx }) => listModels(ctx.db)),
  /** One version: metrics, gate, indicator weights, lineage, artifact summary. */
  get: viewerProcedure
    .input(ZVersionRef)
    .output(ZVersionResponse)
    .query(({ ctx, input }) => getVersion(ctx.db, input.model, input.version)),
  archive: engineerProcedure.input(ZVersionRef).mutation(({ ctx, input }) => archiveVersion(ctx.db, input.model, input.version, ctx.actor)),
});
