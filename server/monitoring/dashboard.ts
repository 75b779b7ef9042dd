/**
 * What the Metrics page reads (tRPC `monitoring.*`): series per step over a range, the actual share of traffic per
 * version beside the configured split, the process table and the training/queue panel. Everything comes from the
 * roll-ups (`metric_rollups`, `process_samples`, written by every web and serve process) and from the tables of the
 * other stages — never from a scan of the raw prediction log.
 */
import { z } from 'zod';
import type { ProcessSample } from './rollups';
import { sql } from 'drizzle-orm';
import type { Db, DbLike } from '../db/client';
import { config } from '../config';
import { badRequestFromZod } from '../errors';
import { listSplits } from '../promotion/traffic';
import { listWorkers, type WorkerInfo } from '../jobs/heartbeat';
import { QUEUES } from '../jobs/queue';
import { RUN_STATUSES, type RunStatus } from '../../drizzle/schema';
import { RANGES, type RangeName, addCounts, emptyCounts, figures, latestProcessSamples, rangePlan, readSeries, topSymbols, type Counts } from './query';
import { CONFIDENCE_BUCKETS } from './histogram';

export const RANGE_NAMES = Object.keys(RANGES) as [RangeName, ...RangeName[]];

export const ZSeriesRequest = z.strictObject({
  range: z.enum(RANGE_NAMES, { error: () => `choose one of ${RANGE_NAMES.join(', ')}` }),
  model: z.string().min(1, 'give a model name or leave it out').max(200).optional(),
});
export type SeriesRequest = z.infer<typeof ZSeriesRequest>;

/** The request, or a 400 whose message names the field ("range: choose one of 15m, 1h, 24h, 7d"). */
export function parseSeriesRequest(raw: unknown): SeriesRequest {
  const r = ZSeriesRequest.safeParse(raw);
  if (!r.success) throw badRequestFromZod(r.error);
  return r.data;
}

/** A version's series key, e.g. `eurusd-lstm@v3`; failures no model answered are `(no model)`. */
export const versionKey = (model: string, version: number) => (model ? `${model}@v${version}` : '(no model)');

export interface StepPoint {
  /** Step start, epoch ms. */
  t: number;
  requests: number;
  predictions: number;
  errors: number;
  /** Requests per second over the step. */
  rps: number;
  errorRate: number | null;
  cacheHitRate: number | null;
  imputedShare: number | null;
  lowConfidenceRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  meanBatchSize: number | null;
  classes: { SELL: number; HOLD: number; BUY: number };
  /** Per version (key → figures); versions without traffic in the step are absent. */
  byVersion: Record<string, { requests: number; rps: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }>;
}

export interface ShareRow {
  model: string;
  /** Answered requests of the model over the range. */
  answered: number;
  versions: {
    version: number;
    key: string;
    answered: number;
    /** This version's answered requests / the model's (null when the model answered nothing). */
    actual: number | null;
    /** Configured percent / 100 (null when the version has no split entry). */
    configured: number | null;
  }[];
}

export interface MetricsSeries {
  range: RangeName;
  model: string | null;
  from: number;
  to: number;
  stepSeconds: number;
  /** 10 = the raw per-process rows; 60 = the per-minute roll-ups (7 d). */
  sourceInterval: 10 | 60;
  generatedAt: number;
  /** Models with roll-ups in the range or a configured split (for the model filter), sorted. */
  models: string[];
  /** Version keys with traffic in the range, sorted by model and version. */
  versions: { key: string; model: string; version: number }[];
  /** Roll-up rows read (0 = nothing in the range). */
  rows: number;
  /** Start of the newest roll-up interval anywhere (any range, any model), epoch ms; null when none was ever written. */
  lastRollupAt: number | null;
  totals: Omit<ReturnType<typeof figures>, 'confidenceHist'> & { rps: number };
  points: StepPoint[];
  /** Confidence of answered predictions over the range, in deciles. */
  confidence: { from: number; to: number; count: number }[];
  share: ShareRow[];
  topSymbols: { symbol: string; requests: number }[];
}

