import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { QUEUES, hostName } from './queue';
import { config } from '../config';
import { executeRun } from '../training/pipeline';
import { applyNewVersionPolicy } from '../promotion/actions';
import { runOutcomeJob } from '../outcomes/resolve';
import { autoPromoteTick } from '../promotion/auto';
import { buildReference } from '../drift/profile';
import { scheduledDriftTick } from '../drift/retrain';
import { reapStaleRuns } from '../training/runs';
import { fireDueSchedules } from '../training/schedules';
import { compactRollups } from '../monitoring/compaction';
import { prunePredictionLog } from '../monitoring/retention';

export interface JobContext {
  db: Db;
  log: Logger;
  workerId: string;
  jobId: string;
  /** Aborted when the worker shuts down or the job is cancelled. */
  signal: AbortSignal;
}

export type JobHandler = (data: unknown, ctx: JobContext) => Promise<unknown>;

/** `system.ping`: answers who ran it; `sleepMs` (≤ 10 s) lets tests hold a job open. */
async function ping(data: unknown, ctx: JobContext) {
  const d = (data ?? {}) as { message?: string; sleepMs?: number };
  const sleepMs = Math.min(Math.max(Number(d.sleepMs) || 0, 0), 10_000);
  if (sleepMs) await new Promise((r) => setTimeout(r, sleepMs));
  return { pong: true, message: d.message ?? null, workerId: ctx.workerId, host: hostName(), pid: process.pid, at: new Date().toISOString() };
}

async function maintenance(_data: unknown, ctx: JobContext) {
  const reaped = await reapStaleRuns(ctx.db, config().STALE_RUN_SECONDS);
  if (reaped.length) ctx.log.warn({ runs: reaped }, 'failed runs whose worker stopped responding');
  const fired = await fireDueSchedules(ctx.db, ctx.log);
  const c = config();
  const rollups = await compactRollups(ctx.db, {
    retention: { rawDays: c.MONITORING_RAW_RETENTION_DAYS, minuteDays: c.MONITORING_MINUTE_RETENTION_DAYS, hourDays: c.MONITORING_HOUR_RETENTION_DAYS },
  }).catch((e) => {
    ctx.log.warn({ err: (e as Error).message }, 'metric roll-up compaction failed');
    return null;
  });
  return { reaped, fired, rollups, staleWorkerSeconds: c.WORKER_STALE_SECONDS };
}

/** Daily: prediction-log rows past PREDICTION_LOG_RETENTION_DAYS, in bounded batches; a backlog is left to the next day. */
async function predictionLogRetention(_data: unknown, ctx: JobContext) {
  const days = config().PREDICTION_LOG_RETENTION_DAYS;
  let lastLog = Date.now();
  const r = await prunePredictionLog(ctx.db, {
    retentionDays: days,
    signal: ctx.signal,
    maxSeconds: 3 * 3600,
    onBatch: (b) => {
      if (Date.now() - lastLog < 30_000) return;
      lastLog = Date.now();
      ctx.log.info({ deletedSoFar: b.deletedSoFar, model: b.model }, 'prediction log retention in progress');
    },
  });
  const { deleted, byModel, batches, horizon, seconds, rowsPerSecond, complete, stoppedBy, skipped } = r;
  ctx.log[complete ? 'info' : 'warn']({ retentionDays: days, horizon, deleted, byModel, batches, seconds, rowsPerSecond, stoppedBy, skipped }, 'prediction log retention');
  return r;
}

/** A new version: promotion decides its traffic, then its drift reference profile is built (drift reads it later). */
export async function onVersionRegistered(db: JobContext['db'], log: JobContext['log'], v: Parameters<typeof applyNewVersionPolicy>[1]) {
  await applyNewVersionPolicy(db, v);
  await buildReference(db, v.versionId).catch((e) => log.warn({ versionId: v.versionId, err: (e as Error).message }, 'drift reference profile failed (it is built on the first drift report instead)'));
}

async function training(data: unknown, ctx: JobContext) {
  const { runId } = data as { runId: string };
  // Training registers the version; promotion decides what traffic it gets.
  return executeRun(ctx.db, runId, { workerId: ctx.workerId, log: ctx.log, signal: ctx.signal, onRegistered: (v) => onVersionRegistered(ctx.db, ctx.log, v) });
}

async function driftCheck(_data: unknown, ctx: JobContext) {
  return scheduledDriftTick(ctx.db, ctx.log);
}

async function outcomes(_data: unknown, ctx: JobContext) {
  const r = await runOutcomeJob(ctx.db);
  if (r.collected.scanned || r.resolved.resolved) ctx.log.info(r, 'outcomes');
  // New outcomes may make a challenger significantly better: models whose policy allows it promote it.
  const promoted = r.resolved.resolved ? await autoPromoteTick(ctx.db, ctx.log) : [];
  return { ...r, promoted };
}

/** Queue name → handler. Domain folders register theirs here (training, evaluation, drift checks, …). */
export const HANDLERS: Record<string, JobHandler> = {
  [QUEUES.ping]: ping,
  [QUEUES.maintenance]: maintenance,
  [QUEUES.training]: training,
  [QUEUES.predictionLogRetention]: predictionLogRetention,
  [QUEUES.outcomes]: outcomes,
  [QUEUES.drift]: driftCheck,
};

/** Cron schedules the workers keep (pg-boss fires each once per tick however many workers run). */
export const CRON: Array<{ queue: string; cron: string }> = [
  { queue: QUEUES.maintenance, cron: '* * * * *' },
  // 03:17 UTC daily, off the hour marks where other schedules cluster.
  { queue: QUEUES.predictionLogRetention, cron: '17 3 * * *' },
  { queue: QUEUES.outcomes, cron: '*/5 * * * *' },
  { queue: QUEUES.drift, cron: '2 * * * *' },
];
