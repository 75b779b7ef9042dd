import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { randomWalkCandles, toCsv } from '../market/synthetic';
import { startRun, getRun, reapStaleRuns } from './runs';
import { listModels } from '../registry/versions';
import { closeProducerBosses } from '../jobs/queue';
import { runCli, waitFor, workerPool } from '../testing/processes';
import { createApiKey } from '../auth/apikeys';
import type { Db } from '../db/client';
import type { TrainRequestInput } from './params';

/** Training through the real queue: a worker process runs it; the CLI waits for it; a killed worker leaves no stuck run. */
describe('training runs on worker processes', () => {
  let db: Db;
  let url: string;
  const workers = workerPool(() => url);
  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    url = t.url;
    process.env.DATABASE_URL = url; // for the REST route module (appDb)
    await importCandles(db, { source: Buffer.from(toCsv(randomWalkCandles(3000, { seed: 9 }), 'mt-comma')), dataset: 'walk', symbol: 'WALK', actor: 'test' });
  });
  afterAll(async () => {
    await workers.killAll();
    await closeProducerBosses();
  });
  const startWorker = () => workers.start();

  it('cli train --wait --json: a worker runs the queued job; stdout is one JSON document with run and version', async () => {
    startWorker();
    const r = await runCli(['train', '--dataset', 'walk', '--model', 'logreg', '--epochs', '3', '--window', '8', '--wait', '--json'], { DATABASE_URL: url });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.run).toMatchObject({ status: 'succeeded', model: 'walk-logreg' });
    expect(doc.version).toMatchObject({ model: 'walk-logreg', version: 'v1' });
    expect(['candidate', 'rejected']).toContain(doc.version.status);
    expect(doc.version.metrics.confusion).toHaveLength(3);
    const run = await getRun(db, doc.run.id);
    expect(run.workerId).toMatch(/-\d+-/); // executed by the worker process, not the CLI
    expect(run.trigger).toBe('cli');
  }, 120_000);

  it('REST: POST /api/v1/train queues (202), a second start is 409, bad input is 400 naming the field', async () => {
    const { POST } = await import('../../app/api/v1/train/route');
    const { GET } = await import('../../app/api/v1/training-status/route');
    const { key } = await createApiKey(db, { name: 'trainer', scopes: ['train', 'read'] }, 'test');
    const h = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ dataset: 'walk', modelType: 'lstm', modelName: 'rest-lstm', epochs: 50, window: 8, units: 8, patience: 50 });
    const first = await POST(new Request('http://x/api/v1/train', { method: 'POST', headers: h, body }));
    expect(first.status).toBe(202);
    const { run } = await first.json();
    const second = await POST(new Request('http://x/api/v1/train', { method: 'POST', headers: h, body }));
    expect(second.status).toBe(409);
    expect((await second.json()).error.message).toContain(run.id);
    const bad = await POST(new Request('http://x/api/v1/train', { method: 'POST', headers: h, body: JSON.stringify({ dataset: 'walk', epochs: -1 }) }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.field).toBe('epochs');
    const status = await GET(new Request('http://x/api/v1/training-status', { headers: h }));
    expect((await status.json()).active.map((a: { id: string }) => a.id)).toContain(run.id);

    // Kill the worker mid-run: the run does not stay `running` — the reaper fails it; no version appears.
    await waitFor(async () => ((await getRun(db, run.id)).history as unknown[]).length > 0, 60_000, 'first epoch');
    await workers.killAll();
    await new Promise((r) => setTimeout(r, 3500));
    expect(await reapStaleRuns(db, 3)).toContain(run.id);
    const after = await getRun(db, run.id);
    expect(after.status).toBe('failed');
    expect(after.error).toMatch(/stopped responding/);
    expect((await listModels(db)).find((m) => m.name === 'rest-lstm')).toBeUndefined();
    // And the model is free for a new run.
    await expect(startRun(db, { dataset: 'walk', modelName: 'rest-lstm', epochs: 1 } as TrainRequestInput, 'test')).resolves.toMatchObject({ status: 'queued' });
  }, 120_000);
});
