import { closeProducerBosses } from '../../server/jobs/queue';
import os from 'node:os';
/**
 * Child processes and clean-up for the benchmarks that start servers (bench/serve.ts, bench/shadow.ts): every child
 * and the scratch database register a clean-up, run at the end, on failure and on Ctrl-C / SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { scratchDatabase } from '../../server/db/scratch';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const HOST = '127.0.0.1';

// ---- cleanup: child processes and the scratch database, also on failure and Ctrl-C ------------------------------------

export const cleanups: Array<() => Promise<void>> = [];
export async function runCleanups() {
  while (cleanups.length) {
    const f = cleanups.pop()!;
    await f().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
  }
}

/** Ctrl-C / SIGTERM: run the clean-ups, then exit 130. */
export function cleanUpOnSignals() {
  const onSignal = (sig: string) => {
    console.error(`\n${sig}: stopping the servers and removing the scratch database`);
    void runCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
}

export interface Child {
  name: string;
  proc: ChildProcess;
  tail(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-6000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  return { name, proc, tail: () => tail, exited, stop };
}

/** PIDs of this process's children that are PostgreSQL (the embedded cluster), for CPU accounting. */
export function embeddedPgPids(): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.startsWith('postgres')) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

// ---- scratch database -----------------------------------------------------------------------------------------------

/** DATABASE_URL's server → a temporary database; else an embedded PostgreSQL. Dropped by the clean-ups. */
export async function benchDatabase(prefix = 'so_bench_serve'): Promise<{ url: string; kind: string }> {
  const db = await scratchDatabase(prefix);
  cleanups.push(() => db.drop());
  return db;
}

// ---- talking to a server --------------------------------------------------------------------------------------------

export async function getJson<T>(port: number, p: string, key?: string): Promise<{ status: number; body: T | null }> {
  const r = await fetch(`http://${HOST}:${port}${p}`, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  let body: T | null = null;
  try {
    body = JSON.parse(text) as T;
  } catch {
    /* not JSON */
  }
  return { status: r.status, body };
}

export async function waitReady(child: Child, port: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.proc.exitCode ?? child.proc.signalCode}) before it was ready:\n${child.tail().split('\n').slice(-25).join('\n')}`);
    }
    try {
      const r = await getJson<{ model_loaded?: boolean }>(port, '/health');
      if (r.status === 200 && r.body?.model_loaded) return;
      last = `health ${r.status} ${JSON.stringify(r.body)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${child.name} not ready on port ${port} after ${timeoutMs / 1000} s (${last}):\n${child.tail().split('\n').slice(-25).join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * A bench's body with the common frame: the machine line (cores, load average, node) first, child processes and
 * scratch databases cleaned up on exit and on Ctrl-C.
 */
export async function runBench(label: string, body: () => Promise<void>): Promise<void> {
  cleanUpOnSignals();
  try {
    const load0 = os.loadavg();
    console.log(`${label}: ${os.cpus().length} cores, load average ${load0.map((v) => v.toFixed(2)).join(' ')}; node ${process.version}`);
    await body();
  } finally {
    await closeProducerBosses().catch(() => {});
    await runCleanups();
  }
}
