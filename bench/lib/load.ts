/**
 * Load generation and accounting for bench/serve.ts (127.0.0.1 only, bounded in time):
 *  - closedLoop(): N keep-alive connections, each sending its next request as soon as the previous answer arrived
 *    (autocannon), with every latency recorded exactly (no histogram rounding);
 *  - rampProfile(): virtual users that each send one request per second on their own keep-alive connection, the
 *    number of users ramping linearly from 1 to N (node:http; at ≤ 50 req/s the client costs nothing);
 *  - CPU accounting from /proc: a process tree's CPU time, and the whole machine's busy time (2 shared cores: other
 *    people's work shows up as "other").
 */
import fs from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';

// ---- statistics ------------------------------------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export class Samples {
  private buf = new Float64Array(1 << 14);
  private n = 0;
  add(v: number) {
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = v;
  }
  get count() {
    return this.n;
  }
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
  summary() {
    const s = this.sorted();
    let sum = 0;
    for (const v of s) sum += v;
    return {
      count: s.length,
      mean: s.length ? sum / s.length : NaN,
      p50: percentile(s, 50),
      p90: percentile(s, 90),
      p95: percentile(s, 95),
      p99: percentile(s, 99),
      max: s.length ? s[s.length - 1] : NaN,
    };
  }
}

export const r2 = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);

// ---- CPU accounting (/proc, Linux) -------------------------------------------------------------------------------------

const TICK_MS = 10; // USER_HZ = 100 on Linux

function readStat(pid: number): { ppid: number; cpuMs: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after the name: state(3) ppid(4) … utime(14) stime(15); rest[0] is field 3
    return { ppid: Number(rest[1]), cpuMs: (Number(rest[11]) + Number(rest[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU time (ms) per PID of a process and all its descendants alive now. */
export function treeCpu(rootPid: number): Map<number, number> {
  const stats = new Map<number, { ppid: number; cpuMs: number }>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(Number(e));
    if (st) stats.set(Number(e), st);
  }
  const children = new Map<number, number[]>();
  for (const [pid, st] of stats) {
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid)!.push(pid);
  }
  const out = new Map<number, number>();
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    const st = stats.get(pid);
    if (!st) continue;
    out.set(pid, st.cpuMs);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU time (ms) used between two snapshots: processes that started meanwhile count whole, ones that exited are lost. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let d = 0;
  for (const [pid, ms] of after) d += ms - (before.get(pid) ?? 0);
  return Math.max(0, d);
}

/** Busy CPU time (ms, all cores) of the whole machine so far. */
export function machineBusyMs(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = line[0] + line[1] + line[2] + line[5] + line[6] + (line[7] ?? 0);
  return busy * TICK_MS;
}

export interface CpuWatch {
  /** CPU use over the interval as a percentage of one core, per part; "other" = the rest of the machine. */
  stop(): { server: number; client: number; database: number | null; other: number; machine: number };
}

/** Starts measuring CPU use: the server's process tree, this process (the load generator), the embedded DB. */
export function watchCpu(serverPid: number, dbPids: () => number[]): CpuWatch {
  const t0 = performance.now();
  const s0 = treeCpu(serverPid);
  const c0 = process.cpuUsage();
  const dbs = dbPids();
  const dbTree = () => new Map(dbs.flatMap((p) => [...treeCpu(p)]));
  const d0 = dbTree();
  const m0 = machineBusyMs();
  return {
    stop() {
      const ms = performance.now() - t0;
      const server = cpuDelta(s0, treeCpu(serverPid));
      const cu = process.cpuUsage(c0);
      const client = (cu.user + cu.system) / 1000;
      const database = dbs.length ? cpuDelta(d0, dbTree()) : null;
      const machine = machineBusyMs() - m0;
      const pct = (v: number) => Math.round((1000 * v) / ms) / 10;
      return { server: pct(server), client: pct(client), database: database === null ? null : pct(database), other: pct(Math.max(0, machine - server - client - (database ?? 0))), machine: pct(machine) };
    },
  };
}

// ---- closed loop: N connections, back-to-back requests -----------------------------------------------------------------

export interface ClosedLoopResult {
  seconds: number;
  requests: number;
  ok: number;
  rps: number;
  latency: ReturnType<Samples['summary']>;
  non200: number;
  socketErrors: number;
  timeouts: number;
  errors: number;
  statuses: Record<string, number>;
  /** First few error bodies / messages, to say what went wrong. */
  errorSamples: string[];
  /** The 5 slowest answers: when (s after the start) and how long (ms). */
  slowest: { at_s: number; ms: number }[];
}

export async function closedLoop(opts: {
  url: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** Body of the k-th request of this run. */
  body: (k: number) => string;
  /** Sees the body of every 200 response (keep it cheap: it runs on the load generator's thread). */
  onBody?: (body: string) => void;
}): Promise<ClosedLoopResult> {
  const lat = new Samples();
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let k = 0;
  let socketErrors = 0;
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: opts.path,
        headers: opts.headers,
        setupRequest: (req) => ({ ...req, body: opts.body(k++) }),
        onResponse: (status, body) => {
          if (status === 200) opts.onBody?.(body);
          else if (errorSamples.length < 3) errorSamples.push(`${status}: ${String(body).slice(0, 200)}`);
        },
      },
    ],
  }, (err, res) => (err ? fail(err) : finish(res)));
  const t0 = performance.now();
  const slowest: { at_s: number; ms: number }[] = [];
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode === 200) lat.add(responseTime);
    if (slowest.length < 5 || responseTime > slowest[slowest.length - 1].ms) {
      slowest.push({ at_s: Math.round((performance.now() - t0 - responseTime) / 10) / 100, ms: Math.round(responseTime * 10) / 10 });
      slowest.sort((a, b) => b.ms - a.ms);
      if (slowest.length > 5) slowest.pop();
    }
  });
  instance.on('reqError', (e: Error) => {
    socketErrors++;
    if (errorSamples.length < 3) errorSamples.push(`socket: ${e?.message ?? String(e)}`);
  });
  const result = await finished;
  const seconds = (performance.now() - t0) / 1000;
  const ok = statuses['200'] ?? 0;
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  const non200 = answered - ok;
  return {
    seconds,
    requests: answered,
    ok,
    rps: ok / seconds,
    latency: lat.summary(),
    non200,
    socketErrors: Math.max(socketErrors - result.timeouts, 0),
    timeouts: result.timeouts,
    errors: non200 + Math.max(socketErrors, result.errors),
    statuses,
    errorSamples,
    slowest,
  };
}

