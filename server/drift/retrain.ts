/**
 * The loop closes: after a drift report, the model's retraining policy may start a training run (trigger `drift`,
 * with the report), within a cool-down and a daily cap; the new version then follows the model's promotion policy
 * (e.g. a canary with the outcome check). The daily check runs every served model's report at its hour (UTC).
 */
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { driftPolicies, driftReports, trainingRuns, modelVersions } from '../../drizzle/schema';
import { badRequestFromZod, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { startRun } from '../training/runs';
import { listSplits } from '../promotion/traffic';
import { driftPolicyOf, runDrift, type DriftReportRow } from './report';
import { ZDriftPolicy, type DriftPolicy } from './shapes';

export interface RetrainDecision {
  started: boolean;
  runId?: string;
  reason: string;
}

/** Whether a report calls for retraining under the policy (pure). */
export function retrainWanted(p: DriftPolicy['retrain'], r: Pick<DriftReportRow, 'datasetDrift' | 'accuracyDrift' | 'status'>): string | null {
  if (p.on === 'off') return null;
  if (r.status === 'insufficient_data') return null;
  if ((p.on === 'dataset_drift' || p.on === 'any') && r.datasetDrift) return 'dataset drift';
  if ((p.on === 'accuracy_drift' || p.on === 'any') && r.accuracyDrift) return 'live-accuracy drift';
  return null;
}

/** Starts a drift-triggered run when the policy, the cool-down and the cap allow; records the decision on the report. */
export async function maybeRetrain(db: Db, report: DriftReportRow, now = Date.now()): Promise<RetrainDecision> {
  const policy = await driftPolicyOf(db, report.modelName);
  const why = retrainWanted(policy.retrain, report);
  let decision: RetrainDecision;
  if (!why) decision = { started: false, reason: policy.retrain.on === 'off' ? 'retraining on drift is off for this model' : 'no drift the policy retrains on' };
  else {
    const since = new Date(now - 86_400_000);
    const recent = await db
      .select({ id: trainingRuns.id, createdAt: trainingRuns.createdAt })
      .from(trainingRuns)
      .where(and(eq(trainingRuns.modelName, report.modelName), eq(trainingRuns.trigger, 'drift'), gte(trainingRuns.createdAt, new Date(now - Math.max(policy.retrain.cooldownHours * 3_600_000, 86_400_000)))))
      .orderBy(desc(trainingRuns.createdAt));
    const last = recent[0];
    const today = recent.filter((r) => r.createdAt >= since).length;
    if (last && now - last.createdAt.getTime() < policy.retrain.cooldownHours * 3_600_000) {
      decision = { started: false, reason: `${why}, but the cool-down of ${policy.retrain.cooldownHours} h has not passed since run ${last.id} (${last.createdAt.toISOString()})` };
    } else if (today >= policy.retrain.maxPerDay) {
      decision = { started: false, reason: `${why}, but ${today} drift-triggered run(s) in the last 24 h reach the cap of ${policy.retrain.maxPerDay}` };
    } else {
      const [v] = await db.select({ lineage: modelVersions.lineage }).from(modelVersions).where(eq(modelVersions.id, report.versionId));
      const params = { ...v.lineage.params, modelName: report.modelName, force: false, ...(policy.retrain.trainingBars ? { recentBars: policy.retrain.trainingBars } : {}) };
      try {
        const run = await startRun(db, params, 'drift', { trigger: 'drift' });
        decision = { started: true, runId: run.id, reason: `${why} in report #${report.id}: retraining ${report.modelName} on ${params.dataset}${policy.retrain.trainingBars ? ` (the latest ${policy.retrain.trainingBars} bars)` : ''}` };
      } catch (e) {
        decision = { started: false, reason: `${why}, but the run could not start: ${(e as Error).message}` };
      }
    }
  }
  await db.execute(sql`update drift_reports set body = jsonb_set(body, '{retraining}', ${JSON.stringify(decision)}::jsonb) where id = ${report.id}`);
  if (decision.started) await recordAudit(db, { actor: 'drift', action: 'drift.retrain', target: report.modelName, details: { reportId: report.id, runId: decision.runId, reason: decision.reason } });
  return decision;
}

/** A report and what the policy does about it (the trading team's endpoint, tRPC, CLI and the daily check). */
export async function driftAndMaybeRetrain(db: Db, input: Parameters<typeof runDrift>[1], who: Parameters<typeof runDrift>[2], now = Date.now()) {
  const report = await runDrift(db, input, who, now);
  const retraining = await maybeRetrain(db, report, now);
  return { ...report, body: { ...report.body, retraining } };
}

export const ZSetDriftPolicyRequest = z.strictObject({ model: z.string().min(1).max(200), policy: ZDriftPolicy });

export async function setDriftPolicy(db: Db, input: unknown, actor: string) {
  const r = ZSetDriftPolicyRequest.safeParse(input);
  if (!r.success) throw badRequestFromZod(r.error);
  const exists = await db.execute(sql`select 1 from models where name = ${r.data.model}`);
  if (!exists.rows.length) throw notFound(`No model named '${r.data.model}'.`);
  const [prev] = await db.select({ policy: driftPolicies.policy }).from(driftPolicies).where(eq(driftPolicies.modelName, r.data.model));
  await db
    .insert(driftPolicies)
    .values({ modelName: r.data.model, policy: r.data.policy, updatedBy: actor })
    .onConflictDoUpdate({ target: driftPolicies.modelName, set: { policy: r.data.policy, updatedBy: actor, updatedAt: new Date() } });
  await recordAudit(db, { actor, action: 'drift.policy', target: r.data.model, details: { policy: r.data.policy, from: prev?.policy ?? null, to: r.data.policy } });
  return { model: r.data.model, policy: r.data.policy };
}

/**
 * The hourly tick: each served model whose schedule hour (UTC) is now and that has no scheduled report this hour
 * gets one (once across workers: an advisory lock per tick), then the retraining policy decides.
 */
export async function scheduledDriftTick(db: Db, log: Logger, now = Date.now()) {
  const hour = new Date(now).getUTCHours();
  const out: { model: string; status: string; retraining: RetrainDecision }[] = [];
  // A session lock on one connection for the whole tick: other workers skip it.
  const client = await db.$client.connect();
  let locked = false;
  try {
    locked = Boolean((await client.query('select pg_try_advisory_lock($1) as ok', [0x736f6472])).rows[0]?.ok);
    if (!locked) return out;
    const served = Object.keys(await listSplits(db));
    for (const model of served) {
      const policy = await driftPolicyOf(db, model);
      if (!policy.schedule.enabled || policy.schedule.hourUtc !== hour) continue;
      const hourStart = new Date(Math.floor(now / 3_600_000) * 3_600_000);
      const done = await db.select({ id: driftReports.id }).from(driftReports).where(and(eq(driftReports.modelName, model), eq(driftReports.trigger, 'schedule'), gte(driftReports.createdAt, hourStart))).limit(1);
      if (done.length) continue;
      try {
        const r = await driftAndMaybeRetrain(db, { model }, { actor: 'schedule', trigger: 'schedule' }, now);
        out.push({ model, status: r.status, retraining: r.body.retraining! });
        log.info({ model, status: r.status, reportId: r.id, retraining: r.body.retraining }, 'scheduled drift report');
      } catch (e) {
        log.warn({ model, err: (e as Error).message }, 'scheduled drift report failed');
      }
    }
  } finally {
    if (locked) await client.query('select pg_advisory_unlock($1)', [0x736f6472]).catch(() => {});
    client.release();
  }
  return out;
}
