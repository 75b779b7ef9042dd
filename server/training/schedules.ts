import { CronExpressionParser } from 'cron-parser';
import { and, asc, eq, lte } from 'drizzle-orm';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { modelSchedules } from '../../drizzle/schema';
import { isDomainError, badRequest, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { ZModelName, ZTrainRequest } from './params';
import type { ScheduleParams } from '../../drizzle/schema/shapes';
import { startRun } from './runs';

/** Default suggestion: weekly, Sunday 02:00 UTC. */
export const DEFAULT_CRON = '0 2 * * 0';

export const ZScheduleRequest = z.object({
  modelName: ZModelName,
  cron: z.string().trim().min(9).max(100).default(DEFAULT_CRON),
  timezone: z.string().default('UTC'),
  enabled: z.boolean().default(true),
  /** The training request to run (its modelName is forced to the schedule's). */
  params: ZTrainRequest.omit({ modelName: true, force: true }),
});

export function nextRun(cron: string, timezone: string, from = new Date()): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: from, tz: timezone }).next().toDate();
  } catch (e) {
    throw badRequest(`cron: '${cron}' is not a valid cron expression (${(e as Error).message}); e.g. '${DEFAULT_CRON}' = Sundays 02:00`, { field: 'cron' });
  }
}

export async function listSchedules(db: Db) {
  return db.select().from(modelSchedules).orderBy(asc(modelSchedules.modelName));
}

export async function upsertSchedule(db: Db, input: z.input<typeof ZScheduleRequest>, actor: string) {
  const s = ZScheduleRequest.parse(input);
  const next = nextRun(s.cron, s.timezone);
  const values = { modelName: s.modelName, cron: s.cron, timezone: s.timezone, enabled: s.enabled, params: { ...s.params, modelName: s.modelName } satisfies ScheduleParams, nextRunAt: next, updatedBy: actor, updatedAt: new Date() };
  const [prev] = await db.select().from(modelSchedules).where(eq(modelSchedules.modelName, s.modelName));
  const [row] = await db
    .insert(modelSchedules)
    .values(values)
    .onConflictDoUpdate({ target: modelSchedules.modelName, set: values })
    .returning();
  const shown = (r: typeof row | undefined) => (r ? { cron: r.cron, timezone: r.timezone, enabled: r.enabled, params: r.params } : null);
  await recordAudit(db, { actor, action: 'schedule.upsert', target: s.modelName, details: { cron: s.cron, enabled: s.enabled, from: shown(prev), to: shown(row) } });
  return row;
}

export async function deleteSchedule(db: Db, modelName: string, actor: string) {
  const r = await db.delete(modelSchedules).where(eq(modelSchedules.modelName, modelName)).returning();
  if (!r.length) throw notFound(`Model '${modelName}' has no schedule.`);
  await recordAudit(db, { actor, action: 'schedule.delete', target: modelName, details: { from: { cron: r[0].cron, timezone: r[0].timezone, enabled: r[0].enabled, params: r[0].params }, to: null } });
  return { deleted: true };
}

/**
 * Starts the runs whose schedule is due. Called from the workers' one-minute pg-boss cron tick (pg-boss runs a cron
 * schedule once per tick however many workers there are); rows are also locked (SKIP LOCKED) so two ticks never fire
 * the same schedule twice.
 */
export async function fireDueSchedules(db: Db, log: Logger, now = new Date()): Promise<string[]> {
  const fired: string[] = [];
  await db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(modelSchedules)
      .where(and(eq(modelSchedules.enabled, true), lte(modelSchedules.nextRunAt, now)))
      .for('update', { skipLocked: true });
    for (const s of due) {
      let runId: string | null = null;
      try {
        const run = await startRun(db, s.params, 'schedule', { trigger: `schedule (${s.cron})` });
        runId = run.id;
        fired.push(s.modelName);
      } catch (e) {
        const skipped = isDomainError(e) && e.code === 'CONFLICT';
        const why = skipped ? (e.details?.duplicateOf ? `nothing changed since ${String(e.details.duplicateOf)}` : 'one is active') : null;
        log.warn({ model: s.modelName, err: (e as Error).message }, why ? `scheduled run skipped: ${why}` : 'scheduled run failed to start');
      }
      await tx
        .update(modelSchedules)
        .set({ lastFiredAt: now, lastRunId: runId ?? s.lastRunId, nextRunAt: nextRun(s.cron, s.timezone, now) })
        .where(eq(modelSchedules.modelName, s.modelName));
    }
  });
  return fired;
}

