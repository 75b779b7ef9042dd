import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, type Assert, type SameShape } from '../init';
import { listModels, getVersion, archiveVersion } from '../../registry/versions';
import { compareVersions, versionParamsScatter, ZCompareInput, ZParamsScatterInput, COMPARE_KEYS } from '../../registry/compare';
import { VERSION_STATUSES } from '../../../drizzle/schema';
import type { VersionGate, VersionIndicatorWeights, VersionLineage, VersionMetrics } from '../../../drizzle/schema/shapes';
import type { ModelConfig } from '../../ml/models';

const ZVersionRef = z.object({ model: z.string().min(1).max(200), version: z.union([z.string().max(20), z.number().int()]) });

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

const ZInterval = z.object({ estimate: z.number(), lower: z.number(), upper: z.number(), level: z.number(), resamples: z.number().int() });
const ZScorePair = z.object({ a: z.number(), b: z.number(), diff: ZInterval });

/**
 * 2–4 versions side by side: each version as `registry.get` returns it plus its letter, test sample count, whether it
 * can be paired and its accuracy interval; B − A for each pair tested on the same bars (or why not); the lineage diff.
 */
export const ZCompareResponse = z.object({
  versions: z.array(
    ZVersionResponse.extend({
      key: z.enum(COMPARE_KEYS),
      testSamples: z.number().int(),
      /** Test labels and bar times are stored: the version can be paired with another tested on the same bars. */
      pairable: z.boolean(),
      /** Moving-block bootstrap interval of test accuracy (null when the test labels are not stored). */
      accuracyCI: ZInterval.nullable(),
    }),
  ),
  pairs: z.array(
    z.discriminatedUnion('available', [
      z.object({
        a: z.number().int(),
        b: z.number().int(),
        available: z.literal(true),
        shared: z.number().int(),
        from: z.string(),
        to: z.string(),
        blockLength: z.number().int(),
        accuracy: ZScorePair,
        macroF1: ZScorePair,
      }),
      z.object({ a: z.number().int(), b: z.number().int(), available: z.literal(false), shared: z.number().int().nullable(), reason: z.string() }),
    ]),
  ),
  diff: z.array(z.object({ group: z.enum(['data', 'parameters', 'training', 'code']), key: z.string(), values: z.array(z.string().nullable()), differs: z.boolean() })),
});
type _Compare = Assert<SameShape<z.output<typeof ZCompareResponse>, Awaited<ReturnType<typeof compareVersions>>>>;

/** Every version of one model: its training parameters and test macro-F1 (with interval), for a scatter. */
export const ZParamsScatterResponse = z.object({
  model: z.string(),
  params: z.array(z.object({ key: z.string(), kind: z.enum(['number', 'category']), distinct: z.number().int() })),
  points: z.array(
    z.object({
      version: z.number().int(),
      label: z.string(),
      status: z.enum(VERSION_STATUSES),
      modelType: z.string(),
      accuracy: z.number().nullable(),
      macroF1: z.number().nullable(),
      macroF1CI: z.object({ lower: z.number(), upper: z.number() }).nullable(),
      params: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
    }),
  ),
});
type _ParamsScatter = Assert<SameShape<z.output<typeof ZParamsScatterResponse>, Awaited<ReturnType<typeof versionParamsScatter>>>>;

export const registryRouter = router({
  /** Every model with its versions (status, key metrics), newest version first. */
  list: viewerProcedure.output(ZListModelsResponse).query(({ ctx }) => listModels(ctx.db)),
  /** One version: metrics, gate, indicator weights, lineage, artifact summary. */
  get: viewerProcedure
    .input(ZVersionRef)
    .output(ZVersionResponse)
    .query(({ ctx, input }) => getVersion(ctx.db, input.model, input.version)),
  /** 2–4 versions of any models side by side, with paired differences where they share test bars. */
  compare: viewerProcedure
    .input(ZCompareInput)
    .output(ZCompareResponse)
    .query(({ ctx, input }) => compareVersions(ctx.db, input.versions)),
  /** Parameters of every version of a model against its test macro-F1. */
  paramsScatter: viewerProcedure
    .input(ZParamsScatterInput)
    .output(ZParamsScatterResponse)
    .query(({ ctx, input }) => versionParamsScatter(ctx.db, input.model)),
  archive: engineerProcedure.input(ZVersionRef).mutation(({ ctx, input }) => archiveVersion(ctx.db, input.model, input.version, ctx.actor)),
});
