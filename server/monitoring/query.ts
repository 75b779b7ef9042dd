/**
 * The read side of the metric store: series and summaries over `metric_rollups` and `process_samples`, merged across
 * every replica (pages, JSON metrics and alert rules read these; never the raw prediction log). Ranges up to a day
 * read the 10-s rows; longer ones the per-minute roll-ups (`compaction.ts`).
 */
import type { Db, DbLike } from '../db/client';
import { BATCH_BUCKETS, LATENCY_BUCKETS_MS, bucketMean, quantile } from './histogram';
import { emptyCounts, addCounts, type Counts } from './counts';

export const RANGES = { '15m': 900, '1h': 3600, '24h': 86_400, '7d': 604_800 } as const;
export type RangeName = keyof typeof RANGES;

/** Step and source interval per range: about 30–170 points per chart. */
export function rangePlan(range: RangeName): { seconds: number; stepSeconds: number; sourceInterval: 10 | 60 } {
  switch (range) {
    case '15m':
      return { seconds: 900, stepSeconds: 30, sourceInterval: 10 };
    case '1h':
      return { seconds: 3600, stepSeconds: 60, sourceInterval: 10 };
    case '24h':
      return { seconds: 86_400, stepSeconds: 900, sourceInterval: 10 };
    case '7d':
      return { seconds: 604_800, stepSeconds: 3600, sourceInterval: 60 };
  }
}

export interface SeriesRow extends Counts {
  /** Step start, epoch ms. */
  t: number;
  model: string;
  version: number;
}

export { emptyCounts, addCounts, type Counts };

/** Derived figures of a set of counts (rates as fractions; null when there is nothing to divide by). */
export function figures(c: Counts) {
  const answered = c.requests - c.errors4xx - c.errors5xx;
  const lookups = c.cacheHits + c.cacheMisses;
  const r = (x: number, n: number) => (n > 0 ? x / n : null);
  return {
    requests: c.requests,
    predictions: answered,
    errors: c.errors4xx + c.errors5xx,
    errors4xx: c.errors4xx,
    errors5xx: c.errors5xx,
    errorRate: r(c.errors4xx + c.errors5xx, c.requests),
    serverErrorRate: r(c.errors5xx, c.requests),
    cacheHitRate: r(c.cacheHits, lookups),
    imputedShare: r(c.imputed, answered),
    lowConfidenceRate: r(c.lowConfidence, answered),
    avgLatencyMs: r(c.latencySumMs, c.requests),
    p50Ms: quantile(c.latencyHist, LATENCY_BUCKETS_MS, 0.5),
    p95Ms: quantile(c.latencyHist, LATENCY_BUCKETS_MS, 0.95),
    p99Ms: quantile(c.latencyHist, LATENCY_BUCKETS_MS, 0.99),
    meanBatchSize: bucketMean(c.batchHist, BATCH_BUCKETS),
    classes: { SELL: c.classes[0], HOLD: c.classes[1], BUY: c.classes[2] },
    confidenceHist: [...c.confidenceHist],
  };
}
export type Figures = ReturnType<typeof figures>;

const num = (v: unknown) => Number(v ?? 0);
/**
 * Which rows a read uses: source 10 = the raw per-process rows (whatever MONITORING_INTERVAL_SECONDS is, under a
 * minute); 60 or 3600 = the merged coarser roll-ups.
 */
const SOURCE = `(($3::int = 10 and interval_seconds < 60) or ($3::int <> 10 and interval_seconds = $3::int and process_id = '*'))`;
const arr = (v: unknown, len: number) => {
  const a = Array.isArray(v) ? v.map(Number) : [];
  while (a.length < len) a.push(0);
  return a;
};

/** Rows per step, model and version over [from, to), summed over processes (and over intervals within a step). */
export async function readSeries(db: DbLike, q: { from: number; to: number; stepSeconds: number; sourceInterval: number; model?: string }): Promise<SeriesRow[]> {
  const r = await (db as Db).$client.query(
    `select (floor(extract(epoch from bucket_start) / $4) * $4 * 1000)::float8 as t, model_name, version,
       sum(requests)::int as requests, sum(errors_4xx)::int as errors_4xx, sum(errors_5xx)::int as errors_5xx,
       sum(cache_hits)::int as cache_hits, sum(cache_misses)::int as cache_misses, sum(imputed)::int as imputed,
       sum(low_confidence)::int as low_confidence, sum(latency_sum_ms)::float8 as latency_sum_ms,
       so_int_array_sum(latency_hist) as latency_hist, so_int_array_sum(batch_hist) as batch_hist,
       so_int_array_sum(confidence_hist) as confidence_hist, so_int_array_sum(classes) as classes
     from metric_rollups
     where ${SOURCE} and bucket_start >= to_timestamp($1 / 1000.0) and bucket_start < to_timestamp($2 / 1000.0)
       and ($5::text is null or model_name = $5)
     group by 1, 2, 3 order by 1, 2, 3`,
    [q.from, q.to, q.sourceInterval, q.stepSeconds, q.model ?? null],
  );
  return r.rows.map((x) => ({
    t: num(x.t),
    model: x.model_name,
    version: num(x.version),
    requests: num(x.requests),
    errors4xx: num(x.errors_4xx),
    errors5xx: num(x.errors_5xx),
    cacheHits: num(x.cache_hits),
    cacheMisses: num(x.cache_misses),
    imputed: num(x.imputed),
    lowConfidence: num(x.low_confidence),
    latencySumMs: num(x.latency_sum_ms),
    latencyHist: arr(x.latency_hist, LATENCY_BUCKETS_MS.length + 1),
    batchHist: arr(x.batch_hist, BATCH_BUCKETS.length + 1),
    confidenceHist: arr(x.confidence_hist, 10),
    classes: arr(x.classes, 3),
  }));
}

