/**
 * `npm run bench -- drift [--rows 1000000] [--bars 20000] [--days 30] [--epochs 3] [--profile]`: issue 11's speed
 * target — "a drift report and the outcome join over 1,000,000 logged predictions (target ≤ 60 s each on this
 * machine, aggregated in PostgreSQL or streamed — not loaded whole into memory; report peak memory)" — measured side
 * by side in one run on a scratch database (DATABASE_URL's server → a temporary database, dropped afterwards; else an
 * embedded PostgreSQL).
 *
 * Setup: `--bars` hourly planted-signal candles (symbol EURUSD), shifted so the last bar closed an hour before now.
 * All but the last `--days` × 24 bars are imported and ONE small version is trained on them through the real
 * pipeline (logreg, T=1, `--epochs`; the first version is champion by the new-version policy), its drift reference
 * built (buildReference); then the last `--days` × 24 bars are appended (new bars, unseen in training). `--rows`
 * prediction_log rows for that version are inserted by ONE `insert … select` over generate_series (timed, not a
 * target): row g predicts bar k = ⌊g·B/rows⌋ of those B new bars — `features` real[16] = the bar's real 16 indicators
 * (computeFeatures over the dataset, through a table of the B bars), `at` spread over the hour after the bar's close
 * (ids in time order), `bar_time` = the bar's close on 90 % of rows and null on 10 % (then the outcome job uses the
 * bar the request arrived in), ~rows/B predictions per bar (the dedupe matters); direction, confidence and
 * probabilities = the version's own answer for the bar (its artifact run in-process on the bar's inputs, as serving
 * computes them) on 92 % of rows and its runner-up class on 8 %; cache hits 30 %, imputed rsi 10 %, 22-character
 * input hashes. The per-minute serving roll-ups (metric_rollups, interval 60, process '*') are built from those rows
 * in SQL (what compaction would have left), so the report's class mix has data. Then VACUUM ANALYZE and a CHECKPOINT,
 * so autovacuum and checkpoints of the bulk insert do not land inside a measurement.
 *
 * Measured (each: wall time; this process's peak RSS sampled every 50 ms — max and delta from just before, after a
 * forced GC — and the kernel's high-water mark (VmHWM, reset before the step through /proc/self/clear_refs); heap
 * peak and what it kept after a forced GC; CPU seconds of this process and of PostgreSQL (the embedded cluster's processes, or this database's backends
 * on DATABASE_URL's server when it runs on this machine); time spent waiting in pg queries, row parsing included):
 *   a. runDrift({ model, hours = the span of the rows }) — pages of 5,000 log rows by id into bins + reservoirs;
 *   b. collectOutcomes() over all rows (first run: empty outcome table and cursor), then resolveOutcomes();
 *   c. collectOutcomes() again (nothing new: the cost of idempotency);
 *   d. runDrift again (now with outcomes: the live-accuracy part has data; the log is warm in the cache).
 * Rows/s and the ratio to the 60-s target per step. A step that misses — or every step with `--profile` — is
 * diagnosed afterwards: a CPU profile of this process (node:inspector) and the plans of its slowest statements as
 * PostgreSQL ran them (auto_explain with ANALYZE, sent to the client as notices), on a re-run of the step.
 * Last line: one JSON object with every figure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { openDb, type Db } from '../server/db/client';
import { importCandles } from '../server/market/import';
import { plantedSignalCandles, toCsv } from '../server/market/synthetic';
import { loadCandleColumns } from '../server/market/store';
import { computeFeatures, FEATURE_COUNT } from '../server/market/indicators';
import { buildReference } from '../server/drift/profile';
import { loadVersionArtifact } from '../server/registry/versions';
import { loadArtifact } from '../server/ml/artifact';
import { scalerFromJSON } from '../server/market/scaler';
import { buildModelInput } from '../server/serving/input';
import { runDrift } from '../server/drift/report';
import { collectOutcomes, resolveOutcomes } from '../server/outcomes/resolve';
import { BATCH_BUCKETS, LATENCY_BUCKETS_MS } from '../server/monitoring/histogram';
import { num } from './lib/args';
import { benchDatabase, runBench, cleanups, embeddedPgPids } from './lib/proc';
import { MODEL, SYMBOL, DATASET, trainVersion } from './lib/model';
import { treeCpu, cpuDelta, machineBusyMs, r2 } from './lib/load';
import { summarizeProfile } from './lib/cpuprofile';

const log = (line = '') => console.log(line);
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
const MB = 1024 * 1024;
const H = 3_600_000;
const TARGET_S = 60;

// ---- measurement: wall, memory, CPU, time in queries ----------------------------------------------------------------

/** A forced full GC (before each step, so the memory baseline is comparable). */
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Wall time of pg queries in flight (summed; the steps run one query at a time), row parsing included. */
let queryMs = 0;
let queryCount = 0;
{
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const orig = proto.query;
  proto.query = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    const done = () => {
      queryMs += performance.now() - t0;
      queryCount++;
    };
    const cb = a.findIndex((x) => typeof x === 'function');
    if (cb >= 0) {
      const f = a[cb] as (...r: unknown[]) => unknown;
      a[cb] = (...r: unknown[]) => {
        done();
        return f(...r);
      };
      return orig.apply(this, a);
    }
    const r = orig.apply(this, a);
    if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, done);
    return r;
  };
}

