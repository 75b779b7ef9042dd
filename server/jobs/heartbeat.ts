import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { workerHeartbeats } from '../../drizzle/schema';

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: Date;
  lastSeenAt: Date;
  currentJob: string | null;
  stoppedAt: Date | null;
  /** Seconds since the last heartbeat. */
  ageSeconds: number;
  state: 'alive' | 'stale' | 'stopped';
}

export async function beat(db: Db, w: { id: string; host: string; pid: number; version: string; startedAt: Date; currentJob: string | null }) {
  const now = new Date();
  await db
    .insert(workerHeartbeats)
    .values({ ...w, lastSeenAt: now })
    .onConflictDoUpdate({ target: workerHeartbeats.id, set: { lastSeenAt: now, currentJob: w.currentJob } });
}

export async function markStopped(db: Db, id: string) {
  await db.update(workerHeartbeats).set({ stoppedAt: new Date(), currentJob: null }).where(eq(workerHeartbeats.id, id));
}

/** Workers seen in the last day, newest first, with their state judged against `staleSeconds`. */
export async function listWorkers(db: Db, staleSeconds: number): Promise<WorkerInfo[]> {
  const rows = await db
    .select({
      w: workerHeartbeats,
      age: sql<number>`extract(epoch from (now() - ${workerHeartbeats.lastSeenAt}))::float8`,
    })
    .from(workerHeartbeats)
    .where(sql`${workerHeartbeats.lastSeenAt} > now() - interval '1 day'`)
    .orderBy(desc(workerHeartbeats.lastSeenAt));
  return rows.map(({ w, age }) => ({
    ...w,
    ageSeconds: Math.max(0, Math.round(age * 10) / 10),
    state: w.stoppedAt ? 'stopped' : age > staleSeconds ? 'stale' : 'alive',
  }));
}
