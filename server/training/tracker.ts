import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { TrainingCancelledError, type EpochReport } from '../ml/train';
import { jsonSafe } from './evaluate';
import { appendRunEpoch, appendRunLog, heartbeatRun, saveRunStages, type StageRecord } from './runs';
import type { StageName } from './params';
import type { EpochRecord } from '../../drizzle/schema/shapes';

/** Thrown when the run was cancelled (by a person, a forced start, or the worker shutting down). */
export class Cancelled extends Error {}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Stage bookkeeping, heartbeat and cancellation of one run (its SQL lives in runs.ts). */
export class RunTracker {
  private heartbeat: NodeJS.Timeout;
  readonly abort = new AbortController();
  readonly durations: Record<string, number> = {};

  constructor(
    private db: Db,
    readonly runId: string,
    private stages: StageRecord[],
    private log: Logger,
  ) {
    // Heartbeat + cancellation check every 2 s: a dead worker's run is reaped; a cancel is seen within 2 s.
    this.heartbeat = setInterval(() => void this.beat(), 2000);
  }

  /** One heartbeat (every 2 s); exposed for tests. */
  async beat() {
    try {
      // Stop when the run was cancelled or failed elsewhere (a person, a forced start, the reaper) — not when it
      // succeeded: registration marks it succeeded before the clean-up stage and the new-version policy run, and a beat
      // landing in that window used to turn a registered version into a "cancelled" run whose policy never ran.
      const status = await heartbeatRun(this.db, this.runId);
      if (status !== 'running' && status !== 'succeeded') this.abort.abort();
    } catch (e) {
      this.log.warn({ err: String(e) }, 'run heartbeat failed');
    }
  }

  logLine(msg: string) {
    return appendRunLog(this.db, this.runId, msg);
  }

  private saveStages() {
    return saveRunStages(this.db, this.runId, this.stages);
  }

  /** Runs one stage: records running → done (with a one-line detail) or failed (with the error). */
  async stage<T>(name: StageName, fn: () => Promise<T> | T, detail?: (r: T) => string): Promise<T> {
    if (this.abort.signal.aborted) throw new Cancelled();
    const s = this.stages.find((x) => x.name === name)!;
    const t0 = Date.now();
    Object.assign(s, { status: 'running', startedAt: new Date(t0).toISOString() });
    await this.saveStages();
    try {
      const r = await fn();
      const d = detail?.(r);
      Object.assign(s, { status: 'done', endedAt: new Date().toISOString(), durationMs: Date.now() - t0, ...(d ? { detail: d } : {}) });
      this.durations[name] = Date.now() - t0;
      await this.saveStages();
      if (d) await this.logLine(`${name}: ${d}`);
      return r;
    } catch (e) {
      const cancelled = e instanceof Cancelled || e instanceof TrainingCancelledError || this.abort.signal.aborted;
      Object.assign(s, { status: 'failed', endedAt: new Date().toISOString(), durationMs: Date.now() - t0, error: cancelled ? 'cancelled' : errorText(e) });
      await this.saveStages().catch(() => {});
      throw cancelled ? new Cancelled() : e;
    }
  }

  /** One finished epoch: appended to the live history; stops the run when it was cancelled. */
  async epoch(r: EpochReport) {
    // The figures may be non-finite (stored as null); epoch numbers are integers.
    const row = {
      epoch: r.epoch,
      epochs: r.epochs,
      ...jsonSafe({ loss: r.loss, accuracy: r.accuracy, valLoss: r.valLoss, valAccuracy: r.valAccuracy, elapsedMs: Math.round(r.elapsedMs), etaMs: Math.round(r.etaMs) }),
      best: r.best,
    } satisfies EpochRecord;
    await appendRunEpoch(this.db, this.runId, row);
    if (this.abort.signal.aborted) throw new Cancelled();
  }

  /** Tensors are released in every case: record the clean-up stage as done even after a failure. */
  markCleanedUp() {
    const s = this.stages.find((x) => x.name === 'clean up')!;
    if (s.status !== 'done') Object.assign(s, { status: 'done', endedAt: new Date().toISOString(), durationMs: 0, detail: 'tensors released' });
  }

  skipRemaining() {
    for (const s of this.stages) if (s.status === 'pending') s.status = 'skipped';
  }

  async stop() {
    clearInterval(this.heartbeat);
    await this.saveStages().catch(() => {});
  }
}
