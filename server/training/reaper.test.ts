import { describe, it, expect, beforeAll } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import type { Db } from '../db/client';
import { logger } from '../log';
import { trainingRuns } from '../../drizzle/schema';
import { reapTickSeconds, startStaleRunReaper } from './reaper';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';

/**
 * The stale-run reaper's real delay: a run whose worker died is failed within STALE_RUN_SECONDS + one reaper tick —
 * 70 s by default, not "the next one-minute cron tick after 60 s" (up to ~150 s; 144 s measured).
 */
describe('stale-run reaper', () => {
  let db: Db;
  let url: string;
  beforeAll(async () => {
    ({ db, url } = await createTestDb());
  });

  const orphan = async (name: string, heartbeatAgoMs: number) => {
    const [r] = await db
      .insert(trainingRuns)
      .values({
        modelName: name,
        modelType: 'logreg',
        dataset: 'none',
        params: {} as never,
        status: 'running',
        stages: [] as never,
        createdBy: 'test',
        workerId: 'dead-worker',
        startedAt: new Date(Date.now() - heartbeatAgoMs),
        heartbeatAt: new Date(Date.now() - heartbeatAgoMs),
      })
      .returning({ id: trainingRuns.id });
    return r.id;
  };
  const status = async (id: string) => (await db.select({ s: trainingRuns.status, e: trainingRuns.error }).from(trainingRuns).where(eq(trainingRuns.id, id)))[0];

  it('checks every sixth of STALE_RUN_SECONDS (1–10 s): the default 60 s fails a dead worker’s run within 70 s', () => {
    expect(reapTickSeconds(60)).toBe(10);
    expect(60 + reapTickSeconds(60)).toBeLessThanOrEqual(70);
    expect(reapTickSeconds(5)).toBe(1);
    expect(reapTickSeconds(3600)).toBe(10);
  });

  it('the loop a worker runs fails the run once its heartbeat is STALE_RUN_SECONDS old, not before, within one tick', async () => {
    const stale = 5;
    const id = await orphan('dying', 3_000); // heartbeat 3 s old: 2 s to go
    const reaper = startStaleRunReaper(db, logger(), { staleSeconds: stale, tickMs: 250 });
    try {
      expect(await reaper.tick()).toEqual([]);
      expect((await status(id)).s).toBe('running');
      await expect.poll(async () => (await status(id)).s, { timeout: 10_000, interval: 100 }).toBe('failed');
      const [row] = await db
        .select({ late: sql<number>`extract(epoch from ${trainingRuns.endedAt} - ${trainingRuns.heartbeatAt})::float` })
        .from(trainingRuns)
        .where(eq(trainingRuns.id, id));
      // Failed after STALE_RUN_SECONDS of silence, and by the first tick after that (250 ms here; slack for a loaded machine).
      expect(row.late).toBeGreaterThanOrEqual(stale);
      expect(row.late).toBeLessThan(stale + 0.25 + 2);
      expect((await status(id)).e).toMatch(/stopped responding \(no heartbeat for 5s\)/);
      // A live run (fresh heartbeat) is left alone.
      const live = await orphan('alive', 0);
      expect(await reaper.tick()).not.toContain(live);
      expect((await status(live)).s).toBe('running');
    } finally {
      await reaper.stop();
    }
  });

  it('a real worker process fails a dead worker’s run within STALE_RUN_SECONDS + one tick (here 5 s + 1 s)', async () => {
    let worker: Spawned | null = null;
    try {
      worker = spawnTs('server/bin/worker.ts', [], { DATABASE_URL: url, WORKER_HEARTBEAT_SECONDS: '1', STALE_RUN_SECONDS: '5' });
      // The worker is up once its heartbeat row exists.
      await waitFor(async () => (await db.execute(sql`SELECT 1 FROM worker_heartbeats LIMIT 1`)).rows.length > 0, 60_000, 'the worker to start');
      const id = await orphan('orphan-of-a-dead-worker', 2_000);
      await waitFor(async () => (await status(id)).s === 'failed', 20_000, 'the run to be reaped');
      const [row] = await db
        .select({ late: sql<number>`extract(epoch from ${trainingRuns.endedAt} - ${trainingRuns.heartbeatAt})::float` })
        .from(trainingRuns)
        .where(eq(trainingRuns.id, id));
      expect(row.late).toBeGreaterThanOrEqual(5);
      expect(row.late).toBeLessThan(5 + 1 + 2); // + one 1-s tick, + slack for a loaded machine
    } finally {
      worker?.proc.kill('SIGKILL');
      await worker?.exited;
    }
  }, 90_000);
});
