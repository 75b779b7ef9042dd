/**
 * The Prometheus exposition of a process (`GET /metrics`): conventional `signalops_` names in base units (seconds,
 * counts), from prom-client. Serving counters are fed by the engine's observer events (this class has the shape of
 * serving's ServingObserver; server/serving/instance.ts wires it, monitoring never imports serving). Facts that live
 * in the database — the configured traffic split, training runs by status, queue depth, live workers — are read at
 * scrape time, at most once per `dbCacheMs`, and a database error never fails a scrape: the last values stay and
 * `signalops_scrape_errors_total{source}` counts the miss.
 *
 * Under `npm run serve` with several workers (node:cluster) each worker has its own registry; the primary merges
 * them with prom-client's AggregatorRegistry. Every metric says how it merges: request counters and histograms add
 * up; database facts (the same in every worker) take the maximum; loaded versions the minimum (a worker that has
 * not loaded a version shows).
 */
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Db } from '../db/client';
import type { Principal } from '../auth/principal';
import { accessError } from '../auth/principal';
import { config } from '../config';
import { childLogger } from '../log';
import { errorBody, errorOf, type PlainResponse } from '../http/rest';
import { listSplits } from '../promotion/traffic';
import { listWorkers } from '../jobs/heartbeat';
import { QUEUE_DEFINITIONS } from '../jobs/queue';
import { RUN_STATUSES } from '../../drizzle/schema';
import { BATCH_BUCKETS, LATENCY_BUCKETS_MS } from './histogram';
import { metricsSummary } from './query';

/**
 * Latency buckets in seconds: every other bound of the roll-ups' √2-spaced LATENCY_BUCKETS_MS (0.1 ms · 2^k,
 * 0.1 ms … 6.6 s, 17 buckets), so a Prometheus `histogram_quantile` and the roll-ups' percentiles share bucket edges.
 */
export const PROM_LATENCY_BUCKETS_SECONDS: readonly number[] = LATENCY_BUCKETS_MS.filter((_, i) => i % 2 === 0).map((ms) => ms / 1000);

/** What serving tells the registry at scrape time (server/serving/instance.ts supplies it). */
export interface ServingGauges {
  loadedVersions(): number;
  /** Prediction-log entries dropped so far (buffer overflow + failed writes), a running total. */
  predictionLogDropped(): number;
}

export interface PrometheusOptions {
  /** The database for the scrape-time gauges; null = none (they are then absent). */
  db: Db | null;
  serving?: ServingGauges;
  /** prom-client's default process metrics (CPU, memory, event loop, GC), prefixed `signalops_`. Default true. */
  defaultMetrics?: boolean;
  /** Database facts are re-read at most this often (default 5 s). */
  dbCacheMs?: number;
  /** A database read slower than this counts as failed for this scrape (default 2 s). */
  dbTimeoutMs?: number;
}

const versionLabel = (v: number | null) => (v === null ? '' : `v${v}`);

