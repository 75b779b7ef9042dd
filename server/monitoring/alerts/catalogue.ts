/**
 * The metric catalogue: what an alert rule can watch. Each metric has an id, a description, a unit, the range a
 * threshold may take, its parameters (zod, with defaults) and an evaluator over the metric store that returns one
 * value per label set (e.g. per model). Rules name a metric by id; `evaluate.ts` compares each value with the rule's
 * threshold and runs the state machine per label set.
 *
 * Adding a metric is one entry: `defineMetric({...})` in METRIC_LIST below, or `registerMetric(...)` from the domain
 * folder that owns the figure (drift, live accuracy, canary checks) when monitoring must not import it.
 * Evaluators read roll-ups and small tables (never the raw prediction log), at the evaluation's clock `now`.
 */
import { z } from 'zod';
import type { Db } from '../../db/client';
import { addCounts, emptyCounts, figures, latestProcessSamples, readSeries, type Counts } from '../query';
import { listSplits } from '../../promotion/traffic';

export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Extra text for this label set (e.g. the error of the failed run), added to the alert's description. */
  detail?: string;
}

export interface EvalContext {
  /** The evaluation's clock (epoch ms). */
  now: number;
  /** A worker not seen for this long is gone (WORKER_STALE_SECONDS). */
  staleWorkerSeconds: number;
}

export interface MetricDef<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  description: string;
  /** Shown next to values and thresholds: 'ms', '%', 'runs', 'workers', 'predictions'. */
  unit: string;
  /** Valid threshold range (inclusive). */
  min: number;
  max: number;
  /** Labels each value carries (the alert is per label set). */
  labels: string[];
  /** The rule's `params` (every key optional, with defaults; unknown keys refused). */
  params: z.ZodType<P>;
  evaluate(db: Db, ctx: EvalContext, params: P): Promise<Sample[]>;
}

export function defineMetric<S extends z.ZodType<Record<string, unknown>>>(d: Omit<MetricDef<z.output<S>>, 'params'> & { params: S }): MetricDef {
  return d as unknown as MetricDef;
}

const windowSeconds = (def: number) => z.number().int().min(10, 'must be at least 10 s').max(7 * 86_400, 'must be at most 7 days').default(def);
const modelFilter = z.string().min(1).max(200).optional().describe('watch only this model');

/** Roll-up counts per model over the window ending at `now` (all versions and replicas summed). */
async function countsPerModel(db: Db, now: number, seconds: number, model?: string): Promise<Map<string, Counts>> {
  const rows = await readSeries(db, { from: now - seconds * 1000, to: now, stepSeconds: seconds, sourceInterval: 10, model });
  const out = new Map<string, Counts>();
  for (const r of rows) addCounts(out.get(r.model) ?? out.set(r.model, emptyCounts()).get(r.model)!, r);
  return out;
}
const modelLabel = (m: string) => m || '(no model)';
const num = (v: unknown) => Number(v ?? 0);
const ts = (ms: number) => new Date(ms).toISOString();

