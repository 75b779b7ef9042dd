import crypto from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Db } from '../db/client';
import { childLogger } from '../log';
import { APP_VERSION, config } from '../config';
import { openBoss, hostName } from './queue';
import { HANDLERS, CRON } from './handlers';
import { beat, markStopped } from './heartbeat';
import { logFieldsOf } from '../errors';
import { isDatabaseUnavailable } from '../db/unavailable';
import { startAlertLoop, type AlertLoop } from '../monitoring/alerts/loop';
import { startPromotionLoop, type PromotionLoop } from '../promotion/canary';
import { ProcessSampler } from '../monitoring/rollups';
import { startStaleRunReaper } from '../training/reaper';

export interface RunningWorker {
  id: string;
  stop(): Promise<void>;
}

/**
 * Starts consuming every queue in HANDLERS and writes a heartbeat every `heartbeatSeconds`.
 * `concurrency` jobs at most at once (training is CPU-bound: one per worker by default).
 */
export async function startWorker(opts: {
  db: Db;
  url: string;
  heartbeatSeconds: number;
  concurrency?: number;
  /** Evaluate alert rules and deliver notifications (default true; once per tick across all workers). */
  alerts?: boolean;
  /** Run the canary loop (default true). */
  canaries?: boolean;
}): Promise<RunningWorker> {
  const id = `${hostName()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const log = childLogger({ component: 'worker', workerId: id });
  const startedAt = new Date();
  const running = new Map<string, { queue: string; abort: AbortController }>();
  const info = () => ({
    id,
    host: hostName(),
    pid: process.pid,
    version: APP_VERSION,
    startedAt,
    currentJob: [...running.entries()].map(([jobId, j]) => `${j.queue}:${jobId}`).join(',') || null,
  });
  // During a database outage a beat fails every heartbeatSeconds: one warning when they start failing, one line when
  // they succeed again — never the SQL or its parameters (server/errors.ts logFieldsOf). A failure within 30 s of a
  // recovery (a connection to the old address still in the pool) is the tail of the same outage: not announced again,
  // unless it goes on for three beats.
  let beatOutage: { since: number; failures: number; announced: boolean } | null = null;
  let beatRecoveredAt = 0;
  const sendBeat = () =>
    beat(opts.db, info()).then(
      () => {
        if (!beatOutage) return;
        if (beatOutage.announced) log.info({ outageMs: Date.now() - beatOutage.since, failedBeats: beatOutage.failures }, 'heartbeat recovered');
        else log.debug({ failedBeats: beatOutage.failures }, 'heartbeat recovered after a blip');
        beatOutage = null;
        beatRecoveredAt = Date.now();
      },
      (e: unknown) => {
        const announce = (failedBeats: number) =>
          log.warn({ ...logFieldsOf(e), unavailable: isDatabaseUnavailable(e), failedBeats }, 'heartbeat failed; retrying every beat, logged again when it recovers');
        if (beatOutage) {
          beatOutage.failures++;
          // A tail that goes on is an outage after all (e.g. one that began within 30 s of a blip): say so once.
          if (!beatOutage.announced && beatOutage.failures >= 3) {
            beatOutage.announced = true;
            announce(beatOutage.failures);
          }
          return;
        }
        const announced = Date.now() - beatRecoveredAt > 30_000;
        beatOutage = { since: Date.now(), failures: 1, announced };
        if (announced) announce(1);
        else log.debug({ ...logFieldsOf(e), unavailable: isDatabaseUnavailable(e) }, 'heartbeat failed again just after recovering');
      },
    );
  await sendBeat();
  const timer = setInterval(() => void sendBeat(), opts.heartbeatSeconds * 1000);
  timer.unref();

  const boss: PgBoss = await openBoss(opts.url, 'worker');
  const concurrency = opts.concurrency ?? 1;
  for (const [queue, handler] of Object.entries(HANDLERS)) {
    for (let i = 0; i < concurrency; i++) {
      await boss.work(queue, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
        const abort = new AbortController();
        running.set(job.id, { queue, abort });
        void sendBeat();
        const t0 = Date.now();
        log.info({ queue, jobId: job.id }, 'job started');
        try {
          const out = await handler(job.data, { db: opts.db, log: log.child({ jobId: job.id }), workerId: id, jobId: job.id, signal: abort.signal });
          log.info({ queue, jobId: job.id, ms: Date.now() - t0 }, 'job completed');
          return out;
        } catch (e) {
          log.error({ queue, jobId: job.id, ms: Date.now() - t0, ...logFieldsOf(e) }, 'job failed');
          throw e;
        } finally {
          running.delete(job.id);
          void sendBeat();
        }
      });
    }
  }
  for (const c of CRON) await boss.schedule(c.queue, c.cron, {}, { tz: 'UTC' });
  log.info({ queues: Object.keys(HANDLERS), concurrency }, 'worker ready');
  const alerts: AlertLoop | null = opts.alerts === false ? null : await startAlertLoop(opts.db, log.child({ component: 'alerts' }));
  // Canary steps are evaluated by the workers (each due canary once across all of them).
  const canaries: PromotionLoop | null = opts.canaries === false ? null : startPromotionLoop(opts.db, log.child({ component: 'canary' }));
  // Workers appear in the process table too (CPU, memory, event-loop delay), and count for the CPU/memory rules.
  const sampler = new ProcessSampler(opts.db, log.child({ component: 'monitoring' }), { processId: `worker@${id}`, kind: 'worker', everyMs: config().MONITORING_SAMPLE_SECONDS * 1000 });
  void sampler.tick();
  // Runs of dead workers fail within STALE_RUN_SECONDS + one short tick (server/training/reaper.ts), not a minute later.
  const reaper = startStaleRunReaper(opts.db, log.child({ component: 'reaper' }), { staleSeconds: config().STALE_RUN_SECONDS });

  let stopping: Promise<void> | undefined;
  return {
    id,
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await reaper.stop();
        await sampler.stop();
        await alerts?.stop();
        await canaries?.stop();
        for (const j of running.values()) j.abort.abort();
        await boss.stop({ graceful: true, timeout: 10_000, wait: true }).catch(() => {});
        await markStopped(opts.db, id).catch(() => {});
        log.info('worker stopped');
      })();
      return stopping;
    },
  };
}
