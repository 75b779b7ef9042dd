/**
 * The run heartbeat stops a run cancelled or failed elsewhere — and not one that has just succeeded: registration
 * marks the run succeeded before its clean-up stage and the new-version policy run, and a beat in that window used
 * to turn the registered version into a "cancelled" run (the flaky "expected undefined to be 'candidate'" of
 * serve.test.ts and metrics-serve.test.ts, whose policy then never ran).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { claimRun } from './runs';
import { RunTracker } from './tracker';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { trainingRuns } from '../../drizzle/schema';
import type { Db } from '../db/client';

describe('run heartbeat', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
  });
  afterAll(() => closeProducerBosses());

  const tracked = async (i: number) => {
    const [r] = await db.insert(trainingRuns).values({ modelName: `hb${i}`, modelType: 'logreg', dataset: 'any', params: {} as typeof trainingRuns.$inferInsert.params, status: 'queued', stages: [], createdBy: 'user:t' }).returning();
    const run = (await claimRun(db, r.id, 'test'))!;
    const t = new RunTracker(db, run.id, run.stages, logger());
    return { id: run.id, t };
  };

  for (const [status, aborts] of [['succeeded', false], ['cancelled', true], ['failed', true], ['running', false]] as const) {
    it(`a run found ${status} ${aborts ? 'is stopped' : 'goes on'}`, async () => {
      const { id, t } = await tracked(status.length);
      await db.update(trainingRuns).set({ status }).where(eq(trainingRuns.id, id));
      await t.beat();
      expect(t.abort.signal.aborted).toBe(aborts);
      await t.stop();
    });
  }
});