const METRIC_LIST: MetricDef[] = [
  defineMetric({
    id: 'canary_rollbacks',
    description: 'canaries rolled back automatically per model within the last params.windowSeconds (default 900 s), from the promotion history',
    unit: 'rollbacks',
    min: 0,
    max: 1_000_000,
    labels: ['model'],
    params: z.object({ windowSeconds: windowSeconds(900), model: modelFilter }).strict(),
    async evaluate(db, ctx, p) {
      const r = await db.$client.query(
        `select model_name, count(*)::int as n, (array_agg(automatic->>'message' order by id desc))[1] as msg
         from promotion_history where action = 'canary.rollback' and at > $1::timestamptz - make_interval(secs => $2) and at <= $1::timestamptz
           and ($3::text is null or model_name = $3)
         group by model_name order by model_name`,
        [ts(ctx.now), p.windowSeconds, p.model ?? null],
      );
      return r.rows.map((x) => ({ labels: { model: String(x.model_name) }, value: num(x.n), detail: String(x.msg ?? '') }));
    },
  }),
  defineMetric({
    id: 'drift_detected',
    description: 'per model: 1 when its latest drift report within params.windowSeconds (default 2 days) found drift (dataset, prediction or live accuracy), else 0',
    unit: 'reports',
    min: 0,
    max: 1,
    labels: ['model'],
    params: z.object({ windowSeconds: windowSeconds(2 * 86_400), model: modelFilter }).strict(),
    async evaluate(db, ctx, p) {
      const r = await db.$client.query(
        `select distinct on (model_name) model_name, id, status, body->>'summary' as summary from drift_reports
         where created_at > $1::timestamptz - make_interval(secs => $2) and created_at <= $1::timestamptz and status <> 'insufficient_data'
           and ($3::text is null or model_name = $3)
         order by model_name, id desc`,
        [ts(ctx.now), p.windowSeconds, p.model ?? null],
      );
      return r.rows.map((x) => ({ labels: { model: String(x.model_name) }, value: x.status === 'drift' ? 1 : 0, detail: `report #${x.id}: ${String(x.summary ?? '')}` }));
    },
  }),
  defineMetric({
    id: 'latency_p95_ms',
    description: '95th percentile prediction latency per model over the last params.windowSeconds (default 300 s), across every replica',
    unit: 'ms',
    min: 0,
    max: 600_000,
    labels: ['model'],
    params: z.object({ windowSeconds: windowSeconds(300), model: modelFilter }).strict(),
    async evaluate(db, ctx, p) {
      const out: Sample[] = [];
      for (const [model, c] of await countsPerModel(db, ctx.now, p.windowSeconds, p.model)) {
        if (!model) continue; // refused before a model was chosen: no latency of a model
        const p95 = figures(c).p95Ms;
        if (p95 !== null) out.push({ labels: { model }, value: Math.round(p95 * 100) / 100 });
      }
      return out;
    },
  }),
  defineMetric({
    id: 'error_rate',
    description: 'share of requests answered with a 4xx or 5xx per model over the last params.windowSeconds (default 300 s); needs params.minRequests (default 10) requests',
    unit: '%',
    min: 0,
    max: 100,
    labels: ['model'],
    params: z.object({ windowSeconds: windowSeconds(300), minRequests: z.number().int().min(1).max(1_000_000).default(10), model: modelFilter }).strict(),
    async evaluate(db, ctx, p) {
      const out: Sample[] = [];
      for (const [model, c] of await countsPerModel(db, ctx.now, p.windowSeconds, p.model)) {
        const f = figures(c);
        if (f.requests < p.minRequests || f.errorRate === null) continue;
        out.push({ labels: { model: modelLabel(model) }, value: Math.round(f.errorRate * 10_000) / 100, detail: `${f.errors} of ${f.requests} requests failed (${f.errors5xx} 5xx)` });
      }
      return out;
    },
  }),
  defineMetric({
    id: 'training_run_failed',
    description: 'training runs that failed per model within the last params.windowSeconds (default 900 s); the alert resolves when the window has passed',
    unit: 'runs',
    min: 0,
    max: 1_000_000,
    labels: ['model'],
    params: z.object({ windowSeconds: windowSeconds(900), model: modelFilter }).strict(),
    async evaluate(db, ctx, p) {
      const r = await db.$client.query(
        `select model_name, count(*)::int as n, (array_agg(id::text order by ended_at desc))[1] as run_id,
           (array_agg(error order by ended_at desc))[1] as error
         from training_runs
         where status = 'failed' and ended_at > $1::timestamptz - make_interval(secs => $2) and ended_at <= $1::timestamptz
           and ($3::text is null or model_name = $3)
         group by model_name order by model_name`,
        [ts(ctx.now), p.windowSeconds, p.model ?? null],
      );
      return r.rows.map((x) => ({
        labels: { model: String(x.model_name) },
        value: num(x.n),
        detail: `latest: run ${x.run_id}${x.error ? ` — ${String(x.error).slice(0, 300)}` : ''}`,
      }));
    },
  }),
  defineMetric({
    id: 'live_workers',
    description: 'workers that heart-beat within WORKER_STALE_SECONDS and have not stopped (any process that evaluates alerts counts them)',
    unit: 'workers',
    min: 0,
    max: 10_000,
    labels: [],
    params: z.object({}).strict(),
    async evaluate(db, ctx) {
      const r = await db.$client.query(
        `select count(*)::int as n from worker_heartbeats
         where stopped_at is null and last_seen_at > $1::timestamptz - make_interval(secs => $2)`,
        [ts(ctx.now), ctx.staleWorkerSeconds],
      );
      return [{ labels: {}, value: num(r.rows[0]?.n) }];
    },
  }),
  defineMetric({
    id: 'cpu_percent',
    description: 'CPU use of each process (percent of one core), its latest sample within params.withinSeconds (default 60 s)',
    unit: '%',
    min: 0,
    max: 12_800,
    labels: ['process', 'kind'],
    params: z.object({ withinSeconds: windowSeconds(60) }).strict(),
    async evaluate(db, ctx, p) {
      return (await latestProcessSamples(db, p.withinSeconds, ctx.now)).map((s) => ({ labels: { process: s.processId, kind: s.kind }, value: s.cpuPercent }));
    },
  }),
  defineMetric({
    id: 'memory_percent',
    description: 'system memory in use on the host of each process, its latest sample within params.withinSeconds (default 60 s)',
    unit: '%',
    min: 0,
    max: 100,
    labels: ['process', 'kind'],
    params: z.object({ withinSeconds: windowSeconds(60) }).strict(),
    async evaluate(db, ctx, p) {
      return (await latestProcessSamples(db, p.withinSeconds, ctx.now)).map((s) => ({ labels: { process: s.processId, kind: s.kind }, value: s.systemMemoryPercent }));
    },
  }),
  defineMetric({
    id: 'predictions',
    description: 'predictions answered per served model (one with a traffic split) in the last params.windowSeconds (default 900 s)',
    unit: 'predictions',
    min: 0,
    max: 1e12,
    labels: ['model'],
    params: z.object({ windowSeconds: windowSeconds(900), model: modelFilter }).strict(),
    async evaluate(db, ctx, p) {
      const served = Object.keys(await listSplits(db)).filter((m) => !p.model || m === p.model);
      if (!served.length) return [];
      const counts = await countsPerModel(db, ctx.now, p.windowSeconds, p.model);
      return served.map((model) => ({ labels: { model }, value: counts.has(model) ? figures(counts.get(model)!).predictions : 0 }));
    },
  }),
];

const METRICS = new Map<string, MetricDef>(METRIC_LIST.map((m) => [m.id, m]));

/** Adds a metric from another domain folder (e.g. drift, live accuracy, canary analysis). Ids are unique. */
export function registerMetric(def: MetricDef): void {
  if (METRICS.has(def.id) && METRICS.get(def.id) !== def) throw new Error(`alert metric '${def.id}' is already registered`);
  METRICS.set(def.id, def);
}

export function metricOf(id: string): MetricDef | undefined {
  return METRICS.get(id);
}

export function listMetrics(): MetricDef[] {
  return [...METRICS.values()];
}

/** A value with its unit, for summaries: "1,240 ms", "2.5 %", "3 runs". */
export function formatValue(def: MetricDef | undefined, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  const n = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : String(Math.round(v * 100) / 100);
  const unit = def?.unit && v === 1 && def.unit.endsWith('s') ? def.unit.slice(0, -1) : (def?.unit ?? ''); // 1 run, 2 runs
  return unit === '%' ? `${n} %` : unit ? `${n} ${unit}` : n;
}
