import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, appendProcedure, type Assert, type SameShape } from '../init';
import {
  listDatasets,
  getDataset,
  listImports,
  deleteDataset,
  withFreshness,
  DatasetSummarySchema,
  DatasetImportSchema,
  ImportErrorSchema,
  type DatasetSummary,
  type DatasetImport,
} from '../../market/store';
import { importCandles, ImportOptionsSchema, ImportResultSchema, type ImportResult } from '../../market/import';
import { appendCandles, AppendOptionsSchema, AppendResultSchema, type AppendResult, type JsonBar } from '../../market/append';
import type { RowError } from '../../market/parse/parse-candles';
import { datasetFeatures, type FeatureTable, type FeatureTableRow } from '../../market/feature-table';
import { LabelRuleSchema, type ClassBalance, type LabelRule } from '../../market/labels';
import { datasetChart, ZChartRequest, type ChartData, type ChartPoint } from '../../market/chart';
import type { FeatureName } from '../../market/indicators';
import { recordAudit } from '../../auth/audit';
import { notFound } from '../../errors';

/** Largest CSV accepted inline through tRPC; bigger files go to the streaming REST upload (POST /api/v1/datasets). */
export const MAX_INLINE_CSV_BYTES = 50 * 1024 * 1024;

// Response schemas. Datasets and import reports already cross the API as JSON-safe rows (ISO timestamps); the
// chart and feature documents list their keys, with their big per-bar arrays as `z.custom` over the declared types.

export const ZListDatasetsResponse = z.array(DatasetSummarySchema);
type _Datasets = Assert<SameShape<z.output<typeof ZListDatasetsResponse>, DatasetSummary[]>>;

export const ZDatasetResponse = z.object({ dataset: DatasetSummarySchema, imports: z.array(DatasetImportSchema) });
type _Dataset = Assert<SameShape<z.output<typeof ZDatasetResponse>, { dataset: DatasetSummary; imports: DatasetImport[] }>>;

type _RowError = Assert<SameShape<z.output<typeof ImportErrorSchema>, RowError>>;
export const ZImportResponse = ImportResultSchema;
type _Import = Assert<SameShape<z.output<typeof ZImportResponse>, ImportResult>>;
export const ZAppendResponse = AppendResultSchema;
type _Append = Assert<SameShape<z.output<typeof ZAppendResponse>, AppendResult>>;

/**
 * data.append: JSON bars (validated bar by bar inside appendCandles, so a bad bar is reported by index and, unless
 * `strict`, skipped) or CSV text; exactly one of them.
 */
export const ZAppendRequest = AppendOptionsSchema.partial({ strict: true, format: true }).extend({
  bars: z.array(z.custom<JsonBar>()).optional(),
  csv: z.string().min(1, 'the file is empty').max(MAX_INLINE_CSV_BYTES, `the file exceeds ${MAX_INLINE_CSV_BYTES} bytes; use POST /api/v1/datasets/{name}/candles`).optional(),
});

export const ZChartResponse = z.object({
  dataset: z.string(),
  totalBars: z.number().int(),
  windowBars: z.number().int(),
  points: z.custom<ChartPoint[]>(),
  barsPerPoint: z.number().int(),
  labelRule: z.custom<LabelRule>(),
  classBalance: z.custom<ClassBalance>(),
  warmupBars: z.number().int(),
});
type _Chart = Assert<SameShape<z.output<typeof ZChartResponse>, ChartData>>;

export const ZFeaturesResponse = z.object({
  dataset: z.string(),
  featureNames: z.custom<readonly FeatureName[]>(),
  labelRule: z.custom<LabelRule>().nullable(),
  rows: z.custom<FeatureTableRow[]>(),
  warmupBars: z.number().int(),
  classBalance: z.custom<ClassBalance>().nullable(),
  /** Rows in [from, to] before the cap; `rows` holds the first `limit` of them (ask again from the last row's ts). */
  totalRows: z.number().int(),
  truncated: z.boolean(),
});
type _Features = Assert<SameShape<z.output<typeof ZFeaturesResponse>, FeatureTable & { dataset: string; totalRows: number; truncated: boolean }>>;

/** Most rows one data.features answer carries (a row is ~0.4 kB of JSON); the CLI's export is not capped. */
export const MAX_FEATURE_ROWS = 5000;

export const dataRouter = router({
  list: viewerProcedure.output(ZListDatasetsResponse).query(({ ctx }) => listDatasets(ctx.db)),
  get: viewerProcedure.input(z.object({ name: z.string().min(1) })).output(ZDatasetResponse).query(async ({ ctx, input }) => {
    const [dataset] = await withFreshness(ctx.db.$client, [await getDataset(ctx.db, input.name)], Date.now());
    return { dataset, imports: await listImports(ctx.db, dataset.name, { limit: 20 }) };
  }),
  chart: viewerProcedure.input(ZChartRequest).output(ZChartResponse).query(({ ctx, input }) => datasetChart(ctx.db, input)),
  features: viewerProcedure
    .input(
      z.object({
        dataset: z.string().min(1),
        from: z.string().optional(),
        to: z.string().optional(),
        labels: LabelRuleSchema.optional(),
        limit: z.number().int().min(1).max(MAX_FEATURE_ROWS, `must be at most ${MAX_FEATURE_ROWS} (page with from)`).default(MAX_FEATURE_ROWS),
      }),
    )
    .output(ZFeaturesResponse)
    .query(async ({ ctx, input }) => {
      const { limit, ...params } = input;
      const t = await datasetFeatures(ctx.db, params);
      return { ...t, rows: t.rows.slice(0, limit), totalRows: t.rows.length, truncated: t.rows.length > limit };
    }),
  /** Imports CSV text (for TypeScript callers; the browser uses the streaming REST upload). */
  import: engineerProcedure
    .input(ImportOptionsSchema.extend({ csv: z.string().min(1, 'the file is empty').max(MAX_INLINE_CSV_BYTES, `the file exceeds ${MAX_INLINE_CSV_BYTES} bytes; use POST /api/v1/datasets`) }))
    .output(ZImportResponse)
    .mutation(async ({ ctx, input }) => {
      const { csv, ...opts } = input;
      return importCandles(ctx.db, { ...opts, source: Buffer.from(csv, 'utf8'), actor: ctx.actor });
    }),
  /** Appends closed bars (JSON or CSV text) to an existing dataset: merge, idempotent, conflicts listed; answers the report with freshness. */
  append: appendProcedure
    .input(ZAppendRequest)
    .output(ZAppendResponse)
    .mutation(({ ctx, input }) => appendCandles(ctx.db, input, ctx.actor)),
  delete: engineerProcedure.input(z.object({ name: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const r = await deleteDataset(ctx.db, input.name);
    if (!r.deleted) throw notFound(`No dataset named '${input.name}'.`);
    await recordAudit(ctx.db, { actor: ctx.actor, action: 'dataset.delete', target: input.name, details: { from: { dataset: input.name }, to: null } });
    return r;
  }),
});
