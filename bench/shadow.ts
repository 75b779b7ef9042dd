/**
 * `npm run bench -- shadow [options]`: what a SHADOW version costs the primary's answers, measured side by side on
 * one serve process in one run.
 *
 * The issue's requirement: with a shadow, "the primary's latency unchanged within noise". The serve process answers
 * each request from the primary version and, after the answer was returned (engine.ts mirror() → setImmediate →
 * shadowPredict()), computes the shadow's prediction on the same thread, logs it with `shadow = true` and rolls it up
 * (shadow_rollups); past 512 shadow predictions in flight it skips the shadow (counted) instead of delaying the
 * primary.
 *
 * Setup (scratch database: DATABASE_URL's server → a temporary database, dropped afterwards; else an embedded
 * PostgreSQL): the planted-signal series and the default LSTM of bench/serve.ts (bench/lib/model.ts; T=30, 64 units)
 * trained twice through the real pipeline: v1 becomes champion with 100 % (first version), then the model's policy is
 * set to 'none' and v2 is trained (another seed; again with the next one if the gate rejects it) and registered
 * without traffic (its version number is whatever the first candidate got). A `predict` API key. One serve
 * process (`node --import tsx server/bin/serve.ts`, SERVE_WORKERS=1).
 *
 * Phases, all on that process, cache MISSES (every request a distinct input: today's payload from successive real
 * feature rows, as bench/serve.ts's miss phase), closed loop (N keep-alive connections, back to back, autocannon),
 * alternating to cancel drift: per round, shadow OFF then ON (setShadow v2, sample 1 / setShadow null), and under
 * each setting three loads: heavy, a closed loop of --connections (default 32: the process saturated); light, a
 * closed loop of --light connections (default 4: small batches, but a closed loop still keeps one process nearly
 * busy); paced, --paced virtual users (default 100) each sending one request per second on its own keep-alive
 * connection, spread evenly over the second (bench/lib/load.ts rampProfile, 1 s ramp): a steady 100 req/s with spare
 * CPU, the trading app's pattern. After each change the bench waits until GET /model/info shows it (`models[0].shadow` loaded, or
 * null); each phase has its own warm-up; after each phase the shadow work still queued is let drain before the next.
 *
 * Per phase: primary req/s, p50/p95/p99/max of the primary answers (client side, every response), errors, the
 * engine's shadow counters over the phase (mirrored, skipped = shed by the 512 bound, failed), the shadow
 * predictions still in flight when the load stopped and how long they took to drain, mean batch sizes of v1 and v2,
 * CPU (server, load generator, database, everything else). Per load level: on/off ratios of req/s, latency and server
 * CPU-ms per request (the capacity cost, robust to other work on the machine taking CPU from the server; means over
 * rounds), paired per-round ratios, and the noise estimate = the spread (max−min)/mean between rounds of
 * the same kind. Checks: no response carried another version than v1 (the shadow is never returned); from the
 * database after the serve process stopped (it flushes on SIGTERM), prediction_log rows by shadow flag and version,
 * and shadow_rollups totals.
 *
 * Options: --seconds S per phase (default 10), --warmup S (2), --rounds N (2), --connections N (32), --light N (4),
 * --paced N (100 users, 1 req/s each), --no-paced, --epochs N (3). The last line printed is one JSON object with all figures.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../server/db/client';
import { freePort } from '../server/db/embedded';
import { setPolicy, setShadow } from '../server/promotion/actions';
import { createApiKey } from '../server/auth/apikeys';
import { closedLoop, rampProfile, watchCpu, r2 } from './lib/load';
import { num } from './lib/args';
import { HOST, ROOT, benchDatabase, runBench, cleanups, embeddedPgPids, getJson, startChild, waitReady } from './lib/proc';
import { SYMBOL, MODEL, T, UNITS, featureRequests, trainModel, trainVersion } from './lib/model';
import { pairedStats, spreadPct } from './lib/stats';

const require = createRequire(import.meta.url);
const log = (line = '') => console.log(line);
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Info {
  requests: number;
  errors: number;
  generation: number;
  batching: Record<string, { batches: number; items: number; maxSize: number }>;
  prediction_log: { written: number; overflow: number; failedWrites: number; pending: number };
  shadow: { mirrored: number; skipped: number; failed: number; inflight: number };
  models: { name: string; split: { version: string; percent: number; loaded: boolean }[]; shadow: { version: string; sample: number; loaded: boolean } | null }[];
}

type Level = 'heavy' | 'light' | 'paced';
type Mode = 'off' | 'on';

interface Phase {
  level: Level;
  /** Closed loop: connections; paced: users (one connection and one request per second each). */
  connections: number;
  mode: Mode;
  round: number;
  rps: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  mean_ms: number | null;
  max_ms: number | null;
  requests: number;
  errors: number;
  /** Paced only: requests sent > 100 ms after their time (the user was still waiting for the previous answer). */
  late_sends: number | null;
  /** 200 answers whose model_version was not v1 (must be 0: the shadow is never returned). */
  other_version_answers: number;
  engine_requests: number;
  shadow: { mirrored: number; skipped: number; failed: number; inflight_at_end: number; drain_ms: number };
  mean_batch: { v1: number | null; v2: number | null };
  cpu: ReturnType<ReturnType<typeof watchCpu>['stop']>;
  server_cpu_ms_per_request: number | null;
  prediction_log: { written: number; overflow: number };
  error_samples: string[];
  slowest: { at_s: number; ms: number }[];
}

