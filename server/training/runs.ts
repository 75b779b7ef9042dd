import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db, DbLike } from '../db/client';
import { trainingRuns, type RunStatus } from '../../drizzle/schema';
import { DomainError, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { producerBossFor, QUEUES } from '../jobs/queue';
import { getDataset } from '../market/store';
import { findIdenticalVersion } from '../registry/versions';
import { codeVersion } from '../config';
import { ZTrainRequest, modelNameOf, STAGES, type TrainRequestInput, type StageName } from './params';
import type { EpochRecord, RunResult } from '../../drizzle/schema/shapes';

export const TRAINING_QUEUE = QUEUES.training;

export interface StageRecord {
  name: StageName;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  detail?: string;
  error?: string;
}

export type Run = typeof trainingRuns.$inferSelect;
const ACTIVE: RunStatus[] = ['queued', 'running'];

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === '23505' || err?.cause?.code === '23505';
}

/**
 * Queues a training run (a pg-boss job a worker executes). One active run per model name: a second start answers
 * CONFLICT naming the running run, unless `force` (the running one is cancelled first). A run that would register a
 * copy of an existing version (same data hash, parameters and code) answers CONFLICT naming it, unless `force`.
 */
export async function startRun(
  db: Db,
  input: TrainRequestInput,
  actor: string,
  /** `enqueue: false`: no queue job (the caller executes the run itself, e.g. `cli eval` / `cli train --inline`). */
  opts: { trigger?: string; enqueue?: boolean } = {},
): Promise<Run> {
  const req = ZTrainRequest.parse(input);
  const modelName = modelNameOf(req);
  const dataset = await getDataset(db, req.dataset); // NOT_FOUND naming the dataset, before anything is written
  if (!req.force) {
    const code = codeVersion();
    const same = await findIdenticalVersion(db, { modelName, datasetHash: dataset.contentHash, params: req, commit: code.commit });
    if (same) {
      throw new DomainError(
        'CONFLICT',
        `Model '${modelName}' v${same.version} (${same.status}) was trained on the same data (content hash ${dataset.contentHash!.slice(0, 12)}), with the same parameters and code (${code.commit!.slice(0, 7)}): a new run would register an identical version. Change something, or start with force.`,
        { version: `v${same.version}`, duplicateOf: `v${same.version}` },
      );
    }
  }
  const active = await db.select().from(trainingRuns).where(and(eq(trainingRuns.modelName, modelName), inArray(trainingRuns.status, ACTIVE)));
  if (active.length) {
    const a = active[0];
    if (!req.force) {
      throw new DomainError(
        'CONFLICT',
        `Model '${modelName}' already has an active run ${a.id} (${a.status}, started by ${a.createdBy}). Wait for it, cancel it, or start with force.`,
        { runId: a.id },
      );
    }
    await cancelRun(db, a.id, actor, 'replaced by a forced start');
  }
  const stages: StageRecord[] = STAGES.map((name) => ({ name, status: 'pending', startedAt: null, endedAt: null, durationMs: null }));
  let run: Run;
  try {
    [run] = await db
      .insert(trainingRuns)
      .values({ modelName, modelType: req.modelType, dataset: req.dataset, params: req, status: 'queued', stages, createdBy: actor, trigger: opts.trigger ?? 'manual' })
      .returning();
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `Model '${modelName}' already has an active run (started a moment ago).`);
    throw e;
  }
  if (opts.enqueue === false) {
    await recordAudit(db, { actor, action: 'training.start', target: modelName, details: { runId: run.id, dataset: req.dataset, modelType: req.modelType, inline: true } });
    return run;
  }
  const boss = await producerBossFor(db);
  // The job outlives a dead worker by at most expireInSeconds; the stale-run reaper acts much sooner (heartbeat).
  const jobId = await boss.send(TRAINING_QUEUE, { runId: run.id }, { retryLimit: 0, expireInSeconds: 6 * 3600 });
  [run] = await db.update(trainingRuns).set({ jobId }).where(eq(trainingRuns.id, run.id)).returning();
  await recordAudit(db, { actor, action: 'training.start', target: modelName, details: { runId: run.id, dataset: req.dataset, modelType: req.modelType } });
  return run;
}

export async function getRun(db: DbLike, id: string): Promise<Run> {
  const [run] = await db.select().from(trainingRuns).where(eq(trainingRuns.id, id));
  if (!run) throw notFound(`No training run ${id}.`);
  return run;
}

export async function listRuns(db: DbLike, opts: { limit?: number; modelName?: string } = {}) {
  return db
    .select({
      id: trainingRuns.id,
      modelName: trainingRuns.modelName,
      modelType: trainingRuns.modelType,
      dataset: trainingRuns.dataset,
      status: trainingRuns.status,
      stages: trainingRuns.stages,
      epochs: sql<number>`jsonb_array_length(${trainingRuns.history})`,
      totalEpochs: sql<number>`(${trainingRuns.params}->>'epochs')::int`,
      result: trainingRuns.result,
      error: trainingRuns.error,
      trigger: trainingRuns.trigger,
      createdBy: trainingRuns.createdBy,
      createdAt: trainingRuns.createdAt,
      startedAt: trainingRuns.startedAt,
      endedAt: trainingRuns.endedAt,
    })
    .from(trainingRuns)
    .where(opts.modelName ? eq(trainingRuns.modelName, opts.modelName) : undefined)
    .orderBy(desc(trainingRuns.createdAt))
    .limit(opts.limit ?? 50);
}