/** Requests per symbol over [from, to), most first. */
export async function topSymbols(db: DbLike, q: { from: number; to: number; sourceInterval: number; limit?: number; model?: string }): Promise<{ symbol: string; requests: number }[]> {
  const r = await (db as Db).$client.query(
    `select key as symbol, sum(value::numeric)::float8 as n
     from metric_rollups, jsonb_each_text(symbols)
     where ${SOURCE} and bucket_start >= to_timestamp($1 / 1000.0) and bucket_start < to_timestamp($2 / 1000.0)
       and ($5::text is null or model_name = $5)
     group by key order by n desc, key limit $4`,
    [q.from, q.to, q.sourceInterval, q.limit ?? 10, q.model ?? null],
  );
  return r.rows.map((x) => ({ symbol: x.symbol, requests: num(x.n) }));
}

/**
 * The latest sample of each process seen within `withinSeconds` before `now` (default: the database's now) — the
 * process table, the JSON summary and the CPU / memory alert rules.
 */
export async function latestProcessSamples(db: DbLike, withinSeconds = 120, now?: number) {
  const r = await (db as Db).$client.query(
    `select distinct on (process_id) process_id, kind, host, pid, cpu_percent, rss_bytes, heap_used_bytes, heap_total_bytes,
       system_memory_percent, event_loop_p99_ms, open_connections, (extract(epoch from at) * 1000)::float8 as at
     from process_samples
     where at > coalesce($2::timestamptz, now()) - make_interval(secs => $1) and at <= coalesce($2::timestamptz, now())
     order by process_id, at desc`,
    [withinSeconds, now === undefined ? null : new Date(now).toISOString()],
  );
  return r.rows.map((x) => ({
    processId: x.process_id as string,
    kind: x.kind as string,
    host: x.host as string,
    pid: num(x.pid),
    cpuPercent: num(x.cpu_percent),
    rssBytes: num(x.rss_bytes),
    heapUsedBytes: num(x.heap_used_bytes),
    heapTotalBytes: num(x.heap_total_bytes),
    systemMemoryPercent: num(x.system_memory_percent),
    eventLoopP99Ms: num(x.event_loop_p99_ms),
    openConnections: x.open_connections === null ? null : num(x.open_connections),
    lastSeen: new Date(num(x.at)),
  }));
}

/**
 * Today's dashboard shape (`GET /metrics` with Accept: application/json, `GET /api/v1/metrics`), over the last hour
 * and across all replicas. `error_rate` is the real share of failed requests; today's service called predictions
 * with confidence < 50 % its error rate — that is `low_confidence_rate` here.
 */
export async function metricsSummary(db: DbLike, opts: { seconds?: number; now?: number } = {}) {
  const seconds = opts.seconds ?? 3600;
  const to = opts.now ?? Date.now();
  const from = to - seconds * 1000;
  const rows = await readSeries(db, { from, to: to + 10_000, stepSeconds: seconds, sourceInterval: 10 });
  const total = rows.reduce((a, r) => addCounts(a, r), emptyCounts());
  const f = figures(total);
  const round = (v: number | null, d = 4) => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);
  const procs = await latestProcessSamples(db);
  return {
    window_seconds: seconds,
    total_predictions: f.predictions,
    total_requests: f.requests,
    avg_processing_time_ms: round(f.avgLatencyMs, 3),
    p95_processing_time_ms: round(f.p95Ms, 3),
    cache_hit_rate: round(f.cacheHitRate),
    error_rate: round(f.errorRate),
    low_confidence_rate: round(f.lowConfidenceRate),
    top_symbols: await topSymbols(db, { from, to: to + 10_000, sourceInterval: 10, limit: 10 }),
    system_metrics: procs.map((p) => ({
      process: p.processId,
      kind: p.kind,
      cpu_percent: p.cpuPercent,
      memory_percent: p.systemMemoryPercent,
      rss_mb: Math.round(p.rssBytes / 1048576),
      event_loop_p99_ms: p.eventLoopP99Ms,
      last_seen: p.lastSeen.toISOString(),
    })),
  };
}
