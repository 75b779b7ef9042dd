import { z } from 'zod';
import { router, viewerProcedure, type Assert, type SameShape } from '../init';
import { ZSeriesRequest, parseSeriesRequest, metricsSeries, pipelinePanel, processTable, type MetricsSeries, type PipelinePanel, type ProcessTable } from '../../monitoring/dashboard';
import { RUN_STATUSES } from '../../../drizzle/schema';
import { ZWorker } from './system';

// Response schemas (Date objects here, ISO strings over HTTP). Times in series are epoch milliseconds; rates are
// fractions (0–1, null when there was nothing to divide by); latencies in milliseconds.

const rateOrNull = z.number().nullable();
const classes = z.object({ SELL: z.number().int(), HOLD: z.number().int(), BUY: z.number().int() });

export const ZMetricsSeriesResponse = z.object({
  range: ZSeriesRequest.shape.range,
  model: z.string().nullable(),
  from: z.number(),
  to: z.number(),
  stepSeconds: z.number().int(),
  sourceInterval: z.union([z.literal(10), z.literal(60)]),
  generatedAt: z.number(),
  models: z.array(z.string()),
  versions: z.array(z.object({ key: z.string(), model: z.string(), version: z.number().int() })),
  rows: z.number().int(),
  lastRollupAt: z.number().nullable(),
  totals: z.object({
    requests: z.number().int(),
    predictions: z.number().int(),
    errors: z.number().int(),
    errors4xx: z.number().int(),
    errors5xx: z.number().int(),
    errorRate: rateOrNull,
    serverErrorRate: rateOrNull,
    cacheHitRate: rateOrNull,
    imputedShare: rateOrNull,
    lowConfidenceRate: rateOrNull,
    avgLatencyMs: rateOrNull,
    p50Ms: rateOrNull,
    p95Ms: rateOrNull,
    p99Ms: rateOrNull,
    meanBatchSize: rateOrNull,
    classes,
    rps: z.number(),
  }),
  points: z.array(
    z.object({
      t: z.number(),
      requests: z.number().int(),
      predictions: z.number().int(),
      errors: z.number().int(),
      rps: z.number(),
      errorRate: rateOrNull,
      cacheHitRate: rateOrNull,
      imputedShare: rateOrNull,
      lowConfidenceRate: rateOrNull,
      p50Ms: rateOrNull,
      p95Ms: rateOrNull,
      p99Ms: rateOrNull,
      meanBatchSize: rateOrNull,
      classes,
      byVersion: z.record(z.string(), z.object({ requests: z.number().int(), rps: z.number(), p50Ms: rateOrNull, p95Ms: rateOrNull, p99Ms: rateOrNull })),
    }),
  ),
  confidence: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
  share: z.array(
    z.object({
      model: z.string(),
      answered: z.number().int(),
      versions: z.array(z.object({ version: z.number().int(), key: z.string(), answered: z.number().int(), actual: rateOrNull, configured: rateOrNull })),
    }),
  ),
  topSymbols: z.array(z.object({ symbol: z.string(), requests: z.number() })),
});
type _Series = Assert<SameShape<z.output<typeof ZMetricsSeriesResponse>, MetricsSeries>>;

export const ZProcessTableResponse = z.object({
  staleAfterSeconds: z.number(),
  windowSeconds: z.number(),
  processes: z.array(
    z.object({
      processId: z.string(),
      kind: z.string(),
      host: z.string(),
      pid: z.number().int(),
      cpuPercent: z.number(),
      rssBytes: z.number(),
      heapUsedBytes: z.number(),
      heapTotalBytes: z.number(),
      systemMemoryPercent: z.number(),
      eventLoopP99Ms: z.number(),
      openConnections: z.number().nullable(),
      lastSeen: z.date(),
      ageSeconds: z.number(),
      stale: z.boolean(),
    }),
  ),
});
type _Processes = Assert<SameShape<z.output<typeof ZProcessTableResponse>, ProcessTable>>;

export const ZPipelineResponse = z.object({
  runs: z.array(z.object({ status: z.enum(RUN_STATUSES), last24h: z.number().int(), all: z.number().int() })),
  active: z.array(z.object({ id: z.string(), modelName: z.string(), status: z.enum(RUN_STATUSES), epoch: z.number().int(), epochs: z.number().int(), startedAt: z.date().nullable() })),
  queues: z.array(z.object({ name: z.string(), waiting: z.number().int(), active: z.number().int() })),
  workers: z.object({ alive: z.number().int(), stale: z.number().int(), staleAfterSeconds: z.number(), list: z.array(ZWorker) }),
});
type _Pipeline = Assert<SameShape<z.output<typeof ZPipelineResponse>, PipelinePanel>>;

/** The Metrics page: live series from the roll-ups of every replica, processes, training and queue (viewers). */
export const monitoringRouter = router({
  series: viewerProcedure.input(parseSeriesRequest).output(ZMetricsSeriesResponse).query(({ ctx, input }) => metricsSeries(ctx.db, input)),
  processes: viewerProcedure.output(ZProcessTableResponse).query(({ ctx }) => processTable(ctx.db)),
  pipeline: viewerProcedure.output(ZPipelineResponse).query(({ ctx }) => pipelinePanel(ctx.db)),
});
