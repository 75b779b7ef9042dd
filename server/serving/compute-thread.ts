/**
 * The compute thread: one `node:worker_threads` Worker per serving process that holds the loaded models and runs
 * `predictProba` for them (server/serving/compute-worker.ts), so that the main thread's per-request work (HTTP,
 * validation, windowing, cache, prediction log) overlaps with model compute. Switched by SERVING_COMPUTE_THREAD.
 *
 * - Inputs are transferred to the worker, results transferred back (no copies of the batch).
 * - A worker that crashes or exits rejects every pending call with an Error saying so; the next call starts a fresh
 *   worker, which re-loads every version this thread knew (messages are ordered: the loads run before the calls).
 * - A load that fails (a bad artifact) rejects with the same DomainError (code and message) `loadArtifact` throws.
 * - The worker keeps the process alive only while calls are pending; `close()` ends it.
 *
 * The worker loads TypeScript through tsx (a production dependency: the Docker image runs `node --import tsx` too): its
 * boot script registers tsx's ESM hooks in the worker, then imports compute-worker.ts (see {@link workerExecArgv}).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DomainError, type DomainErrorCode } from '../errors';

export type ComputeRequest =
  | { op: 'load'; mid: number; id: string; artifact: unknown }
  | { op: 'predict'; mid: number; id: string; x: Float32Array; n: number }
  | { op: 'dispose'; mid: number; id: string };

export type ComputeReply =
  | { mid: number; ok: true; probs?: Float32Array }
  | { mid: number; ok: false; error: { domain: true; code: DomainErrorCode; message: string; details?: Record<string, unknown> } | { domain: false; message: string } };

interface PendingCall {
  resolve: (r: ComputeReply & { ok: true }) => void;
  reject: (e: unknown) => void;
}

// A variable (not a literal in `new URL(…)`) so that bundlers do not try to bundle the worker.
const WORKER_FILE = 'compute-worker.ts';

/** The worker entry on disk: next to this module, or (inside a bundle) under the working directory. */
function workerEntry(): string {
  const candidates: string[] = [];
  try {
    candidates.push(fileURLToPath(new URL(WORKER_FILE, import.meta.url)));
  } catch {
    /* not a file: URL (a bundle) */
  }
  candidates.push(path.join(process.cwd(), 'server/serving', WORKER_FILE));
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- this module's directory or the working directory joined with a fixed name
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`compute thread: cannot find its worker entry (${candidates.join(', ')})`);
  return found;
}

/**
 * The worker's execArgv: the process's flags minus eval and tsx's own flags. The worker registers tsx itself (see
 * {@link bootCode}): on Node 20 a Worker whose entry is a `.ts` file fails with "Unknown file extension" even when
 * the process's tsx flags are inherited, while `register()` from `tsx/esm/api` followed by `import()` works under
 * `tsx`, `node --import tsx` and vitest alike.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    const next = execArgv[i + 1] ?? '';
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || ((a === '--import' || a === '--require' || a === '-r' || a === '--loader') && /tsx/.test(next))) {
      i++;
      continue;
    }
    if (/^--(eval|print)=/.test(a) || (/^--(import|require|loader)=/.test(a) && /tsx/.test(a))) continue;
    out.push(a);
  }
  return out;
}

/** The worker's boot script (eval): register tsx in the worker, then import the TypeScript entry. */
function bootCode(entry: string): string {
  // The ESM build of tsx/esm/api (require.resolve would give the CJS one, which cannot be import()ed from a worker).
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- tsx's package.json, resolved by Node
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  const api = pathToFileURL(path.join(path.dirname(pkgFile), rel)).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`;
}

function errorFrom(e: Extract<ComputeReply, { ok: false }>['error']): Error {
  return e.domain ? new DomainError(e.code, e.message, e.details) : new Error(e.message);
}

export class ComputeThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, PendingCall>();
  /** Versions loaded (their artifacts, to re-load them into a fresh worker). */
  private readonly known = new Map<string, unknown>();
  private nextMid = 1;
  private closed = false;
  /** Workers started (1 + restarts after a crash). */
  readonly stats = { starts: 0, crashes: 0 };

  constructor(private readonly opts: { onCrash?: (message: string) => void } = {}) {}

  private start(): Worker {
    const w = new Worker(bootCode(workerEntry()), { eval: true, execArgv: workerExecArgv() });
    this.stats.starts++;
    w.unref();
    const gone = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (!this.closed) {
        this.stats.crashes++;
        this.opts.onCrash?.(why);
      }
      const err = new Error(`compute thread ${why}; ${this.pending.size} pending call(s) failed (the next call starts a fresh thread)`);
      const calls = [...this.pending.values()];
      this.pending.clear();
      for (const c of calls) c.reject(err);
    };
    w.on('message', (r: ComputeReply) => {
      const c = this.pending.get(r.mid);
      if (!c) return;
      this.pending.delete(r.mid);
      if (!this.pending.size) w.unref();
      if (r.ok) c.resolve(r);
      else c.reject(errorFrom(r.error));
    });
    w.on('error', (e) => gone(`failed: ${e.message}`));
    w.on('exit', (code) => gone(`exited (code ${code})`));
    this.worker = w;
    // A fresh worker after a crash: re-load what the old one had (their replies are awaited by nobody).
    for (const [id, artifact] of this.known) void this.call({ op: 'load', id, artifact }).catch(() => {});
    return w;
  }

  private call(msg: DistributiveOmit<ComputeRequest, 'mid'>, transfer?: ArrayBuffer[]): Promise<ComputeReply & { ok: true }> {
    if (this.closed) return Promise.reject(new Error('compute thread is closed'));
    const w = this.worker ?? this.start();
    const mid = this.nextMid++;
    return new Promise((resolve, reject) => {
      if (!this.pending.size) w.ref();
      this.pending.set(mid, { resolve, reject });
      w.postMessage({ ...msg, mid }, transfer);
    });
  }

  /** Builds a version's model in the worker (rejects with loadArtifact's DomainError for a bad artifact). */
  async load(id: string, artifact: unknown): Promise<void> {
    await this.call({ op: 'load', id, artifact });
    this.known.set(id, artifact);
  }

  /** Calibrated probabilities [n × C] for windows x [n, T, F]. x's buffer is transferred (x is unusable after). */
  async predictProba(id: string, x: Float32Array, n: number): Promise<Float32Array> {
    const own = x.byteOffset === 0 && x.byteLength === x.buffer.byteLength ? x : x.slice();
    const r = await this.call({ op: 'predict', id, x: own, n }, [own.buffer as ArrayBuffer]);
    if (!r.probs) throw new Error('compute thread: no probabilities in the reply');
    return r.probs;
  }

  /** Frees a version's model in the worker. */
  async dispose(id: string): Promise<void> {
    this.known.delete(id);
    if (this.closed || !this.worker) return;
    await this.call({ op: 'dispose', id });
  }

  /** Ends the worker; pending calls are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    this.known.clear();
    const w = this.worker;
    if (!w) return;
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.worker = null;
    for (const c of calls) c.reject(new Error('compute thread closed'));
    await w.terminate();
  }

  /** Test hook: the current worker (null before the first call or after a crash). */
  currentWorker(): Worker | null {
    return this.worker;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