/** What is running now (for `training.status` and GET /api/v1/training-status). */
export async function trainingStatus(db: DbLike) {
  const active = await db.select().from(trainingRuns).where(inArray(trainingRuns.status, ACTIVE)).orderBy(desc(trainingRuns.createdAt));
  return {
    active: active.map((r) => {
      const stage = r.stages.find((s) => s.status === 'running')?.name ?? null;
      const last = r.history.at(-1);
      return {
        id: r.id,
        modelName: r.modelName,
        dataset: r.dataset,
        status: r.status,
        stage,
        epoch: last?.epoch ?? 0,
        epochs: r.params.epochs,
        etaMs: last?.etaMs ?? null,
        startedAt: r.startedAt,
        workerId: r.workerId,
      };
    }),
  };
}

/** Marks a run cancelled (a queued one never starts; a running one stops at its next epoch boundary). */
export async function cancelRun(db: Db, id: string, actor: string, reason = 'cancelled'): Promise<Run> {
  const run = await getRun(db, id);
  if (!ACTIVE.includes(run.status)) throw new DomainError('CONFLICT', `Run ${id} is already ${run.status}.`);
  const now = new Date();
  // A queued run never starts: its stages are skipped. A running one marks its own stages as it stops.
  const stages = run.status === 'queued' ? run.stages.map((s) => ({ ...s, status: 'skipped' as const })) : run.stages;
  const [updated] = await db
    .update(trainingRuns)
    .set({ status: 'cancelled', cancelRequestedAt: now, endedAt: now, error: `${reason} by ${actor}`, stages })
    .where(and(eq(trainingRuns.id, id), inArray(trainingRuns.status, ACTIVE)))
    .returning();
  if (run.jobId) {
    const boss = await producerBossFor(db);
    await boss.cancel(TRAINING_QUEUE, run.jobId).catch(() => {});
  }
  await recordAudit(db, { actor, action: 'training.cancel', target: run.modelName, details: { runId: id, reason, from: { status: run.status }, to: { status: updated?.status ?? 'cancelled' } } });
  return updated ?? (await getRun(db, id));
}

/**
 * Runs whose worker stopped heart-beating (killed, machine gone) are marked failed: no run stays `running` forever.
 * Called by every worker's maintenance tick; idempotent.
 */
export async function reapStaleRuns(db: DbLike, staleSeconds: number): Promise<string[]> {
  const cutoff = new Date(Date.now() - staleSeconds * 1000);
  const rows = await db
    .update(trainingRuns)
    .set({
      status: 'failed',
      endedAt: new Date(),
      error: sql`'the worker running it stopped responding (no heartbeat for ${sql.raw(String(staleSeconds))}s)'`,
    })
    .where(and(eq(trainingRuns.status, 'running'), lt(trainingRuns.heartbeatAt, cutoff)))
    .returning({ id: trainingRuns.id });
  return rows.map((r) => r.id);
}

// --- what the training job writes while it runs ----------------------------------------------------------------------

/** Claims a queued run for a worker (only one claims it); null when it is no longer queued. */
export async function claimRun(db: DbLike, id: string, workerId: string): Promise<Run | null> {
  const [claimed] = await db
    .update(trainingRuns)
    .set({ status: 'running', startedAt: new Date(), heartbeatAt: new Date(), workerId })
    .where(and(eq(trainingRuns.id, id), eq(trainingRuns.status, 'queued')))
    .returning();
  return claimed ?? null;
}

/** Refreshes the run's heartbeat; returns its status (anything but `running` means: stop). */
export async function heartbeatRun(db: DbLike, id: string): Promise<RunStatus | null> {
  const [r] = await db.update(trainingRuns).set({ heartbeatAt: new Date() }).where(eq(trainingRuns.id, id)).returning({ status: trainingRuns.status });
  return r?.status ?? null;
}

export async function appendRunLog(db: DbLike, id: string, msg: string): Promise<void> {
  await db
    .update(trainingRuns)
    .set({ logs: sql`${trainingRuns.logs} || ${JSON.stringify([{ at: new Date().toISOString(), msg }])}::jsonb` })
    .where(eq(trainingRuns.id, id));
}

export async function saveRunStages(db: DbLike, id: string, stages: StageRecord[]): Promise<void> {
  await db.update(trainingRuns).set({ stages, heartbeatAt: new Date() }).where(eq(trainingRuns.id, id));
}

/** Appends one epoch to the run's live history (the page's curves and per-epoch log lines read it). */
export async function appendRunEpoch(db: DbLike, id: string, row: EpochRecord): Promise<void> {
  await db
    .update(trainingRuns)
    .set({ history: sql`${trainingRuns.history} || ${JSON.stringify([row])}::jsonb`, heartbeatAt: new Date() })
    .where(eq(trainingRuns.id, id));
}

/** Ends a running run as succeeded with its version, in the caller's transaction; false when it was cancelled meanwhile. */
export async function completeRun(tx: DbLike, id: string, versionId: string, result: RunResult): Promise<boolean> {
  const done = await tx
    .update(trainingRuns)
    .set({ versionId, result, status: 'succeeded', endedAt: new Date() })
    .where(and(eq(trainingRuns.id, id), eq(trainingRuns.status, 'running')))
    .returning({ id: trainingRuns.id });
  return done.length > 0;
}

/** Ends a running run as failed with its error. */
export async function failRun(db: DbLike, id: string, error: string): Promise<void> {
  await db
    .update(trainingRuns)
    .set({ status: 'failed', error, endedAt: new Date() })
    .where(and(eq(trainingRuns.id, id), eq(trainingRuns.status, 'running')));
}

/** Stamps the end time of a run that was cancelled while it ran. */
export async function markRunEnded(db: DbLike, id: string): Promise<void> {
  await db.update(trainingRuns).set({ endedAt: new Date() }).where(eq(trainingRuns.id, id));
}
