/**
 * `npm run loadtest [-- options]`: the trading team's k6 load test, reproduced in Node (bench/k6/predict.js is the
 * same profile as a k6 script, for machines that have k6).
 *
 * The profile (their script; its `stages` array assumed as the usual k6 shape — five 1-minute stages ramping the
 * virtual users to 10, 20, 30, 40 and 50, from 1 at the start, as k6's `stages` shortcut does):
 *   each virtual user (VU), in a loop: GET /health, POST /predict (one realistic 16-indicator request), sleep 1 s.
 *   checks: health status 200; predict status 200, `prediction.direction` present (BUY, HOLD or SELL),
 *   `prediction.confidence` a number in 0–100.
 *   thresholds: http_req_duration p(95) < 500 ms, http_req_failed rate < 1 % (status ≥ 400 or no answer), and — added
 *   here, so that a wrong answer with status 200 fails the run too — checks rate > 99 %.
 *
 * Why a VU loop and not autocannon: k6's model is closed-loop with think time — a VU sends its next request only
 * after the previous answer, then sleeps — so a slow server gets fewer requests, as it would from the trading app.
 * autocannon drives connections back to back (or at a fixed overall rate) and cannot express "each user: two
 * requests, then one second of sleep" nor a VU count that ramps per stage. At ≤ 100 requests/s a node:http client
 * with one keep-alive agent per VU (like a k6 VU's own connection) costs the machine almost nothing.
 *
 * Modes:
 *   --url http://host:port   against a running serve or web process (both answer /health and /predict); the API key
 *                            (scope `predict`) from --key or SIGNALOPS_API_KEY; the body from --body FILE (JSON, sent
 *                            as is), else a realistic EURUSD H1 request with all 16 indicators, its RSI nudged per
 *                            request so that every request is a cache miss (the harder case) — --symbol S to change
 *                            the symbol.
 *   (no --url)               self-start: a fresh database (DATABASE_URL's server → a scratch database; else an
 *                            embedded PostgreSQL in a temp dir), a planted-signal series imported and the default LSTM
 *                            trained for one epoch through the real pipeline (bench/lib/model.ts), a `predict` key, and
 *                            a serve process (SERVE_WORKERS=1, --serve-workers N to change it) on a free port; the
 *                            requests are the series' real feature rows in turn (all cache misses). Everything is
 *                            stopped and removed at the end, on failure and on Ctrl-C.
 *
 * Options: --short (five 5-s stages: 25 s, for CI), --stages 30s:10,1m:50 (any k6-style stages: duration s/m, target
 * VUs), --summary PATH (default ./loadtest-summary.json), --p95 MS (500), --max-failed-rate R (0.01),
 * --min-checks-rate R (0.99), --timeout S (request timeout, 10), --health-path P (/health), --predict-path P
 * (/predict), --serve-workers N (self-start, 1), --epochs N (self-start, 1).
 *
 * Output: a k6-style end-of-test summary table, the summary JSON (k6 handleSummary's `data` shape: `metrics` with
 * `values` and `thresholds: { "p(95)<500": { ok } }`, `root_group.checks` with passes/fails, plus a `signalops`
 * section saying what ran where) written to --summary, and the same JSON as the last line of stdout.
 * Exit code: 0 when every threshold holds, 99 when one fails (as k6), 1 when the test could not run, 2 for bad usage.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { arg, num } from './lib/args';
import { Samples, percentile } from './lib/load';

const require = createRequire(import.meta.url);

// ---- the profile ------------------------------------------------------------------------------------------------------

export interface Stage {
  durationS: number;
  target: number;
}

/** Their stages (assumed: five 1-minute stages up to 10, 20, 30, 40, 50 VUs). */
export const FULL_STAGES: Stage[] = [10, 20, 30, 40, 50].map((target) => ({ durationS: 60, target }));
/** The CI version: the same five targets, 5 s each. */
export const SHORT_STAGES: Stage[] = [10, 20, 30, 40, 50].map((target) => ({ durationS: 5, target }));
/** k6's `stages` shortcut starts with one VU. */
export const START_VUS = 1;
export const SLEEP_S = 1;