/**
 * One process's registry. `prediction`/`failure`/`batch` are called on the request path: a few label lookups and
 * increments, nothing else.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly predictions: Counter<'model' | 'version' | 'status'>;
  private readonly duration: Histogram<'model' | 'version'>;
  private readonly cacheHits: Counter<'model' | 'version'>;
  private readonly cacheMisses: Counter<'model' | 'version'>;
  private readonly batchSize: Histogram<'model' | 'version'>;
  readonly scrapeErrors: Counter<'source'>;
  private dbRead: Promise<void> | null = null;
  private dbReadAt = 0;
  private queueTableKnown = false;
  private logDroppedSeen = 0;

  constructor(private readonly opts: PrometheusOptions) {
    const registers = [this.registry];
    this.predictions = new Counter({
      name: 'signalops_predictions_total',
      help: 'Prediction requests answered, by model, version and HTTP status code ("200" = answered; a batch item counts as one request).',
      labelNames: ['model', 'version', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'signalops_prediction_duration_seconds',
      help: 'Time from request validation to answer inside the engine, answered and refused requests alike.',
      labelNames: ['model', 'version'],
      buckets: [...PROM_LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.cacheHits = new Counter({ name: 'signalops_prediction_cache_hits_total', help: 'Predictions answered from the prediction cache.', labelNames: ['model', 'version'], registers });
    this.cacheMisses = new Counter({ name: 'signalops_prediction_cache_misses_total', help: 'Predictions computed by the model (cache misses).', labelNames: ['model', 'version'], registers });
    this.batchSize = new Histogram({
      name: 'signalops_batch_size',
      help: 'Requests per tensor batch (micro-batching).',
      labelNames: ['model', 'version'],
      buckets: [...BATCH_BUCKETS],
      registers,
    });
    this.scrapeErrors = new Counter({
      name: 'signalops_scrape_errors_total',
      help: 'Scrape-time reads that failed (source: traffic, training, queue, workers, cluster); the previous values were kept.',
      labelNames: ['source'],
      registers,
    });
    if (opts.serving) {
      const serving = opts.serving;
      new Gauge({
        name: 'signalops_loaded_versions',
        help: 'Model versions loaded in memory for serving (several workers: the fewest any worker has).',
        registers,
        aggregator: 'min',
        collect() {
          this.set(serving.loadedVersions());
        },
      });
      const dropped: Counter = new Counter({
        name: 'signalops_prediction_log_dropped_total',
        help: 'Prediction-log entries dropped (buffer full while the database was slow, or a failed write).',
        registers,
        collect: () => {
          const total = serving.predictionLogDropped();
          if (total > this.logDroppedSeen) dropped.inc(total - this.logDroppedSeen);
          this.logDroppedSeen = Math.max(this.logDroppedSeen, total);
        },
      });
    }
    if (opts.db) {
      const traffic = new Gauge({
        name: 'signalops_traffic_percent',
        help: 'Configured traffic split: percent of requests routed to each version (promotion).',
        labelNames: ['model', 'version'],
        registers,
        aggregator: 'max',
      });
      const runs = new Gauge({ name: 'signalops_training_runs', help: 'Training runs by status.', labelNames: ['status'], registers, aggregator: 'max' });
      const queue = new Gauge({ name: 'signalops_queue_depth', help: 'Jobs waiting in the queue (pg-boss states created and retry), by queue.', labelNames: ['queue'], registers, aggregator: 'max' });
      const workers = new Gauge({ name: 'signalops_workers_live', help: 'Workers whose heartbeat is recent (within WORKER_STALE_SECONDS).', registers, aggregator: 'max' });
      this.gauges = { traffic, runs, queue, workers };
      for (const source of ['traffic', 'training', 'queue', 'workers']) this.scrapeErrors.inc({ source }, 0);
    }
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'signalops_' });
  }

  private gauges: { traffic: Gauge<'model' | 'version'>; runs: Gauge<'status'>; queue: Gauge<'queue'>; workers: Gauge } | null = null;

  // --- the ServingObserver side (request path) ------------------------------------------------------------------------
  /**
   * Bound label children per model version: prom-client hashes a label set on every `inc({..})`, which showed up on
   * the request path; a child is resolved once and reused (the set of versions is small).
   */
  private bound = new Map<string, { ok: { inc(): void }; duration: { observe(v: number): void }; hits: { inc(): void }; misses: { inc(): void } }>();

  prediction(e: { model: string; version: number; latencyMs: number; cacheHit: boolean }): void {
    const key = `${e.model}\u0000${e.version}`;
    let b = this.bound.get(key);
    if (!b) {
      const labels = { model: e.model, version: versionLabel(e.version) };
      b = { ok: this.predictions.labels({ ...labels, status: '200' }), duration: this.duration.labels(labels), hits: this.cacheHits.labels(labels), misses: this.cacheMisses.labels(labels) };
      if (this.bound.size > 1000) this.bound.clear();
      this.bound.set(key, b);
    }
    b.ok.inc();
    b.duration.observe(e.latencyMs / 1000);
    (e.cacheHit ? b.hits : b.misses).inc();
  }

  failure(e: { status: number; model: string | null; version: number | null; latencyMs: number }): void {
    const labels = { model: e.model ?? '', version: versionLabel(e.version) };
    this.predictions.inc({ ...labels, status: String(e.status) });
    this.duration.observe(labels, e.latencyMs / 1000);
  }

  batch(e: { model: string; version: number; size: number }): void {
    this.batchSize.observe({ model: e.model, version: versionLabel(e.version) }, e.size);
  }

  // --- scrape-time database facts ---------------------------------------------------------------------------------------
  /** Re-reads the database facts when older than dbCacheMs; concurrent collectors share one read. Never throws. */
  private readDb(): Promise<void> {
    if (!this.opts.db) return Promise.resolve();
    if (this.dbRead) return this.dbRead;
    if (Date.now() - this.dbReadAt < (this.opts.dbCacheMs ?? 5000)) return Promise.resolve();
    this.dbRead = this.refresh().finally(() => {
      this.dbRead = null;
      this.dbReadAt = Date.now();
    });
    return this.dbRead;
  }

  private async refresh(): Promise<void> {
    const db = this.opts.db!;
    const g = this.gauges!;
    const timeout = this.opts.dbTimeoutMs ?? 2000;
    const guard = async (source: string, read: () => Promise<void>) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([read(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${source}: read timed out`)), timeout)))]);
      } catch {
        this.scrapeErrors.inc({ source });
      } finally {
        clearTimeout(timer);
      }
    };
    await Promise.all([
      guard('traffic', async () => {
        const splits = await listSplits(db);
        g.traffic.reset();
        for (const [model, rows] of Object.entries(splits)) for (const r of rows) g.traffic.set({ model, version: `v${r.version}` }, r.percent);
      }),
      guard('training', async () => {
        const r = await db.$client.query<{ status: string; n: number }>('select status, count(*)::int as n from training_runs group by status');
        const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<string, number>;
        for (const row of r.rows) counts[row.status] = row.n;
        for (const [status, n] of Object.entries(counts)) g.runs.set({ status }, n);
      }),
      guard('queue', async () => {
        // pg-boss creates its schema when a worker or producer first starts; before that nothing is queued.
        if (!this.queueTableKnown) this.queueTableKnown = (await db.$client.query("select to_regclass('pgboss.job') is not null as ok")).rows[0]?.ok === true;
        const counts = Object.fromEntries(QUEUE_DEFINITIONS.map((q) => [q.name, 0])) as Record<string, number>;
        if (this.queueTableKnown) {
          const r = await db.$client.query<{ name: string; n: number }>("select name, count(*)::int as n from pgboss.job where state in ('created', 'retry') group by name");
          for (const row of r.rows) counts[row.name] = row.n;
        }
        for (const [queue, n] of Object.entries(counts)) g.queue.set({ queue }, n);
      }),
      guard('workers', async () => {
        const list = await listWorkers(db, config().WORKER_STALE_SECONDS);
        g.workers.set(list.filter((w) => w.state === 'alive').length);
      }),
    ]);
  }

  // --- exposition ---------------------------------------------------------------------------------------------------------
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition. Never throws: a failing collector is counted and the rest still answers. */
  async metrics(): Promise<string> {
    try {
      await this.readDb(); // before serialising, so this scrape's misses are in its scrape_errors_total
      return await this.registry.metrics();
    } catch {
      this.scrapeErrors.inc({ source: 'registry' });
      return this.registry.getSingleMetricAsString('signalops_scrape_errors_total').catch(() => '');
    }
  }

  /** This process's metrics as JSON (what a cluster worker hands the primary for aggregation). */
  async metricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    await this.readDb();
    return this.registry.getMetricsAsJSON();
  }
}

// --- the /metrics endpoint (serve, web, worker) ------------------------------------------------------------------------

/** The result of a scrape: text or JSON, with its status and content type. */
export interface MetricsAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** True when the request sends METRICS_TOKEN as a Bearer token (compared in constant time). */
export function hasMetricsToken(authorization: string | null | undefined, token: string | undefined): boolean {
  if (!token || !authorization) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when the client asks for JSON (`Accept: application/json`) rather than the Prometheus text format. */
export function wantsJson(accept: string | null | undefined): boolean {
  return !!accept && /\bapplication\/json\b/i.test(accept) && !/openmetrics|text\/plain/i.test(accept);
}

const READ = { role: 'analyst', scope: 'read' } as const;

/**
 * `GET /metrics` for any process: access (METRICS_PUBLIC, else METRICS_TOKEN or a `read` API key / an analyst's
 * session), then the Prometheus text of `exposition()` — or, with `json`, today's dashboard JSON (metricsSummary:
 * the last hour across all replicas). Never a 500: a failed exposition still answers with the error counter; a
 * database outage on the JSON side is a 503 that says so.
 */
export async function answerMetrics(opts: {
  headers: { get(name: string): string | null | undefined };
  requestId: string;
  json: boolean;
  principal: () => Promise<Principal>;
  exposition: () => Promise<{ text: string; contentType: string }>;
  db: Db | null;
}): Promise<MetricsAnswer> {
  const asJson = (r: PlainResponse): MetricsAnswer => {
    const body = r.body as { error?: object };
    return { status: r.status, contentType: 'application/json', body: JSON.stringify(body?.error ? { error: { ...body.error, request_id: opts.requestId } } : body) };
  };
  const unavailable = (what: string, e: unknown) => {
    childLogger({ request_id: opts.requestId }).warn({ err: e instanceof Error ? e.message : String(e) }, `metrics: ${what} failed`);
    return asJson(errorBody(503, 'SERVICE_UNAVAILABLE', `Metrics: ${what} failed (request id ${opts.requestId}); see the server log.`));
  };
  const cfg = config();
  if (!cfg.METRICS_PUBLIC && !hasMetricsToken(opts.headers.get('authorization'), cfg.METRICS_TOKEN)) {
    let denied;
    try {
      denied = accessError(await opts.principal(), READ);
    } catch (e) {
      return unavailable('checking the credential', e);
    }
    if (denied) return asJson(errorOf(denied));
  }
  if (opts.json) {
    if (!opts.db) return asJson(errorBody(503, 'SERVICE_UNAVAILABLE', 'JSON metrics need the database; this process has none.'));
    try {
      return asJson({ status: 200, body: await metricsSummary(opts.db) });
    } catch (e) {
      return unavailable('reading the metric store', e);
    }
  }
  try {
    const { text, contentType } = await opts.exposition();
    return { status: 200, contentType, body: text };
  } catch (e) {
    return unavailable('collecting the exposition', e);
  }
}