/** Series for the Metrics page: every step of the range (steps without roll-ups count 0), merged across replicas. */
export async function metricsSeries(db: DbLike, input: SeriesRequest, opts: { now?: number } = {}): Promise<MetricsSeries> {
  const now = opts.now ?? Date.now();
  const plan = rangePlan(input.range);
  const stepMs = plan.stepSeconds * 1000;
  const to = Math.floor(now / stepMs) * stepMs + stepMs; // includes the current (partial) step
  const from = to - plan.seconds * 1000;
  const model = input.model ?? undefined;
  const [rows, symbols, splits, seen, last] = await Promise.all([
    readSeries(db, { from, to, stepSeconds: plan.stepSeconds, sourceInterval: plan.sourceInterval, model }),
    topSymbols(db, { from, to, sourceInterval: plan.sourceInterval, limit: 10, model }),
    listSplits(db),
    modelsWithRollups(db, from, to, plan.sourceInterval),
    lastRollupAt(db),
  ]);

  // Per step: totals and per version.
  const steps = new Map<number, { all: Counts; byVersion: Map<string, Counts> }>();
  for (let t = from; t < to; t += stepMs) steps.set(t, { all: emptyCounts(), byVersion: new Map() });
  const versionSet = new Map<string, { key: string; model: string; version: number }>();
  const perVersion = new Map<string, Counts>();
  const total = emptyCounts();
  for (const r of rows) {
    const s = steps.get(r.t);
    if (!s) continue;
    const key = versionKey(r.model, r.version);
    addCounts(s.all, r);
    let v = s.byVersion.get(key);
    if (!v) s.byVersion.set(key, (v = emptyCounts()));
    addCounts(v, r);
    addCounts(total, r);
    let pv = perVersion.get(key);
    if (!pv) perVersion.set(key, (pv = emptyCounts()));
    addCounts(pv, r);
    versionSet.set(key, { key, model: r.model, version: r.version });
  }
  const rate = (n: number) => n / plan.stepSeconds;
  const points: StepPoint[] = [...steps.entries()].map(([t, s]) => {
    const f = figures(s.all);
    const byVersion: StepPoint['byVersion'] = {};
    for (const [key, c] of s.byVersion) {
      const g = figures(c);
      byVersion[key] = { requests: c.requests, rps: rate(c.requests), p50Ms: g.p50Ms, p95Ms: g.p95Ms, p99Ms: g.p99Ms };
    }
    return {
      t,
      requests: f.requests,
      predictions: f.predictions,
      errors: f.errors,
      rps: rate(f.requests),
      errorRate: f.errorRate,
      cacheHitRate: f.cacheHitRate,
      imputedShare: f.imputedShare,
      lowConfidenceRate: f.lowConfidenceRate,
      p50Ms: f.p50Ms,
      p95Ms: f.p95Ms,
      p99Ms: f.p99Ms,
      meanBatchSize: f.meanBatchSize,
      classes: f.classes,
      byVersion,
    };
  });

  const { confidenceHist, ...tot } = figures(total);
  const confidence = Array.from({ length: CONFIDENCE_BUCKETS }, (_, i) => ({ from: i * 10, to: i * 10 + 10, count: confidenceHist[i] ?? 0 }));

  // Actual share per version (answered requests) next to the configured split, per model.
  const shareModels = new Set<string>();
  for (const v of versionSet.values()) if (v.model) shareModels.add(v.model);
  for (const m of Object.keys(splits)) if (!model || m === model) shareModels.add(m);
  const share: ShareRow[] = [...shareModels].sort().map((m) => {
    const versions = new Map<number, { answered: number; configured: number | null }>();
    for (const s of splits[m] ?? []) versions.set(s.version, { answered: 0, configured: s.percent / 100 });
    for (const v of versionSet.values()) {
      if (v.model !== m) continue;
      const c = perVersion.get(v.key)!;
      const e = versions.get(v.version) ?? { answered: 0, configured: null };
      e.answered = c.requests - c.errors4xx - c.errors5xx;
      versions.set(v.version, e);
    }
    const answered = [...versions.values()].reduce((a, x) => a + x.answered, 0);
    return {
      model: m,
      answered,
      versions: [...versions.entries()]
        .sort(([a], [b]) => a - b)
        .map(([version, e]) => ({ version, key: versionKey(m, version), answered: e.answered, actual: answered > 0 ? e.answered / answered : null, configured: e.configured })),
    };
  });

  const models = [...new Set([...seen, ...Object.keys(splits)])].filter(Boolean).sort();
  return {
    range: input.range,
    model: model ?? null,
    from,
    to,
    stepSeconds: plan.stepSeconds,
    sourceInterval: plan.sourceInterval,
    generatedAt: now,
    models,
    versions: [...versionSet.values()].sort((a, b) => (a.model === b.model ? a.version - b.version : a.model < b.model ? -1 : 1)),
    rows: rows.length,
    lastRollupAt: last,
    totals: { ...tot, rps: total.requests / plan.seconds },
    points,
    confidence,
    share,
    topSymbols: symbols,
  };
}

async function modelsWithRollups(db: DbLike, from: number, to: number, sourceInterval: number): Promise<string[]> {
  const r = await (db as Db).$client.query(
    `select distinct model_name from metric_rollups
     where ((($3::int = 10 and interval_seconds < 60) or ($3::int <> 10 and interval_seconds = $3::int and process_id = '*')))
       and bucket_start >= to_timestamp($1 / 1000.0) and bucket_start < to_timestamp($2 / 1000.0) and model_name <> ''`,
    [from, to, sourceInterval],
  );
  return r.rows.map((x) => String(x.model_name));
}

