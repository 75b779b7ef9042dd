import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * Keeps `npm start`'s children (web, worker) running: a child that exits on its own is started again after a backoff
 * that doubles with each crash in a row (initialMs, 2×, 4× … capped at maxMs). A child that stayed up for
 * `stableMs` starts the count afresh. After `maxRapid` crashes in a row — each before it had been up for `stableMs`
 * — the supervisor gives up (`onGiveUp`): something is wrong that restarting will not fix, and the log says which
 * child and how it exited. `stop()` ends every child (SIGTERM, SIGKILL after `killAfterMs`) and cancels pending
 * restarts; nothing is restarted after it.
 */
export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  stableMs: number;
  maxRapid: number;
}

/** The delay before restart number `n` in a row (1-based). */
export function backoffMs(policy: Pick<RestartPolicy, 'initialMs' | 'maxMs'>, n: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, n - 1));
}

interface Entry {
  name: string;
  spawn: () => ChildProcess;
  proc: ChildProcess | null;
  startedAt: number;
  rapid: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;

  constructor(
    private readonly opts: {
      log: Logger;
      policy: RestartPolicy;
      onGiveUp: (name: string, reason: string) => void;
    },
  ) {}

  /** Starts `name` now and keeps it running. */
  add(name: string, spawn: () => ChildProcess): ChildProcess {
    const e: Entry = { name, spawn, proc: null, startedAt: 0, rapid: 0, restarts: 0, timer: null };
    this.entries.push(e);
    return this.launch(e);
  }

  /** The living child of `name` (null while it waits for its restart). */
  child(name: string): ChildProcess | null {
    return this.entries.find((e) => e.name === name)?.proc ?? null;
  }

  private launch(e: Entry): ChildProcess {
    const proc = e.spawn();
    e.proc = proc;
    e.startedAt = Date.now();
    this.opts.log.info({ process: e.name, pid: proc.pid, restarts: e.restarts }, `${e.name} started (pid ${proc.pid})`);
    // Decided a moment later: on Ctrl-C the whole process group gets SIGINT, and our own stop() should win the race.
    proc.once('exit', (code, signal) => void setTimeout(() => this.exited(e, proc, code, signal), 100));
    return proc;
  }

  private exited(e: Entry, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    if (e.proc === proc) e.proc = null;
    if (this.stopping) return;
    const upMs = Date.now() - e.startedAt - 100;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (upMs >= this.opts.policy.stableMs) e.rapid = 0;
    e.rapid++;
    if (e.rapid > this.opts.policy.maxRapid) {
      const reason = `${e.name} ${how}; it crashed ${e.rapid} times in a row, each within ${Math.round(this.opts.policy.stableMs / 1000)} s of starting — giving up (see its log lines above)`;
      this.opts.log.error({ process: e.name, code, signal, upMs, crashes: e.rapid }, reason);
      this.opts.onGiveUp(e.name, reason);
      return;
    }
    const delay = backoffMs(this.opts.policy, e.rapid);
    e.restarts++;
    this.opts.log.warn(
      { process: e.name, pid: proc.pid, code, signal, upMs, restartInMs: delay, crashesInARow: e.rapid, giveUpAfter: this.opts.policy.maxRapid },
      `${e.name} ${how} after ${(upMs / 1000).toFixed(1)} s; restarting it in ${delay < 1000 ? `${delay} ms` : `${Math.round(delay / 100) / 10} s`} (crash ${e.rapid} in a row; giving up after ${this.opts.policy.maxRapid})`,
    );
    e.timer = setTimeout(() => {
      e.timer = null;
      if (!this.stopping) this.launch(e);
    }, delay);
  }

  /** Stops every child (SIGTERM, then SIGKILL after killAfterMs) and cancels pending restarts. */
  async stop(killAfterMs = 12_000): Promise<void> {
    this.stopping = true;
    for (const e of this.entries) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = null;
    }
    const living = this.entries.map((e) => e.proc).filter((p): p is ChildProcess => !!p && p.exitCode === null && p.signalCode === null);
    for (const p of living) p.kill('SIGTERM');
    const killTimer = setTimeout(() => {
      for (const p of living) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }, killAfterMs);
    await Promise.all(living.map((p) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())))));
    clearTimeout(killTimer);
  }
}
