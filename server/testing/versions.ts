import { eq } from 'drizzle-orm';
import { models, modelVersions, type VersionStatus } from '../../drizzle/schema';
import type { Db } from '../db/client';

/**
 * A registry row without an artifact, for tests of promotion rules that never serve (fast: no training). The model is
 * created on first use (serving EURUSD).
 */
export async function addPlainVersion(db: Db, model: string, version: number, status: VersionStatus = 'candidate', extra: { lineage?: unknown; metrics?: unknown } = {}) {
  let [m] = await db.select().from(models).where(eq(models.name, model));
  if (!m) [m] = await db.insert(models).values({ name: model, createdBy: 'test', symbols: ['EURUSD'] }).returning();
  const [v] = await db
    .insert(modelVersions)
    .values({ modelId: m.id, version, status, modelType: 'logreg', metrics: (extra.metrics ?? { accuracy: 0.5 + version / 100, macroF1: 0.4 }) as never, gate: {} as never, indicatorWeights: {} as never, lineage: (extra.lineage ?? {}) as never, createdBy: 'test' })
    .returning();
  return v;
}
