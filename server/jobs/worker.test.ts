import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { userCaller } from '../trpc/test-helpers';
import { waitFor, workerPool } from '../testing/processes';
import { listWorkers } from './heartbeat';
import { readiness } from '../monitoring/health';
import { closeProducerBosses } from './queue';
import type { Db } from '../db/client';

// Judge workers stale quickly in this file (read lazily by config()).
process.env.WORKER_STALE_SECONDS = '3';

describe('job queue and worker processes', () => {
  let db: Db;
  let url: string;
  const workers = workerPool(() => url);
  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    url = t.url;
  });
  afterAll(async () => {
    await workers.killAll();
    await closeProducerBosses();
  });

  const startWorker = () => workers.start();

  it('a job enqueued by the web side is run by a worker process, which heartbeats', async () => {
    const w = startWorker();
    await waitFor(async () => (await listWorkers(db, 3)).some((x) => x.pid === w.proc.pid && x.state === 'alive'), 30_000, 'worker heartbeat');
    const engineer = await userCaller(db, 'engineer');
    const { jobId } = await engineer.system.ping({ message: 'hi' });
    const done = await waitFor(async () => {
      const r = await engineer.system.pingResult({ jobId });
      return r.state === 'completed' ? r : null;
    }, 20_000, 'ping completed');
    expect(done.output).toMatchObject({ pong: true, message: 'hi', pid: w.proc.pid });
    const r = await readiness(db, { initTensorflow: false });
    expect(r.workers.alive).toBe(1);
  });

  it('several workers share the queue: every job runs exactly once', async () => {
    const w2 = startWorker();
    await waitFor(async () => (await listWorkers(db, 3)).some((x) => x.pid === w2.proc.pid && x.state === 'alive'), 30_000, 'second worker');
    const engineer = await userCaller(db, 'engineer');
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => engineer.system.ping({ message: `m${i}`, sleepMs: 100 })));
    const results = await waitFor(async () => {
      const rs = await Promise.all(ids.map(({ jobId }) => engineer.system.pingResult({ jobId })));
      return rs.every((r) => r.state === 'completed') ? rs : null;
    }, 30_000, 'all pings');
    // Each job completed once, with its own message; the work was spread over the live workers.
    expect(results.map((r) => (r.output as { message: string }).message).sort()).toEqual(ids.map((_, i) => `m${i}`).sort());
    const pids = new Set(results.map((r) => (r.output as { pid: number }).pid));
    for (const pid of pids) expect(workers.list.map((w) => w.proc.pid)).toContain(pid);
  });

  it('a killed worker ages out: readiness says so', async () => {
    await workers.killAll();
    const r = await waitFor(async () => {
      const x = await readiness(db, { initTensorflow: false });
      return x.workers.alive === 0 ? x : null;
    }, 15_000, 'workers to go stale');
    expect(r.ready).toBe(false);
    expect(r.problems.join(' ')).toMatch(/no worker seen in the last 3s/);
    expect(r.workers.list.every((w) => w.state === 'stale')).toBe(true);
  });
});
