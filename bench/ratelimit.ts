/**
 * `npm run bench -- ratelimit [options]`: what the per-key request limit (server/http/ratelimit.ts) costs on the serve
 * path, limiter ON vs OFF side by side in one run, and why it does not ask PostgreSQL per request.
 *
 * Part 1, in process (the bench's own pool on the scratch database): the limiter's `take()` as the hot path calls
 * it, --concurrency calls in flight, for --micro seconds per phase, three ways alternated per round:
 *   none     — no limiter (the loop's own cost);
 *   chunked  — RequestLimiter (reserves points in chunks from PostgreSQL, spends them in memory);
 *   naive    — rate-limiter-flexible's RateLimiterPostgres.consume() per call (one round trip per request).
 * Figures: calls/s, µs per call, PostgreSQL calls per 1,000 requests.
 *
 * Part 2, the serve path: the planted-signal LSTM of bench/serve.ts (bench/lib/model.ts), one `predict` key with the
 * default limit (RATE_LIMIT_KEY_PER_MINUTE, 12,000/min — high enough not to refuse during the bench: the phases send
 * far more than that in a minute, so the OFF/ON comparison uses RATE_LIMIT_KEY_PER_MINUTE=100000000 for the ON
 * process: the limiter runs its full path but never refuses). Two serve processes on one database (SERVE_WORKERS=1):
 * one with RATE_LIMITS=off, one with the limiter on. Per round, OFF then ON: a closed loop of --connections
 * (default 16) keep-alive connections, cache misses (every request distinct), --seconds per phase after --warmup;
 * then the trading team's profile: --paced users (default 50) each sending one /predict per second. Figures: req/s,
 * p50/p95/p99, server CPU-ms per request; ON/OFF ratios (means over rounds), per-round paired ratios, and the
 * between-round spread of each side (the noise: 2 cores shared with other work).
 *
 * Options: --rounds N (3), --seconds S (8), --warmup S (2), --connections N (16), --paced N (50), --micro S (3),
 * --concurrency N (32), --epochs N (3), --no-paced, --no-micro, --aa (A/A: both processes OFF, to see how much two
 * identical processes differ on this machine — the noise floor of the ON/OFF comparison), --on-first (start the ON
 * process first; by default OFF starts first). The last line printed is one JSON object with all figures.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { openDb } from '../server/db/client';
import { freePort } from '../server/db/embedded';
import { createApiKey } from '../server/auth/apikeys';
import { RequestLimiter } from '../server/http/ratelimit';
import { closedLoop, rampProfile, watchCpu, r2 } from './lib/load';
import { num } from './lib/args';
import { HOST, ROOT, benchDatabase, runBench, cleanups, embeddedPgPids, startChild, waitReady } from './lib/proc';
import { SYMBOL, featureRequests, trainModel } from './lib/model';
import { pairedStats, spreadPct } from './lib/stats';

const require = createRequire(import.meta.url);
const log = (line = '') => console.log(line);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function main(args: string[]): Promise<void> {
  process.env.SIGNALOPS_TF_QUIET ??= '1';
  process.env.LOG_LEVEL ??= 'warn';
  const rounds = num(args, '--rounds', 3);
  const seconds = num(args, '--seconds', 8);
  const warmup = num(args, '--warmup', 2);
  const connections = num(args, '--connections', 16);
  const paced = num(args, '--paced', 50);
  const microSeconds = num(args, '--micro', 3);
  const concurrency = num(args, '--concurrency', 32);
  const epochs = num(args, '--epochs', 3);
  /** A/A: both serve processes with the limiter OFF — how different two identical processes measure on this machine. */
  const aa = args.includes('--aa');
  const withPaced = !args.includes('--no-paced');
  const withMicro = !args.includes('--no-micro');
  /** Start the ON process first (the second process started measured slower in A/A runs here). */
  const onFirst = args.includes('--on-first');

  await runBench('bench ratelimit', async () => {
    const database = await benchDatabase('so_bench_ratelimit');
    log(`database: ${database.kind}`);
    const h = openDb(database.url, { max: 4, applicationName: 'signalops-bench' });
    let poolOpen = true;
    const closePool = async () => {
      if (poolOpen) await h.close();
      poolOpen = false;
    };
    cleanups.push(closePool);

    // 1. in process ---------------------------------------------------------------------------------------------------
    type MicroMode = 'none' | 'chunked' | 'naive';
    const micro: { mode: MicroMode; round: number; calls_per_s: number; us_per_call: number; store_calls_per_1000: number | null }[] = [];
    let subjectN = 0;
    async function microPhase(mode: MicroMode, round: number) {
      const subject = `key:bench-${mode}-${++subjectN}`;
      const limiter = new RequestLimiter({ storeTimeoutMs: 5000 });
      const naive = new RateLimiterPostgres({ storeClient: h.pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true, keyPrefix: 'rl', points: 1e9, duration: 60, clearExpiredByTimeout: false });
      const one = mode === 'none' ? () => Promise.resolve() : mode === 'chunked' ? () => limiter.take(h.pool, subject, 100_000_000, 1) : () => naive.consume(subject, 1);
      const end = performance.now() + microSeconds * 1000;
      let calls = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < end) {
            await one();
            calls++;
          }
        }),
      );
      const s = (performance.now() - t0) / 1000;
      const f = {
        mode,
        round,
        calls_per_s: Math.round(calls / s),
        us_per_call: r2((s * 1e6) / calls)!,
        store_calls_per_1000: mode === 'chunked' ? r2((1000 * limiter.stats.storeCalls) / calls) : mode === 'naive' ? 1000 : null,
      };
      micro.push(f);
      log(`micro round ${round} ${mode.padEnd(7)}: ${f.calls_per_s.toLocaleString('en-US')} calls/s, ${f.us_per_call} µs/call (${concurrency} in flight), PostgreSQL calls per 1,000: ${f.store_calls_per_1000 ?? '—'}`);
    }
    if (withMicro) for (let round = 1; round <= rounds; round++) for (const mode of ['none', 'chunked', 'naive'] as const) await microPhase(mode, round);

    // 2. the serve path -------------------------------------------------------------------------------------------------
    const v1 = await trainModel(h.db, epochs, 'ratelimit');
    const { key } = await createApiKey(h.db, { name: 'bench-trading-app', scopes: ['predict'] }, 'bench');
    const { missIndicators } = await featureRequests(h.db, v1.dataset);
    let k = 0;
    const missBody = () => JSON.stringify({ symbol: SYMBOL, indicators: missIndicators(k++) });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const tsx = require.resolve('tsx');
    const serves: Record<'off' | 'on', { port: number; child: ReturnType<typeof startChild> }> = {} as never;
    for (const mode of onFirst ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const port = await freePort();
      const env = {
        ...process.env,
        DATABASE_URL: database.url,
        HOSTNAME: HOST,
        LOG_LEVEL: 'warn',
        SIGNALOPS_TF_QUIET: '1',
        INFERENCE_PORT: String(port),
        SIGNALOPS_PROC: 'serve',
        SERVE_WORKERS: '1',
        RATE_LIMITS: aa ? 'off' : mode,
        // the limiter's full path, never refusing (the bench sends far more than 12,000 a minute)
        RATE_LIMIT_KEY_PER_MINUTE: '100000000',
      };
      const child = startChild(`serve-${mode}`, ['--import', tsx, path.join(ROOT, 'server/bin/serve.ts')], env);
      serves[mode] = { port, child };
    }
    for (const mode of ['off', 'on'] as const) await waitReady(serves[mode].child, serves[mode].port, 120_000);
    if (aa) log('A/A run: BOTH processes have the limiter off ("on" below is the second process)');
    log(`serve: limiter off on :${serves.off.port}, on on :${serves.on.port}; ${connections} connections closed loop, cache misses; paced ${paced} users × 1 req/s`);

    type Phase = { kind: 'closed' | 'paced'; mode: 'off' | 'on'; round: number; rps: number; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null; errors: number; statuses?: Record<string, number>; server_cpu_ms_per_request: number | null; cpu: ReturnType<ReturnType<typeof watchCpu>['stop']> };
    const phases: Phase[] = [];
    async function phase(kind: 'closed' | 'paced', mode: 'off' | 'on', round: number) {
      const { port, child } = serves[mode];
      const run = (secs: number) =>
        kind === 'closed'
          ? closedLoop({ url: `http://${HOST}:${port}`, path: '/predict', headers, connections, seconds: secs, body: missBody })
          : rampProfile({ host: HOST, port, path: '/predict', headers, users: paced, rampSeconds: 1, holdSeconds: Math.max(secs - 1, 1), body: missBody });
      await run(warmup);
      const cpu = watchCpu(child.proc.pid!, embeddedPgPids);
      const r = await run(seconds);
      const c = cpu.stop();
      const f: Phase = {
        kind,
        mode,
        round,
        rps: r2(r.ok / r.seconds)!,
        p50_ms: r2(r.latency.p50),
        p95_ms: r2(r.latency.p95),
        p99_ms: r2(r.latency.p99),
        errors: r.errors,
        statuses: 'statuses' in r ? r.statuses : undefined,
        server_cpu_ms_per_request: r.ok ? Math.round(((c.server / 100) * r.seconds * 1000 * 1000) / r.ok) / 1000 : null,
        cpu: c,
      };
      phases.push(f);
      log(
        `round ${round} ${kind.padEnd(6)} limiter ${mode.padEnd(3)}: ${f.rps.toLocaleString('en-US')} req/s, p50 ${f.p50_ms} / p95 ${f.p95_ms} / p99 ${f.p99_ms} ms, errors ${f.errors}` +
          ` | CPU % of a core: server ${c.server}, load generator ${c.client}${c.database !== null ? `, db ${c.database}` : ''}, other ${c.other}; server ${f.server_cpu_ms_per_request} CPU-ms/request`,
      );
    }
    for (let round = 1; round <= rounds; round++) {
      // alternate the order each round so that drift does not favour one side
      const order = round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const mode of order) await phase('closed', mode, round);
      if (withPaced) for (const mode of order) await phase('paced', mode, round);
    }
    // what the limiter did in the ON process: its rows in rate_limits (one per key and window)
    const rows = (await h.pool.query<{ key: string; points: number }>(`select key, points from rate_limits where key like 'rl:key:%'`)).rows;

    // 3. ratios and noise -------------------------------------------------------------------------------------------------
    const METRICS = ['rps', 'p50_ms', 'p95_ms', 'p99_ms', 'server_cpu_ms_per_request'] as const;
    const summary = (kind: 'closed' | 'paced') => {
      const of = (mode: 'off' | 'on') => phases.filter((p) => p.kind === kind && p.mode === mode).sort((a, b) => a.round - b.round);
      const out: Record<string, unknown> = {};
      for (const m of METRICS) {
        const off = of('off').map((p) => p[m]);
        const on = of('on').map((p) => p[m]);
        const s = pairedStats(off, on);
        out[m] = { off: r2(mean(off.map((v) => v ?? NaN))), on: r2(mean(on.map((v) => v ?? NaN))), ratio_on_off: s.ratio, paired: s.paired, spread_off_pct: spreadPct(off), spread_on_pct: spreadPct(on) };
      }
      return out;
    };
    const microSummary = Object.fromEntries(
      (['none', 'chunked', 'naive'] as const).map((m) => {
        const ps = micro.filter((p) => p.mode === m);
        return [m, { calls_per_s: Math.round(mean(ps.map((p) => p.calls_per_s))), us_per_call: r2(mean(ps.map((p) => p.us_per_call))), spread_pct: spreadPct(ps.map((p) => p.calls_per_s)), store_calls_per_1000: ps[0]?.store_calls_per_1000 ?? null }];
      }),
    );
    const closed = summary('closed');
    const pacedS = summary('paced');
    log('');
    log(`in process: chunked ${microSummary.chunked.us_per_call} µs/call vs naive (PostgreSQL per call) ${microSummary.naive.us_per_call} µs/call; none ${microSummary.none.us_per_call} µs/call`);
    for (const [name, s] of [['closed loop', closed], ['paced', pacedS]] as const) {
      const f = (m: string) => {
        const x = s[m] as { off: number; on: number; ratio_on_off: number | null; spread_off_pct: number | null; spread_on_pct: number | null };
        return `${m} off ${x.off} / on ${x.on} (on/off ${x.ratio_on_off}; spread off ${x.spread_off_pct} %, on ${x.spread_on_pct} %)`;
      };
      log(`${name}: ${METRICS.map(f).join('; ')}`);
    }
    await closePool();
    console.log(JSON.stringify({ bench: 'ratelimit', aa, on_first: onFirst, rounds, seconds, connections, paced, concurrency, micro: { phases: micro, summary: microSummary }, serve: { phases, closed, paced: pacedS }, rate_limit_rows: rows }));
  });
}
