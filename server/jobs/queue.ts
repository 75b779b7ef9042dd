import os from 'node:os';
import PgBoss from 'pg-boss';
import pg from 'pg';
import { childLogger } from '../log';
import type { Db } from '../db/client';
import { isDatabaseUnavailable } from '../db/unavailable';
import { logFieldsOf } from '../errors';

/**
 * The job queue: pg-boss on the application database (schema `pgboss`). pg-boss installs and migrates its own schema
 * under its own advisory lock, hands each job to exactly one worker (SKIP LOCKED), retries, and expires jobs whose
 * worker died, so any number of workers on any machine are safe.
 */
export const QUEUES = {
  /** Trivial built-in job that proves enqueue → worker → result end to end. */
  ping: 'system.ping',
  /** One-minute cron tick (pg-boss schedule): reaps runs of dead workers, fires due retraining schedules. */
  maintenance: 'system.maintenance',
  /** A training run (server/training). */
  training: 'training.run',
  /** Daily cron: deletes prediction-log rows past PREDICTION_LOG_RETENTION_DAYS (server/monitoring/retention.ts). */
  predictionLogRetention: 'monitoring.prediction-log-retention',
  /** Cron every 5 minutes: logged predictions → outcomes, resolved once their future bar exists (server/outcomes). */
  outcomes: 'outcomes.resolve',
  /** Hourly cron: each served model's daily drift report at its hour (UTC, default 00:00), then its retraining policy (server/drift). */
  drift: 'drift.check',
} as const;

export interface QueueDefinition {
  name: string;
  options?: Omit<PgBoss.Queue, 'name'>;
}

/** Every queue the system uses, created at start (idempotent). Domain folders append theirs. */
export const QUEUE_DEFINITIONS: QueueDefinition[] = [
  { name: QUEUES.ping, options: { retryLimit: 0, expireInSeconds: 60, retentionMinutes: 60 } },
  { name: QUEUES.maintenance, options: { retryLimit: 0, expireInSeconds: 120, retentionMinutes: 60, policy: 'singleton' } },
  { name: QUEUES.training, options: { retryLimit: 0, expireInSeconds: 6 * 3600, retentionDays: 7 } },
  { name: QUEUES.predictionLogRetention, options: { retryLimit: 1, retryDelay: 600, expireInSeconds: 4 * 3600, retentionDays: 7, policy: 'singleton' } },
  { name: QUEUES.drift, options: { retryLimit: 0, expireInSeconds: 3600, retentionDays: 7, policy: 'singleton' } },
  { name: QUEUES.outcomes, options: { retryLimit: 0, expireInSeconds: 3600, retentionMinutes: 120, policy: 'singleton' } },
];

export type BossRole = 'producer' | 'worker';

/** Advisory-lock key for queue start-up ("sigboss" in ASCII). */
const BOSS_INIT_LOCK_KEY = '32485515075744627';

/**
 * Opens pg-boss. Producers (web, CLI) only send and read jobs: no maintenance loop, no scheduler.
 * Workers supervise (expire dead jobs, archive) and run schedules; pg-boss makes those singletons across workers.
 */
export async function openBoss(url: string, role: BossRole): Promise<PgBoss> {
  const log = childLogger({ component: 'queue' });
  const boss = new PgBoss({
    connectionString: url,
    application_name: `signalops-boss-${role}`,
    max: role === 'worker' ? 4 : 2,
    supervise: role === 'worker',
    schedule: role === 'worker',
    migrate: true,
  });
  // pg-boss's loops (fetch, maintenance, schedules) each report every failed attempt; while the database is
  // unreachable that is several a second: one warning a minute then, with how many were left out.
  let unavailableSince = 0;
  let left = 0;
  boss.on('error', (err) => {
    if (!isDatabaseUnavailable(err)) return log.error({ ...logFieldsOf(err) }, 'queue error');
    const now = Date.now();
    if (now - unavailableSince < 60_000) {
      left++;
      return log.debug({ err: err.message }, 'queue error: the database is still unavailable');
    }
    log.warn({ ...logFieldsOf(err), unavailable: true, leftOut: left }, 'queue error: the database is unavailable; pg-boss retries (one line a minute while it lasts)');
    unavailableSince = now;
    left = 0;
  });
  // Processes starting together (web + worker, CLI + worker) would create the same queues concurrently, and
  // pg-boss's createQueue deadlocks against itself then: serialise start-up under an advisory lock.
  const lock = new pg.Client({ connectionString: url, application_name: 'signalops-boss-init' });
  lock.on('error', () => {}); // a reset reaches the query in flight; unheard, it would crash the process (server/db/client.ts)
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [BOSS_INIT_LOCK_KEY]);
    await boss.start();
    for (const q of QUEUE_DEFINITIONS) {
      if (!(await boss.getQueue(q.name))) await boss.createQueue(q.name, { name: q.name, ...q.options });
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [BOSS_INIT_LOCK_KEY]).catch(() => {});
    await lock.end().catch(() => {});
  }
  return boss;
}

export function hostName(): string {
  return os.hostname();
}

/** Producer handles per database URL, shared within a process (web). */
const g = globalThis as unknown as { __signalopsBoss?: Map<string, Promise<PgBoss>> };
export function producerBoss(url: string): Promise<PgBoss> {
  g.__signalopsBoss ??= new Map();
  let p = g.__signalopsBoss.get(url);
  if (!p) {
    p = openBoss(url, 'producer');
    p.catch(() => g.__signalopsBoss?.delete(url));
    g.__signalopsBoss.set(url, p);
  }
  return p;
}

export async function closeProducerBosses(): Promise<void> {
  const all = [...(g.__signalopsBoss?.values() ?? [])];
  g.__signalopsBoss?.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => null))?.stop({ graceful: false, wait: true })));
}

/** The producer for the database behind `db` (its pool's connection string). */
export function producerBossFor(db: Db): Promise<PgBoss> {
  const url = db.$client.options.connectionString;
  if (!url) throw new Error('database handle has no connection string');
  return producerBoss(url);
}
