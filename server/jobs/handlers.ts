import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { QUEUES } from './queue';
import { hostName } from './queue';

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

/** Queue name → handler. Domain folders register theirs here (training, evaluation, drift checks, …). */
export const HANDLERS: Record<string, JobHandler> = {
  [QUEUES.ping]: ping,
};
