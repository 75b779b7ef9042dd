import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { reapStaleRuns } from './runs';
import { OutageLog } from '../db/outage-log';

/**
 * The stale-run reaper: a run whose worker stopped heart-beating (killed, machine gone) is failed within
 * STALE_RUN_SECONDS + one reaper tick. It used to ride on the one-minute maintenance cron, which pg-boss fires up to
 * a minute late on top of its own period: a dead worker's run stayed `running` for up to ~150 s against the
 * README's 60 s (144 s measured). Every worker now checks every `reapTickSeconds(STALE_RUN_SECONDS)` — a sixth of
 * the stale time, between 1 and 10 s: 10 s by default, so within 70 s. The UPDATE is idempotent and cheap (one
 * indexed condition); several workers checking at once fail each run once.
 */
export function reapTickSeconds(staleSeconds: number): number {
  return Math.min(10, Math.max(1, Math.floor(staleSeconds / 6)));
}

export interface Reaper {
  /** One check now (also what the timer runs); the ids failed. */
  tick(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startStaleRunReaper(db: Db, log: Logger, o: { staleSeconds: number; tickMs?: number }): Reaper {
  const tickMs = o.tickMs ?? reapTickSeconds(o.staleSeconds) * 1000;
  let running: Promise<string[]> | null = null;
  const outage = new OutageLog(log, 'the stale-run check');
  const tick = () =>
    (running ??= reapStaleRuns(db, o.staleSeconds)
      .then((ids) => {
        outage.ok();
        if (ids.length) log.warn({ runs: ids, staleSeconds: o.staleSeconds }, 'failed runs whose worker stopped responding');
        return ids;
      })
      .catch((e: unknown) => {
        outage.failed(e);
        return [] as string[];
      })
      .finally(() => {
        running = null;
      }));
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