async function lastRollupAt(db: DbLike): Promise<number | null> {
  const r = await (db as Db).$client.query(`select (extract(epoch from max(bucket_start)) * 1000)::float8 as t from metric_rollups where interval_seconds < 60`);
  const t = r.rows[0]?.t;
  return t === null || t === undefined ? null : Number(t);
}

// --- processes ---------------------------------------------------------------------------------------------------------

export interface ProcessRow extends Omit<ProcessSample, 'at'> {
  processId: string;
  kind: string;
  host: string;
  pid: number;
  lastSeen: Date;
  ageSeconds: number;
  /** No sample for three sample periods: the process has stopped (or cannot reach the database). */
  stale: boolean;
}

export interface ProcessTable {
  /** A process counts as stale after this many seconds without a sample. */
  staleAfterSeconds: number;
  /** Processes seen within this many seconds are listed. */
  windowSeconds: number;
  processes: ProcessRow[];
}

/** The latest sample of every web/serve process seen in the last hour; stale ones marked (live first, then by kind). */
export async function processTable(db: DbLike, opts: { now?: number; windowSeconds?: number; staleAfterSeconds?: number } = {}): Promise<ProcessTable> {
  const now = opts.now ?? Date.now();
  const windowSeconds = opts.windowSeconds ?? 3600;
  const staleAfterSeconds = opts.staleAfterSeconds ?? 3 * config().MONITORING_SAMPLE_SECONDS;
  const samples = await latestProcessSamples(db, windowSeconds);
  const processes = samples
    .map((p) => {
      const ageSeconds = Math.max(0, Math.round((now - p.lastSeen.getTime()) / 100) / 10);
      return { ...p, ageSeconds, stale: ageSeconds > staleAfterSeconds };
    })
    .sort((a, b) => Number(a.stale) - Number(b.stale) || a.kind.localeCompare(b.kind) || a.processId.localeCompare(b.processId));
  return { staleAfterSeconds, windowSeconds, processes };
}

// --- training and queue ------------------------------------------------------------------------------------------------

export interface PipelinePanel {
  runs: { status: RunStatus; last24h: number; all: number }[];
  active: { id: string; modelName: string; status: RunStatus; epoch: number; epochs: number; startedAt: Date | null }[];
  /** Jobs per queue: waiting (created or retry) and active. */
  queues: { name: string; waiting: number; active: number }[];
  workers: { alive: number; stale: number; staleAfterSeconds: number; list: WorkerInfo[] };
}

/** Training runs by status (last 24 h and all), what is running, queue depth per queue, workers. */
export async function pipelinePanel(db: Db): Promise<PipelinePanel> {
  const staleAfterSeconds = config().WORKER_STALE_SECONDS;
  const [byStatus, active, queues, workers] = await Promise.all([
    db.execute(sql`select status, count(*) filter (where created_at > now() - interval '24 hours')::int as last24h, count(*)::int as "all" from training_runs group by status`),
    db.execute(
      sql`select id, model_name, status, jsonb_array_length(history)::int as epoch, coalesce((params->>'epochs')::int, 0) as epochs, started_at
          from training_runs where status in ('queued', 'running') order by created_at desc limit 20`,
    ),
    queueDepth(db),
    listWorkers(db, staleAfterSeconds),
  ]);
  const counts = new Map(byStatus.rows.map((r) => [String(r.status), { last24h: Number(r.last24h), all: Number(r.all) }]));
  return {
    runs: RUN_STATUSES.map((status) => ({ status, last24h: counts.get(status)?.last24h ?? 0, all: counts.get(status)?.all ?? 0 })),
    active: active.rows.map((r) => ({
      id: String(r.id),
      modelName: String(r.model_name),
      status: r.status as RunStatus,
      epoch: Number(r.epoch),
      epochs: Number(r.epochs),
      startedAt: r.started_at ? new Date(r.started_at as string) : null,
    })),
    queues,
    workers: {
      alive: workers.filter((w) => w.state === 'alive').length,
      stale: workers.filter((w) => w.state === 'stale').length,
      staleAfterSeconds,
      list: workers,
    },
  };
}

/** Waiting and active jobs per queue, from pg-boss's job table (every known queue listed, 0 when empty). */
export async function queueDepth(db: DbLike): Promise<{ name: string; waiting: number; active: number }[]> {
  const names: string[] = Object.values(QUEUES);
  const c = (db as Db).$client;
  const exists = await c.query(`select to_regclass('pgboss.job') is not null as ok`);
  const out = new Map(names.map((n) => [n, { name: n, waiting: 0, active: 0 }]));
  if (exists.rows[0]?.ok) {
    const r = await c.query(
      `select name, count(*) filter (where state in ('created', 'retry'))::int as waiting, count(*) filter (where state = 'active')::int as active
       from pgboss.job where state in ('created', 'retry', 'active') group by name`,
    );
    for (const x of r.rows) out.set(String(x.name), { name: String(x.name), waiting: Number(x.waiting), active: Number(x.active) });
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}
