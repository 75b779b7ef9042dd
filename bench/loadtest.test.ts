import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../server/db/test-db';
import { importCandles } from '../server/market/import';
import { plantedSignalCandles, toCsv } from '../server/market/synthetic';
import { startRun } from '../server/training/runs';
import { executeRun } from '../server/training/pipeline';
import { applyNewVersionPolicy } from '../server/promotion/actions';
import { createApiKey } from '../server/auth/apikeys';
import { closeProducerBosses } from '../server/jobs/queue';
import { freePort } from '../server/db/embedded';
import { spawnTs, waitFor, type Spawned } from '../server/testing/processes';
import { logger } from '../server/log';
import type { TrainRequestInput } from '../server/training/params';
import { parseStages, predictChecks, targetAt, FULL_STAGES, SHORT_STAGES, type Summary } from './loadtest';

describe('loadtest profile (pure parts)', () => {
  it('ramps like k6 stages: linear from the previous target, starting at one VU', () => {
    const stages = parseStages('10s:10,10s:20');
    expect(stages).toEqual([{ durationS: 10, target: 10 }, { durationS: 10, target: 20 }]);
    expect([0, 5, 10, 15, 19.9, 20].map((t) => targetAt(stages, t))).toEqual([1, 6, 10, 15, 20, 0]);
    expect(parseStages('1m30s:5')[0].durationS).toBe(90);
    expect(() => parseStages('10:5')).toThrow(/not a duration/);
    expect(FULL_STAGES.map((s) => s.target)).toEqual([10, 20, 30, 40, 50]);
    expect(SHORT_STAGES.reduce((a, s) => a + s.durationS, 0)).toBeLessThanOrEqual(30);
  });

  it("checks the /predict answer's shape", () => {
    const ok = JSON.stringify({ prediction: { direction: 'BUY', confidence: 71.4 } });
    expect(Object.values(predictChecks({ status: 200, body: ok }))).toEqual([true, true, true]);
    expect(predictChecks({ status: 200, body: JSON.stringify({ prediction: { direction: 'BUY', confidence: null } })})['predict: confidence in 0–100']).toBe(false);
    expect(predictChecks({ status: 200, body: JSON.stringify({ prediction: { direction: 'UP', confidence: 101 } }) })).toMatchObject({ 'predict: prediction.direction present': false, 'predict: confidence in 0–100': false });
    expect(Object.values(predictChecks({ status: 500, body: 'oops' }))).toEqual([false, false, false]);
  });
});

/** `npm run loadtest -- --url …` against a real serve process, with tiny stages: the summary JSON and the exit code. */
describe('npm run loadtest against a serve process', () => {
  let key = '';
  let port = 0;
  let serve: Spawned;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signalops-loadtest-'));

  beforeAll(async () => {
    const t = await createTestDb();
    await importCandles(t.db, { source: Buffer.from(toCsv(plantedSignalCandles(3000, 3), 'mt-comma')), dataset: 'planted', symbol: 'EURUSD', actor: 'test' });
    const r = await startRun(t.db, { dataset: 'planted', modelName: 'signals', modelType: 'lstm', units: 16, window: 16, epochs: 2, batchSize: 64, patience: 2, seed: 7, gate: { minAccuracy: 0, minMacroF1: 0, minWinRate: 0 } } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(t.db, r.id, { workerId: 'test', log: logger(), onRegistered: (v) => applyNewVersionPolicy(t.db, v) });
    expect(out.version?.status, out.error).toBe('candidate');
    key = (await createApiKey(t.db, { name: 'trading-app', scopes: ['predict'] }, 'test')).key;
    port = await freePort();
    serve = spawnTs('server/bin/serve.ts', [], { DATABASE_URL: t.url, INFERENCE_PORT: String(port), HOSTNAME: '127.0.0.1', SERVE_WORKERS: '1' });
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/health`).then((x) => x.json(), () => null)) as { model_loaded?: boolean } | null)?.model_loaded, 60_000, 'serve with a model');
  }, 180_000);
  afterAll(async () => {
    serve?.proc.kill('SIGTERM');
    await serve?.exited;
    await closeProducerBosses();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const loadtest = async (name: string, extra: string[]) => {
    const summary = path.join(dir, `${name}.json`);
    const p = spawnTs('bench/loadtest.ts', ['--url', `http://127.0.0.1:${port}`, '--stages', '2s:3,2s:5', '--summary', summary, ...extra], { SIGNALOPS_API_KEY: key });
    const code = await p.exited;
    return { code, out: p.stdout() + p.stderr(), summary: fs.existsSync(summary) ? (JSON.parse(fs.readFileSync(summary, 'utf8')) as Summary) : null };
  };

  it('passes the thresholds and writes a k6-style summary', async () => {
    const r = await loadtest('pass', []);
    expect(r.code, r.out).toBe(0);
    const s = r.summary!;
    expect(s.signalops.ok).toBe(true);
    expect(s.metrics.http_req_duration).toMatchObject({ type: 'trend', thresholds: { 'p(95)<500': { ok: true } } });
    expect(typeof s.metrics.http_req_duration.values['p(95)']).toBe('number');
    expect(s.metrics.http_req_failed).toMatchObject({ type: 'rate', values: { rate: 0, passes: 0 }, thresholds: { 'rate<0.01': { ok: true } } });
    expect(s.metrics.checks.values.fails).toBe(0);
    // every VU: /health then /predict, so the two counts match and each predict had three checks
    const reqs = s.metrics.http_reqs.values.count!;
    expect(reqs).toBeGreaterThan(4);
    expect(s.root_group.checks.map((c) => c.name)).toEqual(['health: status is 200', 'predict: status is 200', 'predict: prediction.direction present', 'predict: confidence in 0–100']);
    for (const c of s.root_group.checks) expect(c.passes).toBe(reqs / 2);
    expect(s.metrics.vus_max.values.value).toBe(5);
    expect(r.out).toMatch(/✓ http_req_duration/);
  });

  it('exits non-zero (99, as k6) when a threshold fails: an absurd p95, a route that fails', async () => {
    const [slow, broken] = await Promise.all([loadtest('p95', ['--p95', '0.001']), loadtest('broken', ['--predict-path', '/no-such-route'])]);
    expect(slow.code, slow.out).toBe(99);
    expect(slow.summary!.signalops.thresholds.find((t) => t.metric === 'http_req_duration')!.ok).toBe(false);
    expect(slow.summary!.signalops.thresholds.filter((t) => !t.ok)).toHaveLength(1);
    expect(slow.out).toMatch(/THRESHOLDS FAILED: http_req_duration p\(95\)<0\.001/);
    expect(broken.code, broken.out).toBe(99);
    expect(broken.summary!.metrics.http_req_failed.values.rate).toBe(0.5);
    expect(broken.summary!.root_group.checks.find((c) => c.name === 'predict: status is 200')!.passes).toBe(0);
    expect(broken.summary!.signalops.statuses['404']).toBeGreaterThan(0);
  });

  it('says what is wrong when the key is missing (exit 2)', async () => {
    const p = spawnTs('bench/loadtest.ts', ['--url', `http://127.0.0.1:${port}`, '--stages', '1s:1'], { SIGNALOPS_API_KEY: '' });
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/--url needs an API key with the predict scope/);
  });
});
