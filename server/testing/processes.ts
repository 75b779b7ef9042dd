import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(import.meta.dirname, '../..');
/** `node --import tsx script.ts`: one process (the tsx CLI would add a parent process in between). */
const TSX_LOADER = require.resolve('tsx');

export interface Spawned {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry point (server/bin/*) as a real child process. */
export function spawnTs(script: string, args: string[] = [], env: Record<string, string | undefined> = {}): Spawned {
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs a CLI command to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  const p = spawnTs('server/bin/cli.ts', args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Worker processes for a test file: `start()` spawns one on `url` (1 s heartbeats); `killAll()` SIGKILLs the
 * living ones (use in afterAll, or to simulate a crash).
 */
export function workerPool(url: () => string) {
  const list: Spawned[] = [];
  return {
    list,
    start() {
      const w = spawnTs('server/bin/worker.ts', [], { DATABASE_URL: url(), WORKER_HEARTBEAT_SECONDS: '1' });
      list.push(w);
      return w;
    },
    async killAll() {
      for (const w of list) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
      await Promise.all(list.map((w) => w.exited));
    },
  };
}