/** `30s:10,1m:20,1m30s:50` → stages (k6's duration syntax: h, m, s, ms). */
export function parseStages(spec: string): Stage[] {
  const stages = spec.split(',').map((part) => {
    const m = /^\s*([0-9hms.]+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--stages: '${part}' is not duration:target (e.g. 30s:10)`);
    return { durationS: parseDuration(m[1]), target: Number(m[2]) };
  });
  if (!stages.length) throw new UsageError('--stages: no stages');
  return stages;
}

function parseDuration(s: string): number {
  // eslint-disable-next-line security/detect-unsafe-regex -- the developer's own --stages argument; one optional group after \d+, linear
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let seen = '';
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const v = Number(m[1]);
    total += m[2] === 'h' ? v * 3600 : m[2] === 'm' ? v * 60 : m[2] === 's' ? v : v / 1000;
    seen += m[0];
  }
  if (!seen || seen !== s || total <= 0) throw new UsageError(`--stages: '${s}' is not a duration (e.g. 30s, 1m, 1m30s)`);
  return total;
}

/** VUs wanted at `t` seconds: linear from the previous stage's target to this stage's (k6 ramping-vus). */
export function targetAt(stages: Stage[], t: number, startVus = START_VUS): number {
  let from = startVus;
  let at = 0;
  for (const s of stages) {
    if (t < at + s.durationS) return Math.round(from + ((t - at) / s.durationS) * (s.target - from));
    at += s.durationS;
    from = s.target;
  }
  return 0;
}

export class UsageError extends Error {}

// ---- one HTTP request, k6-style accounting -----------------------------------------------------------------------------

interface Answer {
  status: number; // 0: no answer (connection error, timeout)
  body: string;
  ms: number;
  error?: string;
}

function request(agent: http.Agent, url: URL, method: 'GET' | 'POST', headers: Record<string, string>, body: string | null, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const payload = body === null ? null : Buffer.from(body);
    const start = performance.now();
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      { method, agent, headers: payload ? { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) } : headers, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }));
        res.on('error', (e) => resolve({ status: 0, body: '', ms: performance.now() - start, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, body: '', ms: performance.now() - start, error: e.message }));
    req.end(payload ?? undefined);
  });
}

// ---- the run --------------------------------------------------------------------------------------------------------

export interface RunOptions {
  baseUrl: string;
  key: string;
  stages: Stage[];
  /** Body of the k-th predict request. */
  body: (k: number) => string;
  healthPath: string;
  predictPath: string;
  timeoutMs: number;
  thresholds: { p95Ms: number; maxFailedRate: number; minChecksRate: number };
  /** Progress lines (one per stage). */
  log?: (line: string) => void;
}

interface CheckCount {
  passes: number;
  fails: number;
}

export const CHECKS = ['health: status is 200', 'predict: status is 200', 'predict: prediction.direction present', 'predict: confidence in 0–100'] as const;
type CheckName = (typeof CHECKS)[number];

const DIRECTIONS = new Set(['BUY', 'HOLD', 'SELL']);

/** The per-response checks of a /predict answer. */
export function predictChecks(a: { status: number; body: string }): Record<Exclude<CheckName, 'health: status is 200'>, boolean> {
  let pred: { direction?: unknown; confidence?: unknown } | undefined;
  try {
    pred = (JSON.parse(a.body) as { prediction?: typeof pred }).prediction;
  } catch {
    pred = undefined;
  }
  const conf = pred?.confidence;
  return {
    'predict: status is 200': a.status === 200,
    'predict: prediction.direction present': typeof pred?.direction === 'string' && DIRECTIONS.has(pred.direction),
    'predict: confidence in 0–100': typeof conf === 'number' && Number.isFinite(conf) && conf >= 0 && conf <= 100,
  };
}

export async function runProfile(o: RunOptions) {
  const log = o.log ?? (() => {});
  const base = new URL(o.baseUrl);
  const healthUrl = new URL(o.healthPath, base);
  const predictUrl = new URL(o.predictPath, base);
  const auth = { authorization: `Bearer ${o.key}` };
  const total = o.stages.reduce((a, s) => a + s.durationS, 0);

  const all = new Samples();
  const byName = { health: new Samples(), predict: new Samples() };
  const iterationMs = new Samples();
  const checks = Object.fromEntries(CHECKS.map((c) => [c, { passes: 0, fails: 0 }])) as Record<CheckName, CheckCount>;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let firstFailureAt: number | null = null;
  let lastFailureAt: number | null = null;
  let reqs = 0;
  let failed = 0;
  let iterations = 0;
  let vusMax = 0;
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  const check = (name: CheckName, ok: boolean) => (ok ? checks[name].passes++ : checks[name].fails++);
  const record = (name: 'health' | 'predict', a: Answer) => {
    reqs++;
    const key = a.status ? String(a.status) : 'no answer';
    statuses[key] = (statuses[key] ?? 0) + 1;
    all.add(a.ms);
    byName[name].add(a.ms);
    if (a.status === 0 || a.status >= 400) {
      failed++;
      const at = round(elapsed(), 1);
      firstFailureAt ??= at;
      lastFailureAt = at;
      if (errorSamples.length < 5) errorSamples.push(`${name}: ${a.status || a.error}${a.body ? ` ${a.body.slice(0, 160)}` : ''}`);
    }
  };

  let ended = false;
  let wakeSleepers: Array<() => void> = [];
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleepers = wakeSleepers.filter((f) => f !== done);
        resolve();
      }
      wakeSleepers.push(done);
    });

  let k = 0;
  const running = new Set<number>();
  const vuPromises: Promise<void>[] = [];
  const vu = async (id: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A VU above the current target stops before its next iteration (k6's graceful ramp-down).
      while (!ended && id < targetAt(o.stages, elapsed())) {
        const it0 = performance.now();
        const h = await request(agent, healthUrl, 'GET', auth, null, o.timeoutMs);
        record('health', h);
        check('health: status is 200', h.status === 200);
        const p = await request(agent, predictUrl, 'POST', auth, o.body(k++), o.timeoutMs);
        record('predict', p);
        for (const [name, ok] of Object.entries(predictChecks(p))) check(name as CheckName, ok);
        iterations++;
        if (!ended) await sleep(SLEEP_S * 1000);
        // An iteration whose sleep the end of the test cut short does not count in iteration_duration.
        if (!ended) iterationMs.add(performance.now() - it0);
      }
    } finally {
      agent.destroy();
      running.delete(id);
    }
  };

  // The executor: every 50 ms, start the VUs the ramp wants now.
  let stageIdx = -1;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = elapsed();
      if (t >= total) {
        clearInterval(timer);
        return resolve();
      }
      let at = 0;
      let idx = 0;
      for (; idx < o.stages.length && t >= at + o.stages[idx].durationS; idx++) at += o.stages[idx].durationS;
      if (idx !== stageIdx) {
        stageIdx = idx;
        const s = o.stages[idx];
        log(`  stage ${idx + 1}/${o.stages.length}: → ${s.target} VUs over ${s.durationS} s (at ${t.toFixed(1)} s: ${running.size} VUs, ${reqs} requests, ${failed} failed)`);
      }
      const want = targetAt(o.stages, t);
      for (let id = 0; id < want; id++) {
        if (running.has(id)) continue;
        running.add(id);
        vusMax = Math.max(vusMax, running.size);
        vuPromises.push(vu(id));
      }
    };
    const timer = setInterval(tick, 50);
    tick();
  });
  // End of the last stage: no new iterations; the ones in flight finish their requests (bounded by the timeout).
  ended = true;
  for (const wake of [...wakeSleepers]) wake();
  await Promise.all(vuPromises);
  const seconds = elapsed();

  const summary = buildSummary({ o, seconds, all, byName, iterationMs, checks, reqs, failed, iterations, vusMax, statuses, errorSamples });
  summary.signalops.failures_between_s = firstFailureAt === null ? null : [firstFailureAt, lastFailureAt];
  return summary;
}

// ---- the summary (k6 handleSummary's data shape) ----------------------------------------------------------------------

const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'] as const;
const round = (v: number, d = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

function trend(s: Samples) {
  const sorted = s.sorted();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    avg: round(sorted.length ? sum / sorted.length : NaN),
    min: round(sorted.length ? sorted[0] : NaN),
    med: round(percentile(sorted, 50)),
    max: round(sorted.length ? sorted[sorted.length - 1] : NaN),
    'p(90)': round(percentile(sorted, 90)),
    'p(95)': round(percentile(sorted, 95)),
    'p(99)': round(percentile(sorted, 99)),
  };
}

export interface Summary {
  root_group: { name: string; path: string; groups: never[]; checks: { name: string; path: string; passes: number; fails: number }[] };
  options: { summaryTrendStats: string[]; stages: { duration: string; target: number }[]; thresholds: Record<string, string[]> };
  state: { testRunDurationMs: number };
  metrics: Record<string, { type: 'trend' | 'rate' | 'counter' | 'gauge'; contains: 'time' | 'default'; values: Record<string, number | null>; thresholds?: Record<string, { ok: boolean }> }>;
  signalops: {
    ok: boolean;
    thresholds: { metric: string; threshold: string; ok: boolean; value: number | null }[];
    target: string;
    paths: { health: string; predict: string };
    statuses: Record<string, number>;
    error_samples: string[];
    [k: string]: unknown;
  };
}

function buildSummary(r: {
  o: RunOptions;
  seconds: number;
  all: Samples;
  byName: { health: Samples; predict: Samples };
  iterationMs: Samples;
  checks: Record<CheckName, CheckCount>;
  reqs: number;
  failed: number;
  iterations: number;
  vusMax: number;
  statuses: Record<string, number>;
  errorSamples: string[];
}): Summary {
  const th = r.o.thresholds;
  const dur = trend(r.all);
  const failedRate = r.reqs ? r.failed / r.reqs : 1;
  const checkPasses = Object.values(r.checks).reduce((a, c) => a + c.passes, 0);
  const checkFails = Object.values(r.checks).reduce((a, c) => a + c.fails, 0);
  const checksRate = checkPasses + checkFails ? checkPasses / (checkPasses + checkFails) : 0;
  const p95 = dur['p(95)'];
  const thresholds = [
    { metric: 'http_req_duration', threshold: `p(95)<${th.p95Ms}`, ok: p95 !== null && p95 < th.p95Ms, value: p95 },
    // No request answered is a failure too (rate 1), never a vacuous pass.
    { metric: 'http_req_failed', threshold: `rate<${th.maxFailedRate}`, ok: r.reqs > 0 && failedRate < th.maxFailedRate, value: round(failedRate, 5) },
    { metric: 'checks', threshold: `rate>${th.minChecksRate}`, ok: checkPasses + checkFails > 0 && checksRate > th.minChecksRate, value: round(checksRate, 5) },
  ];
  const thOf = (metric: string) => Object.fromEntries(thresholds.filter((t) => t.metric === metric).map((t) => [t.threshold, { ok: t.ok }]));
  const perS = (n: number) => round(n / r.seconds, 3);
  return {
    root_group: {
      name: '',
      path: '',
      groups: [],
      checks: CHECKS.map((name) => ({ name, path: `::${name}`, passes: r.checks[name].passes, fails: r.checks[name].fails })),
    },
    options: {
      summaryTrendStats: [...TREND_STATS],
      stages: r.o.stages.map((s) => ({ duration: `${s.durationS}s`, target: s.target })),
      thresholds: { http_req_duration: [`p(95)<${th.p95Ms}`], http_req_failed: [`rate<${th.maxFailedRate}`], checks: [`rate>${th.minChecksRate}`] },
    },
    state: { testRunDurationMs: round(r.seconds * 1000, 1)! },
    metrics: {
      http_req_duration: { type: 'trend', contains: 'time', values: dur, thresholds: thOf('http_req_duration') },
      'http_req_duration{name:health}': { type: 'trend', contains: 'time', values: trend(r.byName.health) },
      'http_req_duration{name:predict}': { type: 'trend', contains: 'time', values: trend(r.byName.predict) },
      // k6's Rate metrics count "passes" as non-zero values: for http_req_failed, passes = failed requests.
      http_req_failed: { type: 'rate', contains: 'default', values: { rate: round(failedRate, 5), passes: r.failed, fails: r.reqs - r.failed }, thresholds: thOf('http_req_failed') },
      http_reqs: { type: 'counter', contains: 'default', values: { count: r.reqs, rate: perS(r.reqs) } },
      checks: { type: 'rate', contains: 'default', values: { rate: round(checksRate, 5), passes: checkPasses, fails: checkFails }, thresholds: thOf('checks') },
      iterations: { type: 'counter', contains: 'default', values: { count: r.iterations, rate: perS(r.iterations) } },
      iteration_duration: { type: 'trend', contains: 'time', values: trend(r.iterationMs) },
      vus_max: { type: 'gauge', contains: 'default', values: { value: r.vusMax, min: r.vusMax, max: r.vusMax } },
    },
    signalops: {
      ok: thresholds.every((t) => t.ok),
      thresholds,
      target: r.o.baseUrl,
      paths: { health: r.o.healthPath, predict: r.o.predictPath },
      statuses: r.statuses,
      error_samples: r.errorSamples,
    },
  };
}

/** k6's end-of-test summary, roughly: checks, then metrics, thresholds marked ✓ / ✗. */
export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  const dots = (name: string) => `${name} ${'.'.repeat(Math.max(2, 38 - name.length))}:`;
  const ms = (v: number | null) => (v === null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(2)}ms`);
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);
  for (const c of s.root_group.checks) {
    const n = c.passes + c.fails;
    lines.push(c.fails ? `  ✗ ${c.name}\n    ↳  ${n ? Math.floor((100 * c.passes) / n) : 0}% — ✓ ${c.passes} / ✗ ${c.fails}` : `  ✓ ${c.name}`);
  }
  lines.push('');
  const mark = (m: Summary['metrics'][string]) => (m.thresholds ? (Object.values(m.thresholds).every((t) => t.ok) ? '✓ ' : '✗ ') : '  ');
  for (const [name, m] of Object.entries(s.metrics)) {
    const v = m.values;
    let text: string;
    if (m.type === 'trend') text = TREND_STATS.map((k) => `${k}=${ms(v[k] ?? null)}`).join(' ');
    else if (m.type === 'rate') text = `${pct(v.rate)} ✓ ${v.passes} ✗ ${v.fails}`;
    else if (m.type === 'counter') text = `${v.count} ${v.rate}/s`;
    else text = `${v.value}`;
    lines.push(`  ${mark(m)}${dots(name.replace(/\{name:(\w+)\}/, '{ name:$1 }'))} ${text}`);
  }
  lines.push('');
  for (const t of s.signalops.thresholds) lines.push(`  threshold ${t.metric} ${t.threshold}: ${t.ok ? 'ok' : 'FAILED'} (${t.metric === 'http_req_duration' ? ms(t.value) : pct(t.value)})`);
  if (s.signalops.error_samples.length) lines.push(`  first failures: ${s.signalops.error_samples.join(' | ')}`);
  const between = s.signalops.failures_between_s as [number, number] | null | undefined;
  if (between) lines.push(`  failed requests between ${between[0]} s and ${between[1]} s after the start`);
  lines.push(`  statuses: ${Object.entries(s.signalops.statuses).map(([k, v]) => `${k} × ${v}`).join(', ') || '—'}`);
  return lines.join('\n');
}

// ---- requests ---------------------------------------------------------------------------------------------------------

/** A realistic EURUSD H1 bar: all 16 indicators (the README's /predict example, completed). */
export const DEFAULT_INDICATORS = {
  adx_value: 24.3,
  rsi_value: 45.2,
  ema_12: 1.0851,
  ema_21: 1.0857,
  ema_50: 1.0869,
  vwap: 1.0853,
  atr_value: 0.0011,
  bollinger_upper: 1.0893,
  bollinger_lower: 1.0811,
  stoch_k: 38.5,
  stoch_d: 41.2,
  macd_line: -0.0004,
  macd_signal: -0.0002,
  volume_ma: 1200,
  price_change_pct: -0.05,
  volatility: 0.0012,
};

/** The k-th request: the RSI nudged by k × 0.0001 (within its 0–100 range), so every request is a distinct input. */
export function defaultBody(symbol: string) {
  return (k: number) => JSON.stringify({ symbol, indicators: { ...DEFAULT_INDICATORS, rsi_value: Number((DEFAULT_INDICATORS.rsi_value + (k % 100_000) * 1e-4).toFixed(4)) } });
}

// ---- main -----------------------------------------------------------------------------------------------------------

export async function main(args: string[]): Promise<number> {
  const log = (line = '') => console.log(line);
  const stages = arg(args, '--stages') ? parseStages(arg(args, '--stages')!) : args.includes('--short') ? SHORT_STAGES : FULL_STAGES;
  const summaryPath = path.resolve(arg(args, '--summary') ?? 'loadtest-summary.json');
  const thresholds = {
    p95Ms: num(args, '--p95', 500),
    maxFailedRate: num(args, '--max-failed-rate', 0.01),
    minChecksRate: num(args, '--min-checks-rate', 0.99),
  };
  const timeoutMs = num(args, '--timeout', 10) * 1000;
  const healthPath = arg(args, '--health-path') ?? '/health';
  const predictPath = arg(args, '--predict-path') ?? '/predict';
  const url = arg(args, '--url');
  const total = stages.reduce((a, s) => a + s.durationS, 0);

  const load0 = os.loadavg();
  log(`loadtest: ${os.cpus().length} cores, load average ${load0.map((v) => v.toFixed(2)).join(' ')}; node ${process.version}`);
  log(`profile: ${stages.map((s) => `${s.durationS}s→${s.target}`).join(', ')} VUs (${total} s; from ${START_VUS} VU); each VU: GET ${healthPath}, POST ${predictPath}, sleep ${SLEEP_S} s`);
  log(`thresholds: http_req_duration p(95)<${thresholds.p95Ms} ms, http_req_failed rate<${thresholds.maxFailedRate}, checks rate>${thresholds.minChecksRate}`);

  const run = async (baseUrl: string, key: string, body: (k: number) => string, extra: Record<string, unknown>) => {
    const s = await runProfile({ baseUrl, key, stages, body, healthPath, predictPath, timeoutMs, thresholds, log });
    s.signalops = { ...s.signalops, ...extra, machine: { cores: os.cpus().length, loadavg_start: load0.map((v) => round(v, 2)), loadavg_end: os.loadavg().map((v) => round(v, 2)), node: process.version } };
    return s;
  };

  let summary: Summary;
  if (url) {
    const key = arg(args, '--key') ?? process.env.SIGNALOPS_API_KEY;
    if (!key) throw new UsageError('--url needs an API key with the predict scope: --key K or SIGNALOPS_API_KEY');
    const bodyFile = arg(args, '--body');
    let body = defaultBody(arg(args, '--symbol') ?? 'EURUSD');
    if (bodyFile) {
      const text = fs.readFileSync(bodyFile, 'utf8');
      JSON.parse(text); // a clear error now rather than 400s later
      body = () => text;
    }
    const h = await fetch(new URL(healthPath, url), { signal: AbortSignal.timeout(10_000) }).catch((e: Error) => {
      throw new Error(`${url} does not answer ${healthPath}: ${e.message}`);
    });
    log(`target: ${url} (external; ${healthPath} answered ${h.status}); body: ${bodyFile ? `${bodyFile}, as is` : 'EURUSD H1, 16 indicators, a distinct RSI per request'}`);
    summary = await run(url, key, body, { mode: 'external' });
  } else {
    summary = await selfStarted(args, run, log);
  }

  log('');
  log(formatSummary(summary));
  fs.mkdirSync(path.dirname(summaryPath), { recursive: true });
  fs.writeFileSync(summaryPath, JSON.stringify(summary, null, 2) + '\n');
  log('');
  log(`summary: ${summaryPath}`);
  log(summary.signalops.ok ? 'loadtest: all thresholds hold' : `loadtest: THRESHOLDS FAILED: ${summary.signalops.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold}`).join(', ')}`);
  console.log(JSON.stringify(summary));
  const code = summary.signalops.ok ? 0 : 99;
  process.exitCode = code; // also under `npm run bench -- loadtest`
  return code;
}

/** No --url: a scratch database, a trained model, a key and a serve process of our own. */
async function selfStarted(
  args: string[],
  run: (baseUrl: string, key: string, body: (k: number) => string, extra: Record<string, unknown>) => Promise<Summary>,
  log: (line?: string) => void,
): Promise<Summary> {
  // Imported here: the external mode needs none of the server code (nor TensorFlow.js).
  process.env.SIGNALOPS_TF_QUIET ??= '1';
  process.env.LOG_LEVEL ??= 'warn';
  const [{ openDb }, { freePort }, { createApiKey }, { closeProducerBosses }, proc, model] = await Promise.all([
    import('../server/db/client'),
    import('../server/db/embedded'),
    import('../server/auth/apikeys'),
    import('../server/jobs/queue'),
    import('./lib/proc'),
    import('./lib/model'),
  ]);
  proc.cleanUpOnSignals();
  try {
    const t0 = performance.now();
    const database = await proc.benchDatabase('so_loadtest');
    log(`self-start: database ${database.kind}`);
    const h = openDb(database.url, { max: 4, applicationName: 'signalops-loadtest' });
    proc.cleanups.push(() => h.close());
    const trained = await model.trainModel(h.db, num(args, '--epochs', 1), 'loadtest');
    const { key } = await createApiKey(h.db, { name: 'loadtest-trading-app', scopes: ['predict'] }, 'loadtest');
    const { missIndicators } = await model.featureRequests(h.db, trained.dataset);
    const port = await freePort();
    const workers = String(num(args, '--serve-workers', 1));
    const serve = proc.startChild('serve', ['--import', require.resolve('tsx'), path.join(proc.ROOT, 'server/bin/serve.ts')], {
      ...process.env,
      DATABASE_URL: database.url,
      HOSTNAME: proc.HOST,
      INFERENCE_PORT: String(port),
      SERVE_WORKERS: workers,
      LOG_LEVEL: 'warn',
      SIGNALOPS_TF_QUIET: '1',
      SIGNALOPS_PROC: 'serve',
    });
    await proc.waitReady(serve, port, 120_000);
    const baseUrl = `http://${proc.HOST}:${port}`;
    log(`self-start: serve (SERVE_WORKERS=${workers}) pid ${serve.proc.pid} on ${baseUrl}, ${model.MODEL} v${trained.version} (LSTM T=${model.T}, ${model.UNITS} units), ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    log(`requests: {symbol: "${model.SYMBOL}", indicators: {16 fields}} from the series' real feature rows, one after another (cache misses)`);
    const summary = await run(baseUrl, key, (k) => JSON.stringify({ symbol: model.SYMBOL, indicators: missIndicators(k) }), {
      mode: 'self-started',
      database: database.kind.startsWith('DATABASE_URL') ? 'DATABASE_URL (scratch database)' : 'embedded',
      serve_workers: Number(workers),
      model: { name: model.MODEL, version: `v${trained.version}`, type: 'lstm', window: model.T, units: model.UNITS },
    });
    // The serve process we started must have lived through the test: if it did not, say how it ended.
    const gone = serve.proc.exitCode ?? serve.proc.signalCode;
    if (gone !== null) {
      summary.signalops.serve_exited = String(gone);
      log(`self-start: the serve process EXITED during the test (${gone}); its last output:\n${serve.tail().split('\n').slice(-30).join('\n')}`);
    }
    return summary;
  } finally {
    await closeProducerBosses().catch(() => {});
    await proc.runCleanups();
  }
}

if (process.argv[1] && /loadtest\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        console.error(`loadtest: ${e.message}`);
        process.exit(2);
      }
      console.error(`loadtest: could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
