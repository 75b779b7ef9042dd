import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbLike } from '../db/client';
import { trafficSplits, servingSettings, modelVersions, models } from '../../drizzle/schema';
import { DomainError, badRequest, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { notifyServing } from '../db/notify';
import { parseVersionLabel } from '../registry/versions';

export { SERVING_CHANNEL, notifyServing } from '../db/notify';

export async function getSetting<T>(db: DbLike, key: string): Promise<T | null> {
  const [r] = await db.select().from(servingSettings).where(eq(servingSettings.key, key));
  return (r?.value as T) ?? null;
}

export async function setSetting(db: DbLike, key: string, value: unknown, actor: string) {
  await db
    .insert(servingSettings)
    .values({ key, value, updatedBy: actor })
    .onConflictDoUpdate({ target: servingSettings.key, set: { value, updatedBy: actor, updatedAt: new Date() } });
}

/** The split of one model with version numbers, largest share first. */
export async function getSplit(db: DbLike, modelName: string) {
  return db
    .select({ versionId: trafficSplits.versionId, version: modelVersions.version, percent: trafficSplits.percent, status: modelVersions.status })
    .from(trafficSplits)
    .innerJoin(modelVersions, eq(modelVersions.id, trafficSplits.versionId))
    .where(eq(trafficSplits.modelName, modelName))
    .orderBy(asc(modelVersions.version));
}

export async function listSplits(db: DbLike) {
  const rows = await db
    .select({ modelName: trafficSplits.modelName, versionId: trafficSplits.versionId, version: modelVersions.version, percent: trafficSplits.percent })
    .from(trafficSplits)
    .innerJoin(modelVersions, eq(modelVersions.id, trafficSplits.versionId))
    .orderBy(asc(trafficSplits.modelName), asc(modelVersions.version));
  const out: Record<string, { versionId: string; version: number; percent: number }[]> = {};
  for (const r of rows) (out[r.modelName] ??= []).push({ versionId: r.versionId, version: r.version, percent: r.percent });
  return out;
}

/**
 * Until the promotion pages exist: a newly registered `candidate` of a model with no split gets 100%, and the first
 * model with traffic becomes the default for requests that name no model. Runs in the registration transaction.
 */
export async function ensureInitialSplit(tx: DbLike, modelName: string, versionId: string, actor: string): Promise<boolean> {
  const existing = await tx.select({ v: trafficSplits.versionId }).from(trafficSplits).where(eq(trafficSplits.modelName, modelName)).limit(1);
  if (existing.length) return false;
  await tx.insert(trafficSplits).values({ modelName, versionId, percent: 100, updatedBy: actor });
  if (!(await getSetting(tx, 'defaultModel'))) await setSetting(tx, 'defaultModel', modelName, actor);
  await notifyServing(tx, `initial split for ${modelName}`);
  return true;
}

export const ZSetSplitRequest = z.object({
  model: z.string().min(1),
  split: z
    .array(z.object({ version: z.union([z.string(), z.number().int()]), percent: z.number().int().min(0).max(100) }))
    .min(1, 'give at least one version'),
});

/** Replaces a model's split (percentages summing to 100; only candidate versions may get traffic). */
export async function setSplit(db: Db, input: z.input<typeof ZSetSplitRequest>, actor: string) {
  const req = ZSetSplitRequest.parse(input);
  const total = req.split.reduce((a, s) => a + s.percent, 0);
  if (total !== 100) throw badRequest(`split: percentages must sum to 100, got ${total}`, { field: 'split' });
  return db.transaction(async (tx) => {
    const [m] = await tx.select().from(models).where(eq(models.name, req.model));
    if (!m) throw notFound(`No model named '${req.model}'.`);
    const rows = [];
    for (const s of req.split) {
      const n = parseVersionLabel(s.version);
      const [v] = await tx.select().from(modelVersions).where(and(eq(modelVersions.modelId, m.id), eq(modelVersions.version, n)));
      if (!v) throw notFound(`Model '${req.model}' has no version v${n}.`);
      if (s.percent > 0 && v.status !== 'candidate') throw new DomainError('CONFLICT', `${req.model} v${n} is ${v.status}; only candidate versions get traffic.`);
      if (s.percent > 0) rows.push({ modelName: req.model, versionId: v.id, percent: s.percent, updatedBy: actor });
    }
    await tx.delete(trafficSplits).where(eq(trafficSplits.modelName, req.model));
    await tx.insert(trafficSplits).values(rows);
    if (!(await getSetting(tx, 'defaultModel'))) await setSetting(tx, 'defaultModel', req.model, actor);
    await recordAudit(tx, { actor, action: 'traffic.set', target: req.model, details: { split: req.split } });
    await notifyServing(tx, `split of ${req.model} changed`);
    return getSplit(tx, req.model);
  });
}