export async function main(args: string[]): Promise<void> {
  process.env.SIGNALOPS_TF_QUIET ??= '1';
  process.env.LOG_LEVEL ??= 'warn';
  const seconds = num(args, '--seconds', 10);
  const warmup = num(args, '--warmup', 2);
  const rounds = num(args, '--rounds', 2);
  const epochs = num(args, '--epochs', 3);
  const levels: Record<Level, number> = { heavy: num(args, '--connections', 32), light: num(args, '--light', 4), paced: num(args, '--paced', 100) };
  const LEVELS: Level[] = args.includes('--no-paced') ? ['heavy', 'light'] : ['heavy', 'light', 'paced'];
  const levelName = (l: Level) => (l === 'paced' ? `paced ${levels.paced}/s` : `${l} ${levels[l]}c`);

  await runBench('bench shadow', run);

  async function run() {
    const load0 = os.loadavg();
    log(`phases: ${rounds} rounds × (shadow off, on) × (${LEVELS.map(levelName).join(', ')}), each ${warmup} s warm-up + ${seconds} s, cache misses (every request distinct)`);

    // 1. database, data, two versions, key ------------------------------------------------------------------------------
    const database = await benchDatabase('so_bench_shadow');
    log(`database: ${database.kind}`);
    const h = openDb(database.url, { max: 4, applicationName: 'signalops-bench' });
    const db = h.db;
    // the pool closes before the scratch database is dropped (clean-ups run last-in first-out)
    let poolOpen = true;
    const closePool = async () => {
      if (poolOpen) await h.close();
      poolOpen = false;
    };
    cleanups.push(closePool);
    const v1 = await trainModel(db, epochs, 'shadow');
    await setPolicy(db, { model: MODEL, comment: 'bench: v2 registered without traffic (v1 stays champion at 100 %)', policy: { mode: 'none' } }, 'bench');
    // the shadow must pass the gate too (only candidates serve or shadow): another training seed when it does not
    const v2 = await (async () => {
      for (const seed of [43, 47, 53]) {
        const v = await trainVersion(db, { dataset: v1.dataset, epochs, seed, bench: 'shadow' });
        if (v.status === 'candidate') return v;
        log(`  rejected by the gate; training again with another seed`);
      }
      throw new Error('no second candidate after 3 seeds: the gate rejected every version');
    })();
    // Saturation far above the default per-key limit (12,000/min): the limiter still runs, at the highest limit a key may have.
    const { key } = await createApiKey(db, { name: 'bench-trading-app', scopes: ['predict'], rateLimitPerMinute: 100_000_000 }, 'bench');
    const { rows, missIndicators } = await featureRequests(db, v1.dataset);
    let missK = 0;
    const missBody = () => JSON.stringify({ symbol: SYMBOL, indicators: missIndicators(missK++) });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    log(`requests: {symbol: "${SYMBOL}", indicators: {16 fields}}, every one distinct (${rows.length} real feature rows)`);

    // 2. the serve process ------------------------------------------------------------------------------------------------
    const tsx = require.resolve('tsx');
    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: database.url, HOSTNAME: HOST, LOG_LEVEL: 'warn', SIGNALOPS_TF_QUIET: '1', INFERENCE_PORT: String(port), SIGNALOPS_PROC: 'serve', SERVE_WORKERS: '1' };
    const serve = startChild('serve', ['--import', tsx, path.join(ROOT, 'server/bin/serve.ts')], env);
    await waitReady(serve, port, 120_000);
    const info = async () => (await getJson<Info>(port, '/model/info', key)).body!;
    const i00 = await info();
    const split = i00.models[0]?.split ?? [];
    if (split.length !== 1 || split[0].version !== `v${v1.version}` || split[0].percent !== 100) throw new Error(`expected v${v1.version} at 100 %, serving ${JSON.stringify(split)}`);
    log(`serve: pid ${serve.proc.pid}, http://${HOST}:${port}/predict; split ${split.map((s) => `${s.version} ${s.percent} %`).join(', ')}; shadow ${JSON.stringify(i00.models[0].shadow)}`);

    let current: Mode = 'off';
    const reloads: { to: Mode; ms: number }[] = [];
    async function setMode(mode: Mode) {
      if (mode === current) return;
      const t0 = performance.now();
      await setShadow(db, { model: MODEL, version: mode === 'on' ? v2.version : null, sample: 1, comment: `bench: shadow ${mode}` }, 'bench');
      for (;;) {
        const sh = (await info()).models[0]?.shadow ?? null;
        if (mode === 'on' ? sh?.version === `v${v2.version}` && sh.loaded : sh === null) break;
        if (performance.now() - t0 > 15_000) throw new Error(`serve did not reload to shadow ${mode} within 15 s (shadow: ${JSON.stringify(sh)})`);
        await sleep(50);
      }
      current = mode;
      reloads.push({ to: mode, ms: Math.round(performance.now() - t0) });
    }

    /** Waits until no shadow prediction is in flight and the prediction log is written (bounded). */
    async function drain(): Promise<number> {
      const t0 = performance.now();
      for (;;) {
        const i = await info();
        if (i.shadow.inflight === 0 && i.prediction_log.pending === 0) return Math.round(performance.now() - t0);
        if (performance.now() - t0 > 20_000) return Math.round(performance.now() - t0);
        await sleep(20);
      }
    }

    // 3. phases ------------------------------------------------------------------------------------------------------------
    const url = `http://${HOST}:${port}`;
    const v1Label = `"model_version":"v${v1.version}"`;
    const otherSamples: string[] = [];
    const bk = (i: Info, v: number) => i.batching[`${MODEL}@v${v}`] ?? { batches: 0, items: 0, maxSize: 0 };
    const meanBatch = (a: Info, b: Info, v: number) => {
      const n = bk(b, v).batches - bk(a, v).batches;
      return n ? r2((bk(b, v).items - bk(a, v).items) / n) : null;
    };

    async function phase(level: Level, mode: Mode, round: number): Promise<Phase> {
      const connections = levels[level];
      let other = 0;
      const onBody = (b: string) => {
        if (!b.includes(v1Label)) {
          other++;
          if (otherSamples.length < 3) otherSamples.push(b.slice(0, 200));
        }
      };
      // paced: `users` virtual users spread evenly over each second (they join over the first second), each sending
      // one request per second on its own keep-alive connection → a steady `users` req/s with spare CPU
      const load = (secs: number, check: boolean) =>
        level === 'paced'
          ? rampProfile({ host: HOST, port, path: '/predict', headers, users: connections, rampSeconds: 1, holdSeconds: Math.max(secs - 1, 1), body: missBody, onBody: check ? onBody : undefined })
          : closedLoop({ url, path: '/predict', headers, connections, seconds: secs, body: missBody, onBody: check ? onBody : undefined });
      await load(warmup, false);
      await drain();
      const i0 = await info();
      const cpu = watchCpu(serve.proc.pid!, embeddedPgPids);
      const r = await load(seconds, true);
      const c = cpu.stop();
      const iEnd = await info();
      const drainMs = await drain();
      const i1 = await info();
      const f: Phase = {
        level,
        connections,
        mode,
        round,
        rps: r2(r.ok / r.seconds)!,
        p50_ms: r2(r.latency.p50),
        p95_ms: r2(r.latency.p95),
        p99_ms: r2(r.latency.p99),
        mean_ms: r2(r.latency.mean),
        max_ms: r2(r.latency.max),
        requests: r.requests,
        errors: r.errors,
        late_sends: 'late' in r ? r.late : null,
        other_version_answers: other,
        engine_requests: i1.requests - i0.requests,
        shadow: {
          mirrored: i1.shadow.mirrored - i0.shadow.mirrored,
          skipped: i1.shadow.skipped - i0.shadow.skipped,
          failed: i1.shadow.failed - i0.shadow.failed,
          inflight_at_end: iEnd.shadow.inflight,
          drain_ms: drainMs,
        },
        mean_batch: { v1: meanBatch(i0, i1, v1.version), v2: meanBatch(i0, i1, v2.version) },
        cpu: c,
        server_cpu_ms_per_request: r.ok ? Math.round(((c.server / 100) * r.seconds * 1000 * 1000) / r.ok) / 1000 : null,
        prediction_log: { written: i1.prediction_log.written - i0.prediction_log.written, overflow: i1.prediction_log.overflow - i0.prediction_log.overflow },
        error_samples: r.errorSamples,
        slowest: 'slowest' in r ? r.slowest : [],
      };
      log(
        `round ${round} ${levelName(level).padEnd(12)} shadow ${mode.padEnd(3)}: ${fmt(f.rps)} req/s, p50 ${f.p50_ms} / p95 ${f.p95_ms} / p99 ${f.p99_ms} / max ${f.max_ms} ms, errors ${f.errors}${f.late_sends !== null ? `, late sends ${f.late_sends}` : ''}` +
          ` | shadow mirrored ${f.shadow.mirrored}, skipped ${f.shadow.skipped}, failed ${f.shadow.failed}, in flight at the end ${f.shadow.inflight_at_end} (drained in ${drainMs} ms)` +
          ` | mean batch v1 ${f.mean_batch.v1 ?? '—'} v2 ${f.mean_batch.v2 ?? '—'} | CPU % of a core: server ${c.server}, load generator ${c.client}${c.database !== null ? `, db ${c.database}` : ''}, other ${c.other}; server ${f.server_cpu_ms_per_request} CPU-ms/request`,
      );
      if (r.errorSamples.length) log(`   first errors: ${r.errorSamples.join(' | ')}`);
      return f;
    }

    const phases: Phase[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const mode of ['off', 'on'] as const) {
        await setMode(mode);
        for (const level of LEVELS) phases.push(await phase(level, mode, round));
      }
    }
    await setMode('off');
    const iLast = await info();

    // 4. checks from the database (after the serve process flushed its log and roll-ups on SIGTERM) ------------------------
    await serve.stop();
    const byFlag = (
      await h.pool.query<{ shadow: boolean; version: number; n: string }>(`select shadow, version, count(*) as n from prediction_log where model_name = $1 group by 1, 2 order by 1, 2`, [MODEL])
    ).rows.map((x) => ({ shadow: x.shadow, version: `v${x.version}`, rows: Number(x.n) }));
    const rollups = (
      await h.pool.query<{ version: number; primary_version: number; requests: string; agree: string; errors: string }>(
        `select version, primary_version, sum(requests) as requests, sum(agree) as agree, sum(errors) as errors from shadow_rollups where model_name = $1 group by 1, 2 order by 1, 2`,
        [MODEL],
      )
    ).rows.map((x) => ({ version: `v${x.version}`, primary_version: `v${x.primary_version}`, requests: Number(x.requests), agree: Number(x.agree), errors: Number(x.errors) }));
    // the serving roll-ups (what dashboards and alerts read): does the shadow show up there, and as what?
    const metricRollups = (
      await h.pool.query<{ version: number; requests: string; batches: string; rows: string }>(
        `select version, sum(requests) as requests, sum((select coalesce(sum(x), 0) from unnest(batch_hist) x)) as batches, count(*) as rows from metric_rollups where model_name = $1 group by 1 order by 1`,
        [MODEL],
      )
    ).rows.map((x) => ({ version: `v${x.version}`, requests: Number(x.requests), batches: Number(x.batches), rows: Number(x.rows) }));
    await closePool();
    const shadowRows = byFlag.filter((x) => x.shadow).reduce((a, x) => a + x.rows, 0);
    const otherAnswers = phases.reduce((a, p) => a + p.other_version_answers, 0);
    const checks = {
      shadow_never_returned: otherAnswers === 0,
      answers_not_v1: otherAnswers,
      answers_not_v1_samples: otherSamples,
      shadow_rows: shadowRows,
      shadow_rows_all_v2: byFlag.filter((x) => x.shadow).every((x) => x.version === `v${v2.version}`),
      primary_rows_all_v1: byFlag.filter((x) => !x.shadow).every((x) => x.version === `v${v1.version}`),
      prediction_log_by_flag: byFlag,
      mirrored_total: iLast.shadow.mirrored,
      shadow_rows_match_mirrored: shadowRows === iLast.shadow.mirrored,
      skipped_total: iLast.shadow.skipped,
      failed_total: iLast.shadow.failed,
      prediction_log_overflow_total: iLast.prediction_log.overflow,
      shadow_rollups: rollups,
      metric_rollups_by_version: metricRollups,
      agreement_pct: rollups.length && rollups[0].requests ? r2((100 * rollups[0].agree) / rollups[0].requests) : null,
    };

    // 5. ratios and noise -----------------------------------------------------------------------------------------------------
    // server CPU-ms per request: the shadow's cost in capacity, robust to other work taking CPU from the server
    // (req/s of a saturated single-threaded server = its CPU share / CPU-ms per request)
    const METRICS = ['rps', 'p50_ms', 'p95_ms', 'p99_ms', 'server_cpu_ms_per_request'] as const;
    const METRIC_NAMES: Record<(typeof METRICS)[number], string> = { rps: 'req/s', p50_ms: 'p50 ms', p95_ms: 'p95 ms', p99_ms: 'p99 ms', server_cpu_ms_per_request: 'CPU-ms/req' };
    const summary = (level: Level) => {
      const of = (mode: Mode) => phases.filter((p) => p.level === level && p.mode === mode);
      const kind = (mode: Mode) => {
        const ps = of(mode);
        const out: Record<string, number | null | (number | null)[]> = {};
        for (const m of METRICS) {
          const vals = ps.map((p) => p[m]);
          out[m] = m === 'server_cpu_ms_per_request' ? Math.round((1000 * vals.reduce<number>((a, v) => a + (v ?? NaN), 0)) / vals.length) / 1000 : r2(vals.reduce<number>((a, v) => a + (v ?? NaN), 0) / vals.length);
          out[`${m}_rounds`] = vals;
        }
        out.server_cpu_pct = r2(ps.reduce((a, p) => a + p.cpu.server, 0) / ps.length);
        out.other_cpu_pct = r2(ps.reduce((a, p) => a + p.cpu.other, 0) / ps.length);
        out.mirrored = ps.reduce((a, p) => a + p.shadow.mirrored, 0);
        out.skipped = ps.reduce((a, p) => a + p.shadow.skipped, 0);
        out.failed = ps.reduce((a, p) => a + p.shadow.failed, 0);
        return out;
      };
      const ratios: Record<string, number | null> = {};
      const paired: Record<string, (number | null)[]> = {};
      const noise: Record<string, number | null> = {};
      const within: Record<string, boolean | null> = {};
      for (const m of METRICS) {
        const off = of('off').map((p) => p[m]);
        const on = of('on').map((p) => p[m]);
        const s = pairedStats(off, on);
        ratios[m] = s.ratio;
        paired[m] = s.paired;
        noise[`${m}_pct`] = r2(Math.max(spreadPct(off) ?? NaN, spreadPct(on) ?? NaN));
        within[m] = s.ratio === null || noise[`${m}_pct`] === null ? null : Math.abs(s.ratio - 1) * 100 <= noise[`${m}_pct`]!;
      }
      return { [level === 'paced' ? 'users_per_s' : 'connections']: levels[level], off: kind('off'), on: kind('on'), ratios, paired_ratios: paired, noise, within_noise: within };
    };
    const heavy = summary('heavy');
    const light = summary('light');
    const paced = LEVELS.includes('paced') ? summary('paced') : null;

    // 6. table + JSON --------------------------------------------------------------------------------------------------------
    const load1 = os.loadavg();
    log('');
    log(`summary (one serve process, SERVE_WORKERS=1; cache misses; ${warmup} s warm-up + ${seconds} s per phase; v1 primary at 100 %, v2 shadow at sample 1 when on):`);
    log(`  rnd  load          shadow    req/s   p50 ms   p95 ms   p99 ms   max ms  errors   mirrored  skipped  failed  tail  srv CPU%  other%  CPU-ms/req  batch v1/v2`);
    for (const p of phases)
      log(
        `  ${String(p.round).padStart(3)}  ${levelName(p.level).padEnd(12)}  ${p.mode.padEnd(6)} ${fmt(p.rps).padStart(8)} ${String(p.p50_ms).padStart(8)} ${String(p.p95_ms).padStart(8)} ${String(p.p99_ms).padStart(8)} ${String(p.max_ms).padStart(8)} ${String(p.errors).padStart(7)} ${String(p.shadow.mirrored).padStart(10)} ${String(p.shadow.skipped).padStart(8)} ${String(p.shadow.failed).padStart(7)} ${String(p.shadow.inflight_at_end).padStart(5)} ${String(p.cpu.server).padStart(9)} ${String(p.cpu.other).padStart(7)} ${String(p.server_cpu_ms_per_request).padStart(11)}  ${p.mean_batch.v1 ?? '—'}/${p.mean_batch.v2 ?? '—'}`,
      );
    log('');
    log(`  on/off (means over ${rounds} rounds; noise = largest (max−min)/mean between rounds of the same kind):`);
    log(`  load          metric       off        on         on/off   per round              noise ±%   within noise`);
    for (const [name, s] of [['heavy', heavy], ['light', light], ['paced', paced]] as const) {
      if (!s) continue;
      for (const m of METRICS)
        log(
          `  ${levelName(name).padEnd(12)}  ${METRIC_NAMES[m].padEnd(11)} ${String(s.off[m]).padStart(9)}  ${String(s.on[m]).padStart(9)}   ${String(s.ratios[m]).padStart(7)}   ${s.paired_ratios[m].map((x) => String(x)).join(', ').padEnd(21)}  ${String(s.noise[`${m}_pct`]).padStart(8)}   ${s.within_noise[m] === null ? '—' : s.within_noise[m] ? 'yes' : 'NO'}`,
        );
    }
    log('');
    log(
      `checks: answers with another version than v${v1.version}: ${otherAnswers} (${checks.shadow_never_returned ? 'the shadow was never returned' : 'SHADOW RETURNED'}); prediction_log: ${byFlag.map((x) => `${x.shadow ? 'shadow' : 'primary'} ${x.version} ${fmt(x.rows)}`).join(', ')};` +
        ` engine: mirrored ${fmt(checks.mirrored_total)}, skipped ${checks.skipped_total}, failed ${checks.failed_total}, log overflow ${checks.prediction_log_overflow_total}; shadow_rollups: ${rollups.map((x) => `${x.version} vs ${x.primary_version}: ${fmt(x.requests)} requests, agree ${x.agree}, errors ${x.errors}`).join('; ') || 'none'}`,
    );
    log(`metric_rollups (serving roll-ups) by version: ${metricRollups.map((x) => `${x.version}: ${fmt(x.requests)} requests, ${fmt(x.batches)} batches in ${x.rows} rows`).join('; ')}`);
    log(`reloads after setShadow (until /model/info showed it): ${reloads.map((x) => `${x.to} ${x.ms} ms`).join(', ')}`);
    log(`load average at the start: ${load0.map((v) => v.toFixed(2)).join(' ')}, at the end: ${load1.map((v) => v.toFixed(2)).join(' ')} (${os.cpus().length} shared cores; "other" CPU above is everyone else on the machine)`);

    console.log(
      JSON.stringify({
        bench: 'shadow',
        machine: { cores: os.cpus().length, loadavg_start: load0.map((v) => r2(v)), loadavg_end: load1.map((v) => r2(v)), node: process.version },
        database: database.kind.startsWith('DATABASE_URL') ? 'DATABASE_URL' : 'embedded',
        model: { name: MODEL, type: 'lstm', window: T, units: UNITS, epochs, primary: `v${v1.version}`, shadow: `v${v2.version}`, train_seconds: [r2(v1.trainSeconds), r2(v2.trainSeconds)], dataset: v1.dataset },
        settings: { seconds, warmup, rounds, heavy_connections: levels.heavy, light_connections: levels.light, paced_users_per_s: paced ? levels.paced : null, shadow_sample: 1, workers: 1 },
        heavy,
        light,
        paced,
        noise: { heavy: heavy.noise, light: light.noise, paced: paced?.noise ?? null },
        within_noise: { heavy: heavy.within_noise, light: light.within_noise, paced: paced?.within_noise ?? null },
        reloads,
        phases,
        checks,
      }),
    );
  }
}