// ---- the trading team's profile: ramping virtual users, one request per second each ------------------------------------

export interface RampResult {
  seconds: number;
  users: number;
  requests: number;
  ok: number;
  latency: ReturnType<Samples['summary']>;
  non200: number;
  socketErrors: number;
  errors: number;
  /** Requests sent more than 100 ms after their scheduled time (the user was still waiting for the previous one). */
  late: number;
  errorSamples: string[];
}

export async function rampProfile(opts: {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  users: number;
  rampSeconds: number;
  holdSeconds: number;
  body: (k: number) => string;
  timeoutMs?: number;
  /** Sees the body of every 200 response (keep it cheap). */
  onBody?: (body: string) => void;
}): Promise<RampResult> {
  const lat = new Samples();
  const errorSamples: string[] = [];
  let k = 0;
  let sent = 0;
  let ok = 0;
  let non200 = 0;
  let socketErrors = 0;
  let late = 0;
  const t0 = performance.now();
  const end = t0 + (opts.rampSeconds + opts.holdSeconds) * 1000;
  const agents: http.Agent[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

  const one = (agent: http.Agent) =>
    new Promise<void>((resolve) => {
      const body = Buffer.from(opts.body(k++));
      const start = performance.now();
      sent++;
      const req = http.request(
        { host: opts.host, port: opts.port, path: opts.path, method: 'POST', agent, headers: { ...opts.headers, 'content-length': body.length }, timeout: opts.timeoutMs ?? 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode === 200) {
              ok++;
              lat.add(performance.now() - start);
              if (opts.onBody) opts.onBody(Buffer.concat(chunks).toString());
            } else {
              non200++;
              if (errorSamples.length < 3) errorSamples.push(`${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`);
            }
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        socketErrors++;
        if (errorSamples.length < 3) errorSamples.push(`socket: ${e.message}`);
        resolve();
      });
      req.end(body);
    });

  const user = async (i: number) => {
    // user i joins at i/(users-1) of the ramp: 1 user at t=0, all of them at t=ramp
    const startAt = t0 + (opts.users > 1 ? (i / (opts.users - 1)) * opts.rampSeconds * 1000 : 0);
    await sleep(startAt - performance.now());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    for (let n = 0; ; n++) {
      const due = startAt + n * 1000;
      if (due >= end) break;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      else if (now - due > 100) late++;
      await one(agent);
    }
  };
  await Promise.all(Array.from({ length: opts.users }, (_, i) => user(i)));
  for (const a of agents) a.destroy();
  return {
    seconds: (performance.now() - t0) / 1000,
    users: opts.users,
    requests: sent,
    ok,
    latency: lat.summary(),
    non200,
    socketErrors,
    errors: non200 + socketErrors,
    late,
    errorSamples,
  };
}

// ---- bursts after idle: n simultaneous requests on warm keep-alive connections ------------------------------------------

export async function burst(opts: { agent: http.Agent; host: string; port: number; path: string; headers: Record<string, string>; n: number; body: () => string }) {
  const lat: number[] = [];
  const engine: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: opts.n }, () => {
      const body = Buffer.from(opts.body());
      return new Promise<void>((resolve) => {
        const start = performance.now();
        const req = http.request({ host: opts.host, port: opts.port, path: opts.path, method: 'POST', agent: opts.agent, headers: { ...opts.headers, 'content-length': body.length }, timeout: 10_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode === 200) {
              lat.push(performance.now() - start);
              const t = /"processing_time_ms":([0-9.e+-]+)/.exec(Buffer.concat(chunks).toString());
              if (t) engine.push(Number(t[1]));
            } else errors++;
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(body);
      });
    }),
  );
  lat.sort((a, b) => a - b);
  engine.sort((a, b) => a - b);
  return { n: opts.n, errors, p50_ms: r2(percentile(lat, 50)), max_ms: r2(lat[lat.length - 1] ?? NaN), engine_max_ms: r2(engine[engine.length - 1] ?? NaN) };
}