function procStatus(field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? (Number(m[1]) * 1024) / MB : null;
  } catch {
    return null;
  }
}
/** Resets the kernel's peak-RSS counter of this process (Linux ≥ 4.0); false when not possible. */
function resetHwm(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export interface StepFigures {
  seconds: number;
  rows: number;
  rows_per_s: number | null;
  target_s: number | null;
  /** seconds / target. */
  ratio_to_target: number | null;
  met: boolean | null;
  rss_before_mb: number;
  peak_rss_mb: number;
  rss_delta_mb: number;
  /** Kernel high-water mark over the step (reset just before it); null when /proc/self/clear_refs is not writable. */
  hwm_rss_mb: number | null;
  hwm_delta_mb: number | null;
  heap_before_mb: number;
  heap_peak_mb: number;
  /** Heap still in use after the step and a forced GC, minus before: what the step kept (the rest of the peak was garbage). */
  heap_retained_delta_mb: number;
  rss_samples: number;
  node_cpu_s: number;
  pg_cpu_s: number | null;
  /** Wall time with a pg query in flight (PostgreSQL + transfer + parsing rows in this process). */
  in_queries_s: number;
  queries: number;
  /** Share of the wall time: this process's CPU, PostgreSQL's CPU, waiting in queries. */
  node_cpu_pct: number;
  pg_cpu_pct: number | null;
  in_queries_pct: number;
  /** The whole machine's busy CPU over the step, % of one core (2 shared cores: 200 % = everything busy). */
  machine_cpu_pct: number;
}

/** CPU time of PostgreSQL: the embedded cluster (children of this process), or this database's backends. */
function pgCpu(db: Db, embedded: boolean) {
  const pids = async (): Promise<number[]> => {
    if (embedded) return embeddedPgPids();
    const r = await db.$client.query(`select pid from pg_stat_activity where datname = current_database()`);
    return r.rows.map((x: { pid: number }) => Number(x.pid)).filter((p) => fs.existsSync(`/proc/${p}/stat`));
  };
  const snap = async () => {
    const roots = await pids();
    return roots.length ? new Map(roots.flatMap((p) => [...treeCpu(p)])) : null;
  };
  return { snap };
}

async function measure<T>(db: Db, embedded: boolean, rows: number, target: number | null, fn: () => Promise<T>): Promise<{ result: T; figures: StepFigures }> {
  gc();
  const pgc = pgCpu(db, embedded);
  const p0 = await pgc.snap();
  const m0 = process.memoryUsage();
  let peakRss = m0.rss;
  let peakHeap = m0.heapUsed;
  let samples = 0;
  const hwmOk = resetHwm();
  const hwm0 = hwmOk ? procStatus('VmHWM') : null;
  const sample = () => {
    const m = process.memoryUsage();
    samples++;
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  const timer = setInterval(sample, 50);
  const q0 = queryMs;
  const n0 = queryCount;
  const c0 = process.cpuUsage();
  const b0 = machineBusyMs();
  const t0 = performance.now();
  let result: T;
  try {
    result = await fn();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - t0;
  sample();
  const cu = process.cpuUsage(c0);
  const busy = machineBusyMs() - b0;
  gc();
  const heapAfterGc = process.memoryUsage().heapUsed;
  const hwm = hwmOk ? procStatus('VmHWM') : null;
  const p1 = p0 ? await pgc.snap() : null;
  const pgMs = p0 && p1 ? cpuDelta(p0, p1) : null;
  const seconds = ms / 1000;
  const nodeMs = (cu.user + cu.system) / 1000;
  const pct = (v: number) => Math.round((1000 * v) / ms) / 10;
  return {
    result,
    figures: {
      seconds: r2(seconds)!,
      rows,
      rows_per_s: rows ? Math.round(rows / seconds) : null,
      target_s: target,
      ratio_to_target: target ? r2(seconds / target) : null,
      met: target ? seconds <= target : null,
      rss_before_mb: r2(m0.rss / MB)!,
      peak_rss_mb: r2(peakRss / MB)!,
      rss_delta_mb: r2((peakRss - m0.rss) / MB)!,
      hwm_rss_mb: hwm === null ? null : r2(hwm),
      hwm_delta_mb: hwm === null ? null : r2(hwm - (hwm0 ?? m0.rss / MB)),
      heap_before_mb: r2(m0.heapUsed / MB)!,
      heap_peak_mb: r2(peakHeap / MB)!,
      heap_retained_delta_mb: r2((heapAfterGc - m0.heapUsed) / MB)!,
      rss_samples: samples,
      node_cpu_s: r2(nodeMs / 1000)!,
      pg_cpu_s: pgMs === null ? null : r2(pgMs / 1000),
      in_queries_s: r2((queryMs - q0) / 1000)!,
      queries: queryCount - n0,
      node_cpu_pct: pct(nodeMs),
      pg_cpu_pct: pgMs === null ? null : pct(pgMs),
      in_queries_pct: pct(queryMs - q0),
      machine_cpu_pct: pct(busy),
    },
  };
}

// ---- diagnosis: a CPU profile of this process and PostgreSQL's plans of the slowest statements ------------------------

interface PlanNote {
  ms: number;
  text: string;
}

/**
 * A second pool whose sessions preload auto_explain (ANALYZE, BUFFERS; set in the connection's startup options, so no
 * statement runs ahead of the caller's) and send every plan over `minMs` to the client as a notice. Superuser only
 * (session_preload_libraries): elsewhere `failure` says why and the pool is a plain one.
 */
async function explainingDb(url: string, minMs: number) {
  const plans: PlanNote[] = [];
  const opts = [
    'session_preload_libraries=auto_explain',
    `auto_explain.log_min_duration=${Math.round(minMs)}`,
    'auto_explain.log_analyze=on',
    'auto_explain.log_buffers=on',
    'auto_explain.log_timing=on',
    'auto_explain.log_level=notice',
    'client_min_messages=notice',
  ];
  const u = new URL(url);
  u.searchParams.set('options', opts.map((o) => `-c ${o}`).join(' '));
  const open = (target: string) => {
    const handle = openDb(target, { max: 2, applicationName: 'signalops-bench-drift-explain' });
    handle.pool.on('connect', (client) => {
      client.on('notice', (n) => {
        const m = /^duration: ([\d.]+) ms\s+plan:\s*([\s\S]*)$/.exec(n.message ?? '');
        if (m) plans.push({ ms: Number(m[1]), text: m[2] });
      });
    });
    return handle;
  };
  let h = open(u.toString());
  let failure: string | null = null;
  try {
    await h.pool.query('select 1');
  } catch (e) {
    await h.close();
    failure = `auto_explain unavailable (${(e as Error).message}): no plans`;
    h = open(url);
  }
  return { h, plans, failure };
}

async function cpuProfiled<T>(fn: () => Promise<T>): Promise<{ result: T; file: string }> {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 500 });
  await s.post('Profiler.start');
  const file = path.join(os.tmpdir(), `signalops-bench-drift-${process.pid}-${Date.now()}.cpuprofile`);
  try {
    return { result: await fn(), file };
  } finally {
    const { profile } = await s.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    s.disconnect();
  }
}

/**
 * Plans grouped by statement (auto_explain's text: "Query Text: …" then the plan from the first line with costs),
 * slowest total first.
 */
function planSummary(plans: PlanNote[], top = 3) {
  const groups = new Map<string, { count: number; ms: number; slowest: PlanNote & { plan: string } }>();
  for (const p of plans) {
    const lines = p.text.split('\n');
    let at = lines.findIndex((l) => /\(cost=[\d.]+\.\.[\d.]+ rows=/.test(l));
    if (at < 0) at = lines.length;
    const query = lines.slice(0, at).join(' ').replace(/^Query Text:\s*/, '').replace(/\s+/g, ' ').trim();
    const k = query.length > 150 ? `${query.slice(0, 150)}…` : query;
    const cur = { ...p, plan: lines.slice(at).join('\n') };
    const g = groups.get(k) ?? { count: 0, ms: 0, slowest: cur };
    g.count++;
    g.ms += p.ms;
    if (p.ms >= g.slowest.ms) g.slowest = cur;
    groups.set(k, g);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([k, g]) => ({ statement: k, count: g.count, total_ms: Math.round(g.ms), slowest_ms: Math.round(g.slowest.ms), plan: g.slowest.plan }));
}

// ---- the bench ----------------------------------------------------------------------------------------------------------

export async function main(args: string[]): Promise<void> {
  process.env.SIGNALOPS_TF_QUIET ??= '1';
  process.env.LOG_LEVEL ??= 'warn';
  const rows = Math.round(num(args, '--rows', 1_000_000));
  const bars = Math.round(num(args, '--bars', 20_000));
  const days = Math.round(num(args, '--days', 30));
  const epochs = Math.round(num(args, '--epochs', 3));
  const forceProfile = args.includes('--profile');
  const B = days * 24;
  if (B > 2160) throw new Error(`--days ${days}: a drift report covers at most 90 days (hours ≤ 2,160)`);
  if (B + 3000 > bars) throw new Error(`--bars ${bars} leaves fewer than 3,000 bars for training before the last ${B} (--days ${days})`);

  await runBench('bench drift', run);

  async function run() {
    const load0 = os.loadavg();
    log(`plan: ${fmt(bars)} hourly bars (last ${fmt(B)} = ${days} days appended after training), ${fmt(rows)} logged predictions over those ${fmt(B)} bars (~${fmt(rows / B)} per bar)`);

    // 1. database, candles, one version, its reference ---------------------------------------------------------------------
    const database = await benchDatabase('so_bench_drift');
    const embedded = !database.kind.startsWith('DATABASE_URL');
    const h = openDb(database.url, { max: 4, applicationName: 'signalops-bench-drift' });
    const db = h.db;
    let poolOpen = true;
    cleanups.push(async () => {
      if (poolOpen) await h.close();
      poolOpen = false;
    });
    const q = async <R = Record<string, unknown>>(text: string, values: unknown[] = []) => (await db.$client.query(text, values)).rows as R[];
    const pgVersion = String((await q<{ server_version: string }>('show server_version'))[0].server_version);
    const settings = Object.fromEntries((await q<{ name: string; setting: string; unit: string | null }>(`select name, setting, unit from pg_settings where name in ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'synchronous_commit')`)).map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));
    log(`database: ${database.kind}; PostgreSQL ${pgVersion}; ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);

    // The series ends an hour before the current hour: predictions are logged in the hour after their bar closed.
    const lastOpen = Math.floor(Date.now() / H) * H - 2 * H;
    let version: Awaited<ReturnType<typeof trainVersion>> | null = null;
    let dataset = '';
    const tSetup = performance.now();
    for (const seed of [3, 11, 29]) {
      const raw = plantedSignalCandles(bars, seed);
      const shift = lastOpen - raw[raw.length - 1].ts;
      const candles = raw.map((c) => ({ ...c, ts: c.ts + shift }));
      dataset = `${DATASET}-drift-${seed}`;
      const head = await importCandles(db, { source: Buffer.from(toCsv(candles.slice(0, bars - B), 'mt-comma')), dataset, symbol: SYMBOL, timeframe: '1h', actor: 'bench' });
      log(`imported ${fmt(head.rowCount)} bars into ${dataset} (${new Date(candles[0].ts).toISOString().slice(0, 10)} → ${new Date(candles[bars - B - 1].ts).toISOString().slice(0, 16)})`);
      const v = await trainVersion(db, { dataset, epochs, seed: 42, bench: 'drift', modelType: 'logreg', window: 1 });
      if (v.status === 'candidate') {
        version = v;
        const tail = await importCandles(db, { source: Buffer.from(toCsv(candles.slice(bars - B), 'mt-comma')), dataset, symbol: SYMBOL, timeframe: '1h', actor: 'bench' });
        log(`appended the last ${fmt(tail.inserted)} bars (new, unseen in training; ${fmt(tail.rowCount)} in the dataset) → ${new Date(candles[bars - 1].ts + H).toISOString().slice(0, 16)} close`);
        break;
      }
      log('  rejected by the gate; trying another planted series');
    }
    if (!version) throw new Error('no candidate after 3 planted series: the gate rejected every version');
    const champion = await q<{ version_id: string }>(`select version_id from model_aliases where model_name = $1 and alias = 'champion'`, [MODEL]);
    if (champion[0]?.version_id !== version.versionId) throw new Error(`v${version.version} is not the champion after the new-version policy (${JSON.stringify(champion)})`);
    const tRef = performance.now();
    const profile = await buildReference(db, version.versionId);
    log(`v${version.version} is champion; drift reference built in ${((performance.now() - tRef) / 1000).toFixed(2)} s (${profile.inputs.length} inputs, ${fmt(profile.source.bars)} training bars)`);

    // 2. the logged predictions --------------------------------------------------------------------------------------------
    const c = await loadCandleColumns(db, dataset);
    const f = computeFeatures(c);
    const first = c.n - B;
    for (let i = first; i < c.n; i++) if (!f.valid[i]) throw new Error(`bar ${i} has no valid features`);
    // The version's own answer for each new bar (logreg, T = 1: the bar's inputs through the training scaler), as
    // serving computes it; the runner-up class is the "other answer" some rows get (a client sending other values).
    const tPred = performance.now();
    const { artifact } = await loadVersionArtifact(db, version.versionId);
    const predictor = await loadArtifact(artifact);
    const scaler = scalerFromJSON(artifact.scaler);
    const Fin = predictor.shape.features;
    const x = new Float32Array(B * Fin);
    for (let k = 0; k < B; k++) {
      const raw = f.values.slice((first + k) * FEATURE_COUNT, (first + k + 1) * FEATURE_COUNT);
      x.set(buildModelInput({ steps: [raw], current: raw, unknown: null, scaler, inputMedians: null }), k * Fin);
    }
    const probs = predictor.predictProba(x, B);
    predictor.dispose();
    const CLASSES = ['SELL', 'HOLD', 'BUY'];
    const classIndex = predictor.classOrder.map((c) => CLASSES.indexOf(c));
    if (classIndex.some((i) => i < 0) || classIndex.length !== 3) throw new Error(`unexpected class order ${predictor.classOrder.join(', ')}`);
    const bar = { best: [] as number[], bestP: [] as number[], second: [] as number[], secondP: [] as number[], probs: [] as string[] };
    for (let k = 0; k < B; k++) {
      const p = [0, 0, 0];
      for (let j = 0; j < 3; j++) p[classIndex[j]] = probs[k * 3 + j];
      const order = [0, 1, 2].sort((u, w) => p[w] - p[u]);
      bar.best.push(order[0]);
      bar.bestP.push(Math.round(p[order[0]] * 10_000) / 100);
      bar.second.push(order[1]);
      bar.secondP.push(Math.round(p[order[1]] * 10_000) / 100);
      bar.probs.push(`{${p.map((v) => v.toPrecision(6)).join(',')}}`);
    }
    const mix = [0, 1, 2].map((c) => bar.best.filter((b) => b === c).length);
    log(`v${version.version}'s answers for the ${fmt(B)} new bars (in ${((performance.now() - tPred) / 1000).toFixed(2)} s): SELL ${mix[0]}, HOLD ${mix[1]}, BUY ${mix[2]} (test part: ${profile.predictions.classes.join(' / ')})`);
    const ks = Array.from({ length: B }, (_, k) => k);
    await q(`create table bench_bars (k int primary key, close_ts timestamptz not null, features real[] not null, d1 int, p1 real, d2 int, p2 real, probs real[])`);
    await q(
      `insert into bench_bars select k, to_timestamp(c / 1000.0), f::real[], d1, p1, d2, p2, pr::real[]
       from unnest($1::int[], $2::float8[], $3::text[], $4::int[], $5::float8[], $6::int[], $7::float8[], $8::text[]) as u(k, c, f, d1, p1, d2, p2, pr)`,
      [
        ks,
        ks.map((k) => c.ts[first + k] + H),
        ks.map((k) => `{${Array.from(f.values.subarray((first + k) * FEATURE_COUNT, (first + k + 1) * FEATURE_COUNT)).join(',')}}`),
        bar.best,
        bar.bestP,
        bar.second,
        bar.secondP,
        bar.probs,
      ],
    );
    const tIns = performance.now();
    // Row g (0-based): bar k = ⌊g·B/rows⌋, j-th of its predictions, logged j·gap s after the bar closed (gap spreads them
    // over the hour); x = a per-row hash for the variety of the other columns; 8 % of rows answer the runner-up class.
    const ins = await db.$client.query(
      `insert into prediction_log (at, model_name, version_id, version, symbol, bar_time, input_hash, direction, confidence, probabilities,
                                   latency_ms, cache_hit, imputed, steps_real, features, served_by, shadow)
       select b.close_ts + make_interval(secs => (t0.g - (t0.k * $1::bigint + $2 - 1) / $2) * 3590.0 / (ceil($1::float8 / $2) + 1) + 1),
              $3, $4::uuid, $5, $6,
              case when t0.x % 10 = 0 then null else b.close_ts end,
              substr(md5(t0.g::text), 1, 22),
              (array['SELL', 'HOLD', 'BUY'])[case when t0.x / 17 % 100 < 8 then b.d2 else b.d1 end + 1],
              case when t0.x / 17 % 100 < 8 then b.p2 else b.p1 end,
              b.probs,
              1 + (t0.x / 7 % 1400) / 100.0,
              t0.x / 11 % 10 < 3,
              case when t0.x / 13 % 10 = 0 then '{rsi_value}'::text[] else '{}'::text[] end,
              case when t0.x / 13 % 10 = 0 then 29 else 30 end,
              b.features, 'serve@bench:1', false
       from (select g, (g * $2::bigint / $1)::int as k, (g * 2654435761) % 4294967296 as x from generate_series(0::bigint, $1::bigint - 1) g) t0
       join bench_bars b using (k)
       order by t0.g`,
      [rows, B, MODEL, version.versionId, version.version, SYMBOL],
    );
    const insertSeconds = (performance.now() - tIns) / 1000;
    if (ins.rowCount !== rows) throw new Error(`inserted ${ins.rowCount} of ${rows} rows`);
    log(`inserted ${fmt(rows)} prediction_log rows in ${insertSeconds.toFixed(1)} s (${fmt(rows / insertSeconds)} rows/s, one insert … select; not a target)`);
    const tRoll = performance.now();
    const L = LATENCY_BUCKETS_MS.length + 1;
    const decile = (d: number) => `count(*) filter (where least(9, floor(confidence / 10)) = ${d})::int`;
    const roll = await db.$client.query(
      `insert into metric_rollups (bucket_start, interval_seconds, process_id, model_name, version, requests, errors_4xx, errors_5xx, cache_hits, cache_misses,
                                   imputed, low_confidence, latency_sum_ms, latency_hist, batch_hist, confidence_hist, classes, symbols)
       select date_trunc('minute', at), 60, '*', model_name, version, count(*)::int, 0, 0, count(*) filter (where cache_hit)::int, count(*) filter (where not cache_hit)::int,
              count(*) filter (where cardinality(imputed) > 0)::int, count(*) filter (where confidence < 50)::int, sum(latency_ms),
              array_fill(0, array[12]) || count(*)::int || array_fill(0, array[${L - 13}]),
              array_fill(0, array[${BATCH_BUCKETS.length + 1}]),
              array[${Array.from({ length: 10 }, (_, d) => decile(d)).join(', ')}],
              array[count(*) filter (where direction = 'SELL')::int, count(*) filter (where direction = 'HOLD')::int, count(*) filter (where direction = 'BUY')::int],
              jsonb_build_object(min(symbol), count(*))
       from prediction_log group by 1, 4, 5`,
    );
    log(`serving roll-ups: ${fmt(roll.rowCount ?? 0)} per-minute rows built from the log in ${((performance.now() - tRoll) / 1000).toFixed(1)} s`);
    await q('drop table bench_bars');
    const tVac = performance.now();
    await q('vacuum analyze prediction_log');
    await q('vacuum analyze metric_rollups');
    const checkpoint = await q('checkpoint').then(
      () => 'done',
      (e: Error) => `failed: ${e.message}`,
    );
    const vacuumSeconds = (performance.now() - tVac) / 1000;
    const shape = (
      await q<{ n: number; bars: number; null_bar: number; first_at: number; last_at: number; bytes: number }>(
        `select count(*)::int as n, count(distinct bar_time)::int as bars, count(*) filter (where bar_time is null)::int as null_bar,
                extract(epoch from min(at)) * 1000 as first_at, extract(epoch from max(at)) * 1000 as last_at, pg_total_relation_size('prediction_log') as bytes
         from prediction_log`,
      )
    )[0];
    const firstAt = Number(shape.first_at);
    const lastAt = Number(shape.last_at);
    log(
      `prediction_log: ${fmt(shape.n)} rows, ${fmt(shape.bars)} distinct bar times, ${fmt(shape.null_bar)} without bar time, at ${new Date(firstAt).toISOString().slice(0, 16)} → ${new Date(lastAt).toISOString().slice(0, 16)}, ${fmt(Number(shape.bytes) / MB, 1)} MB with indexes; vacuum analyze + checkpoint (${checkpoint}) ${vacuumSeconds.toFixed(1)} s`,
    );
    const setupSeconds = (performance.now() - tSetup) / 1000;

    // 3. the measurements ---------------------------------------------------------------------------------------------------
    const hours = Math.ceil((Date.now() - firstAt) / H) + 1;
    if (hours > 24 * 90) throw new Error(`the rows span ${hours} h; a drift report covers at most 2,160 h`);
    log('');
    log(`a. runDrift({ model: '${MODEL}', hours: ${hours} }) over all ${fmt(rows)} rows …`);
    const a = await measure(db, embedded, rows, TARGET_S, () => runDrift(db, { model: MODEL, hours }, { actor: 'bench', trigger: 'manual' }));
    const rep = a.result;
    log(`   ${a.figures.seconds} s → ${rep.status}: ${rep.body.summary}; samples ${fmt(rep.samples ?? 0)}`);

    log(`b. collectOutcomes() over the ${fmt(rows)} rows (empty outcomes, no cursor) …`);
    const b1 = await measure(db, embedded, rows, TARGET_S, () => collectOutcomes(db));
    log(`   ${b1.figures.seconds} s → scanned ${fmt(b1.result.scanned)}, ${fmt(b1.result.outcomes)} outcome rows written (insert or repeat), cursor at ${b1.result.lastId}${b1.result.skipped ? ` — skipped: ${b1.result.skipped}` : ''}`);
    const outcomeRows = Number((await q<{ n: number }>('select count(*)::int as n from prediction_outcomes'))[0].n);
    log(`   then resolveOutcomes() over the ${fmt(outcomeRows)} pending outcomes …`);
    const b2 = await measure(db, embedded, outcomeRows, TARGET_S, () => resolveOutcomes(db));
    log(`   ${b2.figures.seconds} s → resolved ${fmt(b2.result.resolved)}, pending ${fmt(b2.result.pending)} in ${b2.result.groups} group(s)${Object.keys(b2.result.notes).length ? `; notes ${JSON.stringify(b2.result.notes)}` : ''}`);

    log('c. collectOutcomes() again (nothing new) …');
    const c1 = await measure(db, embedded, 0, null, () => collectOutcomes(db));
    log(`   ${c1.figures.seconds} s → scanned ${fmt(c1.result.scanned)}, ${fmt(c1.result.outcomes)} outcome rows`);

    log('d. runDrift again (outcomes now resolved; the log is warm in the cache) …');
    const d = await measure(db, embedded, rows, TARGET_S, () => runDrift(db, { model: MODEL, hours }, { actor: 'bench', trigger: 'manual' }));
    log(`   ${d.figures.seconds} s → ${d.result.status}: ${d.result.body.summary}`);

    // checks: every row counted once
    const ocheck = (
      await q<{ n: number; requests: number; resolved: number; realised: number; correct: number }>(
        `select count(*)::int as n, sum(requests)::int as requests, count(*) filter (where resolved_at is not null)::int as resolved,
                count(*) filter (where realised is not null)::int as realised, count(*) filter (where realised = predicted)::int as correct from prediction_outcomes`,
      )
    )[0];
    // Which log row gave each outcome its answer (collect keeps the first by id per bar): a row without bar_time is put
    // on the bar it ARRIVED in — the bar after the one whose close its indicators describe in this data.
    const firstOf = (
      await q<{ from_null: boolean; n: number; labelled: number; correct: number }>(
        `with firsts as (
           select distinct on (bts) bts, bar_time is null as from_null
           from (select id, bar_time, case when bar_time is not null then bar_time - interval '1 hour' else date_trunc('hour', at) end as bts from prediction_log) x
           order by bts, id)
         select f.from_null, count(*)::int as n, count(o.realised)::int as labelled, count(*) filter (where o.realised = o.predicted)::int as correct
         from firsts f join prediction_outcomes o on o.bar_ts = f.bts and o.version_id = $1 group by 1 order by 1`,
        [version.versionId],
      )
    ).map((r) => ({ from_null_bar_time: r.from_null, outcomes: r.n, labelled: r.labelled, accuracy: r.labelled ? r2(r.correct / r.labelled) : null }));
    const checks = {
      first_answer_by_source: firstOf,
      drift_samples_equal_rows: rep.samples === rows,
      drift_samples: rep.samples,
      collect_scanned_equal_rows: b1.result.scanned === rows,
      outcome_rows: ocheck.n,
      outcome_requests_sum: ocheck.requests,
      outcome_requests_equal_rows: ocheck.requests === rows,
      resolved: ocheck.resolved,
      realised: ocheck.realised,
      live_accuracy: ocheck.realised ? r2(ocheck.correct / ocheck.realised) : null,
      recollect_scanned: c1.result.scanned,
      report_after_outcomes: { status: d.result.status, outcomes: d.result.body.accuracy.outcomes, live: d.result.body.accuracy.live === null ? null : r2(d.result.body.accuracy.live), test: profile.testAccuracy === null ? null : r2(profile.testAccuracy) },
      prediction_mix_n: rep.body.prediction.n,
    };
    log(
      `checks: report samples ${fmt(rep.samples ?? 0)} ${checks.drift_samples_equal_rows ? '= rows' : '≠ ROWS'}; collect scanned ${fmt(b1.result.scanned)} ${checks.collect_scanned_equal_rows ? '= rows' : '≠ ROWS'}; ` +
        `${fmt(ocheck.n)} outcomes, Σ requests ${fmt(ocheck.requests)} ${checks.outcome_requests_equal_rows ? '= rows' : '≠ ROWS'}; resolved ${fmt(ocheck.resolved)} (${fmt(ocheck.realised)} labelled, live accuracy ${checks.live_accuracy ?? '—'}); recollect scanned ${c1.result.scanned}; class mix from roll-ups n = ${fmt(rep.body.prediction.n)}`,
    );

    log(
      `first answer per outcome: ${firstOf.map((x) => `${fmt(x.outcomes)} from rows ${x.from_null_bar_time ? 'WITHOUT' : 'with'} bar_time (live accuracy ${x.accuracy ?? '—'} on ${fmt(x.labelled)})`).join('; ')}` +
        `; the test part's accuracy ${profile.testAccuracy === null ? '—' : r2(profile.testAccuracy)}`,
    );

    // 4. diagnosis of misses ----------------------------------------------------------------------------------------------
    type Diagnosis = { step: string; seconds: number; cpu_profile: { busy_ms: number; self: { fn: string; ms: number; pct: number }[]; inclusive: { fn: string; ms: number; pct: number }[] }; plans: ReturnType<typeof planSummary>; plans_note: string | null };
    const diagnoses: Diagnosis[] = [];
    const diagnose = async (step: string, fn: (xdb: Db) => Promise<unknown>, before?: () => Promise<void>) => {
      if (before) await before();
      const x = await explainingDb(database.url, 20);
      try {
        const t0 = performance.now();
        const { file } = await cpuProfiled(() => fn(x.h.db));
        const seconds = (performance.now() - t0) / 1000;
        const p = summarizeProfile(file, 12);
        fs.rmSync(file, { force: true });
        diagnoses.push({ step, seconds: r2(seconds)!, cpu_profile: { busy_ms: p.busyMs, self: p.self, inclusive: p.inclusive }, plans: planSummary(x.plans), plans_note: x.failure });
      } finally {
        await x.h.close();
      }
    };
    const wantDrift = forceProfile || !a.figures.met;
    const wantCollect = forceProfile || !b1.figures.met;
    const wantResolve = forceProfile || !b2.figures.met;
    if (wantDrift || wantCollect || wantResolve) log('');
    if (wantDrift) {
      log(`diagnosing runDrift (${a.figures.met ? '--profile' : 'missed the target'}): CPU profile + auto_explain re-run …`);
      await diagnose('drift_report', (xdb) => runDrift(xdb, { model: MODEL, hours }, { actor: 'bench', trigger: 'manual' }));
    }
    if (wantCollect) {
      log(`diagnosing collectOutcomes (${b1.figures.met ? '--profile' : 'missed the target'}): outcomes and cursor reset, CPU profile + auto_explain re-run …`);
      await diagnose(
        'collect',
        (xdb) => collectOutcomes(xdb),
        async () => {
          await q('delete from prediction_outcomes');
          await q('delete from outcome_cursor');
          await q('vacuum analyze prediction_outcomes');
        },
      );
    }
    if (wantResolve) {
      log(`diagnosing resolveOutcomes (${b2.figures.met ? '--profile' : 'missed the target'}): resolutions reset, CPU profile + auto_explain re-run …`);
      await diagnose(
        'resolve',
        (xdb) => resolveOutcomes(xdb),
        () => q(`update prediction_outcomes set resolved_at = null, dataset_id = null, realised = null, forward_return = null, return_after_costs = null, note = null`).then(() => undefined),
      );
    }
    // The outcome join's SELECT as collectOutcomes runs it (a COPY of its SQL, read-only: count the outcomes of the first
    // batch) next to the same with the bar length taken out of the version's lineage once (a MATERIALIZED CTE) instead
    // of per row: the lineage jsonb is stored out of line (TOAST), and each `v.lineage->…` evaluated on a joined row
    // fetches and decompresses it again (≈ 2 buffer hits per log row).
    let collectVariants: { lineage_bytes: number; lineage_toasted: boolean; batch: number; as_is_ms: number; bar_ms_once_ms: number; same_result: boolean } | null = null;
    if (wantCollect) {
      const barMsOf = (v: string) => `(${v}.lineage->'dataset'->'candles'->>'barMs')::float8`;
      const variant = (once: boolean) => {
        const bm = once ? 'v.bar_ms' : barMsOf('v');
        const from = once
          ? `prediction_log p join bar v on v.id = p.version_id where p.id > 0 and p.id <= $1`
          : `prediction_log p join model_versions v on v.id = p.version_id where p.id > 0 and p.id <= $1 and (v.lineage->'dataset'->'candles'->>'barMs') is not null`;
        // MATERIALIZED: a plain subquery is pulled up into the join and the expression evaluated per joined row again
        const bar = once ? `bar as materialized (select id, ${barMsOf('model_versions')} as bar_ms from model_versions where (lineage->'dataset'->'candles'->>'barMs') is not null), ` : '';
        return `with ${bar}rows as (
            select p.id, p.version_id, p.model_name, p.version, upper(p.symbol) as symbol, p.direction, p.confidence, p.shadow, p.at,
              case when p.bar_time is not null then p.bar_time - make_interval(secs => ${bm} / 1000)
                   else to_timestamp(floor(extract(epoch from p.at) * 1000 / ${bm}) * ${bm} / 1000) end as bar_ts
            from ${from}
          ), firsts as (
            select distinct on (version_id, symbol, bar_ts) version_id, symbol, bar_ts, model_name, version, direction, confidence, shadow, at,
              count(*) over (partition by version_id, symbol, bar_ts) as n
            from rows order by version_id, symbol, bar_ts, id
          ) select count(*)::int as outcomes, sum(n)::int as rows, sum(confidence)::float8 as c from firsts`;
      };
      const timed = async (once: boolean) => {
        let best = Infinity;
        let out = '';
        for (let i = 0; i < 2; i++) {
          const t0 = performance.now();
          const r = await q(variant(once), [50_000]);
          best = Math.min(best, performance.now() - t0);
          out = JSON.stringify(r[0]);
        }
        return { ms: Math.round(best), out };
      };
      const lineageBytes = Number((await q<{ b: number }>(`select pg_column_size(lineage) as b from model_versions where id = $1`, [version.versionId]))[0].b);
      const toasted = Number((await q<{ b: number }>(`select coalesce(pg_relation_size(reltoastrelid), 0) as b from pg_class where oid = 'model_versions'::regclass`))[0].b) > 0;
      const asIs = await timed(false);
      const once = await timed(true);
      collectVariants = { lineage_bytes: lineageBytes, lineage_toasted: toasted, batch: 50_000, as_is_ms: asIs.ms, bar_ms_once_ms: once.ms, same_result: asIs.out === once.out };
      log(
        `collect's first batch (50,000 log rows), its SELECT alone (a copy, best of 2): as written ${fmt(asIs.ms)} ms; with barMs read from the lineage once per version ${fmt(once.ms)} ms` +
          ` (same result: ${collectVariants.same_result}); the version's lineage jsonb: ${fmt(lineageBytes)} bytes compressed, ${toasted ? 'stored out of line (TOAST)' : 'inline'}`,
      );
    }
    for (const dg of diagnoses) {
      log(`--- ${dg.step}: re-run under the profiler ${dg.seconds} s; this process busy ${fmt(dg.cpu_profile.busy_ms)} ms`);
      log(`  top self time (this process):`);
      for (const s of dg.cpu_profile.self.slice(0, 10)) log(`    ${String(s.ms).padStart(7)} ms ${String(s.pct).padStart(5)} %  ${s.fn}`);
      log(`  top inclusive time:`);
      for (const s of dg.cpu_profile.inclusive.slice(0, 8)) log(`    ${String(s.ms).padStart(7)} ms ${String(s.pct).padStart(5)} %  ${s.fn}`);
      if (dg.plans_note) log(`  ${dg.plans_note}`);
      log(`  slowest statements in PostgreSQL (auto_explain, ANALYZE on: timings include its overhead):`);
      for (const p of dg.plans) {
        log(`    ${p.count} × ${p.statement}: ${fmt(p.total_ms)} ms total, slowest ${fmt(p.slowest_ms)} ms; its plan:`);
        for (const line of p.plan.split('\n')) log(`      ${line}`);
      }
    }

    // 5. table + JSON ---------------------------------------------------------------------------------------------------
    const load1 = os.loadavg();
    const steps: [string, StepFigures][] = [
      ['a. drift report (cold)', a.figures],
      ['b. collect outcomes', b1.figures],
      ['b. resolve outcomes', b2.figures],
      ['c. collect again', c1.figures],
      ['d. drift report again', d.figures],
    ];
    log('');
    log(`summary (${fmt(rows)} logged predictions of one version; target ≤ ${TARGET_S} s each; RSS of this process, sampled every 50 ms / kernel high-water mark):`);
    log(`  step                      seconds   rows/s     ÷60s  met   RSS before  peak  Δ      HWM Δ    heap peak  kept  node CPU  PG CPU   in queries  machine`);
    for (const [name, s] of steps)
      log(
        `  ${name.padEnd(24)} ${String(s.seconds).padStart(8)} ${(s.rows_per_s === null ? '—' : fmt(s.rows_per_s)).padStart(9)} ${String(s.ratio_to_target ?? '—').padStart(7)}  ${s.met === null ? '—  ' : s.met ? 'yes' : 'NO '}  ${String(s.rss_before_mb).padStart(8)}  ${String(s.peak_rss_mb).padStart(7)} ${String(s.rss_delta_mb).padStart(6)}  ${String(s.hwm_delta_mb ?? '—').padStart(7)}  ${String(s.heap_peak_mb).padStart(8)} ${String(s.heap_retained_delta_mb).padStart(5)}  ${`${s.node_cpu_s} s`.padStart(8)} ${`${s.pg_cpu_s ?? '—'} s`.padStart(8)}  ${`${s.in_queries_s} s`.padStart(9)}  ${String(s.machine_cpu_pct).padStart(5)} %`,
      );
    const job = r2(b1.figures.seconds + b2.figures.seconds)!;
    log(`  outcome job (collect + resolve): ${job} s (÷60 s = ${r2(job / TARGET_S)}, ${job <= TARGET_S ? 'met' : 'MISSED'})`);
    log(`setup: insert ${insertSeconds.toFixed(1)} s, whole setup (import, training, reference, insert, roll-ups, vacuum) ${setupSeconds.toFixed(1)} s`);
    log(`load average at the start: ${load0.map((v) => v.toFixed(2)).join(' ')}, at the end: ${load1.map((v) => v.toFixed(2)).join(' ')} (${os.cpus().length} shared cores)`);

    console.log(
      JSON.stringify({
        bench: 'drift',
        rows,
        machine: { cores: os.cpus().length, loadavg_start: load0.map((v) => r2(v)), loadavg_end: load1.map((v) => r2(v)), node: process.version },
        database: embedded ? 'embedded' : 'DATABASE_URL',
        postgres: pgVersion,
        pg_settings: settings,
        data: { bars, new_bars: B, days, predictions_per_bar: r2(rows / B), distinct_bar_times: shape.bars, null_bar_time: shape.null_bar, hours, log_mb: r2(Number(shape.bytes) / MB) },
        model: { name: MODEL, type: 'logreg', window: 1, epochs, version: `v${version.version}`, train_seconds: r2(version.trainSeconds), dataset, reference_bars: profile.source.bars },
        insert: { seconds: r2(insertSeconds), rows_per_s: Math.round(rows / insertSeconds), vacuum_checkpoint_seconds: r2(vacuumSeconds), setup_seconds: r2(setupSeconds) },
        drift_report: { ...a.figures, status: rep.status, samples: rep.samples },
        drift_report_again: { ...d.figures, status: d.result.status },
        outcomes: {
          collect: { ...b1.figures, scanned: b1.result.scanned, outcomes_written: b1.result.outcomes },
          resolve: { ...b2.figures, resolved: b2.result.resolved, pending: b2.result.pending, groups: b2.result.groups },
          recollect: { ...c1.figures, scanned: c1.result.scanned },
          job: { seconds: job, target_s: TARGET_S, met: job <= TARGET_S },
        },
        checks,
        collect_variants: collectVariants,
        diagnoses: diagnoses.map((dg) => ({ ...dg, plans: dg.plans.map((p) => ({ ...p, plan: p.plan.split('\n').slice(0, 40).join('\n') })) })),
      }),
    );
    await h.close();
    poolOpen = false;
  }
}
