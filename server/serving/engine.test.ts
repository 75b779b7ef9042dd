import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { loadCandleColumns } from '../market/store';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES } from '../market/indicators';
import { buildSamples } from '../market/samples';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { getVersion, loadVersionArtifact } from '../registry/versions';
import { closeProducerBosses } from '../jobs/queue';
import { getTf } from '../ml/backend';
import { logger } from '../log';
import { InferenceEngine, engineOptionsFromEnv } from './engine';
import { setModelSymbols } from '../promotion/traffic';
import { setSplit, applyNewVersionPolicy } from '../promotion/actions';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';
import type { PredictResponse } from './schemas';

const log = logger().child({ test: 'serving' });


const full = (row: ArrayLike<number>) => Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, row[i]]));

describe('inference engine', () => {
  let db: Db;
  let url: string;
  let engine: InferenceEngine;
  let featureRows: number[][];
  const train = async (input: Partial<TrainRequestInput>) => {
    const r = await startRun(db, { dataset: 'planted', modelName: 'signals', modelType: 'lstm', units: 16, window: 16, epochs: 6, batchSize: 64, patience: 3, seed: 7, ...input } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log, onRegistered: (v) => applyNewVersionPolicy(db, v) });
    if (out.status !== 'succeeded') throw new Error(out.error);
    return out.version!;
  };

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    url = t.url;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(4000, 3), 'mt-comma')), dataset: 'planted', symbol: 'PLNT', actor: 'test' });
    const v1 = await train({});
    expect(v1.status).toBe('candidate');
    // The model serves its training symbol PLNT; marked "any symbol" so that these tests can use fresh symbols
    // (routing by symbol has its own tests in symbols.test.ts).
    await setModelSymbols(db, { model: 'signals', anySymbol: true }, 'user:t');
    engine = await new InferenceEngine(db, url, log, { ...engineOptionsFromEnv({}), cacheTtlMs: 60_000 }).start();
    const m = computeFeatures(await loadCandleColumns(db, 'planted'));
    featureRows = [];
    for (let i = 0; i < m.n; i++) if (m.valid[i]) featureRows.push(Array.from(m.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)));
  }, 120_000);
  afterAll(async () => {
    await engine?.stop();
    await closeProducerBosses();
  });

  it("answers today's smoke-test payload, naming the version and the imputed fields", async () => {
    const r = await engine.predict({ symbol: 'PLNT', indicators: { rsi_value: 50 } });
    expect(r).toMatchObject({ symbol: 'PLNT', model: 'signals', model_version: 'v1', cache_hit: false, window: 16 });
    expect(r.imputed).toHaveLength(15);
    expect(r.imputed).not.toContain('rsi_value');
    // The symbol's history comes from the imported candles: a full window of real steps.
    expect(r.steps_real).toBe(16);
    expect(r.warmup).toBe(false);
    const p = r.prediction;
    expect(p.probabilities.BUY + p.probabilities.HOLD + p.probabilities.SELL).toBeCloseTo(100, 1);
    expect(p.confidence).toBe(Math.max(p.probabilities.BUY, p.probabilities.HOLD, p.probabilities.SELL));
    expect(['BUY', 'HOLD', 'SELL']).toContain(p.direction);
    // An unknown symbol: history empty → warm-up, missing fields from the training medians.
    const cold = await engine.predict({ symbol: 'NEWSYM', indicators: full(featureRows[500]) });
    expect(cold).toMatchObject({ steps_real: 1, warmup: true, imputed: [] });
  });

  it('serves exactly what training measured: no train/serve skew', async () => {
    const v = await getVersion(db, 'signals', 'v1');
    const { testPredictions } = await loadVersionArtifact(db, v.id);
    const lineage = v.lineage;
    const s = buildSamples(await loadCandleColumns(db, 'planted'), { window: lineage.dataset.params.window, label: lineage.dataset.params.label });
    const cols = await loadCandleColumns(db, 'planted');
    const m = computeFeatures(cols);
    for (const k of [0, Math.floor(s.test.n / 2), s.test.n - 1]) {
      const end = s.test.endIndex[k];
      const window = [];
      for (let i = end - 15; i <= end; i++) window.push(Array.from(m.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)));
      const r = await engine.predict({ symbol: 'SKEW', indicators: full(window[15]), window, model_version: 'v1' });
      const stored = [testPredictions[k * 3], testPredictions[k * 3 + 1], testPredictions[k * 3 + 2]];
      expect(r.prediction.probabilities.SELL).toBeCloseTo(stored[0] * 100, 2);
      expect(r.prediction.probabilities.HOLD).toBeCloseTo(stored[1] * 100, 2);
      expect(r.prediction.probabilities.BUY).toBeCloseTo(stored[2] * 100, 2);
    }
  });

  it('batched and single predictions give identical outputs; concurrent requests share a batch', async () => {
    const reqs = featureRows.slice(1000, 1040).map((row, i) => ({ symbol: `B${i}`, indicators: full(row) }));
    const single: PredictResponse[] = [];
    for (const r of reqs) single.push(await engine.predict(r));
    await engine.reload('test: clear cache');
    const before = engine.info().batching['signals@v1'].maxSize;
    const together = await Promise.all(reqs.map((r) => engine.predict(r)));
    expect(together.every((r) => !r.cache_hit)).toBe(true);
    expect(together.map((r) => r.prediction)).toEqual(single.map((r) => r.prediction));
    expect(engine.info().batching['signals@v1'].maxSize).toBeGreaterThan(Math.max(1, before) - 1);
    expect(engine.info().batching['signals@v1'].maxSize).toBeGreaterThanOrEqual(20);
  });

  it('caches by version and input: hit, TTL expiry, invalidation on reload', async () => {
    const req = { symbol: 'CACHE', indicators: full(featureRows[1500]), window: featureRows.slice(1485, 1501) };
    expect((await engine.predict(req)).cache_hit).toBe(false);
    expect((await engine.predict(req)).cache_hit).toBe(true);
    await engine.reload('test');
    expect((await engine.predict(req)).cache_hit).toBe(false);
    const short = await new InferenceEngine(db, url, log, { ...engineOptionsFromEnv({}), cacheTtlMs: 30 }).start();
    try {
      expect((await short.predict(req)).cache_hit).toBe(false);
      expect((await short.predict(req)).cache_hit).toBe(true);
      await new Promise((r) => setTimeout(r, 60));
      expect((await short.predict(req)).cache_hit).toBe(false);
    } finally {
      await short.stop();
    }
  });

  it('routes by the traffic split within binomial bounds; pins; sticky keys stay put', async () => {
    const v2 = await train({ force: true }); // an identical copy, registered on purpose: routing counts versions
    expect(v2.status).toBe('candidate');
    await setSplit(db, { model: 'signals', comment: 'test 70/30', split: [{ version: 'v1', percent: 70 }, { version: 'v2', percent: 30 }] }, 'user:t');
    await engine.reload('test');
    const N = 2000;
    const req = { symbol: 'ROUTE', indicators: full(featureRows[2000]), window: featureRows.slice(1985, 2001) };
    let v1 = 0;
    for (let i = 0; i < N; i++) if ((await engine.predict(req)).model_version === 'v1') v1++;
    const sd = Math.sqrt((0.7 * 0.3) / N);
    expect(Math.abs(v1 / N - 0.7)).toBeLessThan(4 * sd);
    for (let i = 0; i < 20; i++) expect((await engine.predict({ ...req, model_version: 'v2' })).model_version).toBe('v2');
    const sticky = new Set<string>();
    for (let i = 0; i < 50; i++) sticky.add((await engine.predict({ ...req, routing_key: 'EURUSD' })).model_version);
    expect(sticky.size).toBe(1);
  });

  it('keeps the tensor count flat over 10,000 predictions', async () => {
    const tf = getTf();
    const reqs = featureRows.slice(0, 200).map((row, i) => ({ symbol: `M${i % 7}`, indicators: full(row) }));
    await Promise.all(reqs.slice(0, 50).map((r) => engine.predict(r)));
    const before = tf.memory().numTensors;
    for (let k = 0; k < 50; k++) {
      await engine.reload('test: no cache'); // every round recomputes
      await Promise.all(reqs.map((r) => engine.predict(r)));
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('bad input: 400 naming the field; unknown version 404; oversized batch 413; nothing logged for them', async () => {
    await engine.predictionLog.flush();
    const count = async () => Number((await db.execute(sql`select count(*)::int as n from prediction_log`)).rows[0].n);
    const before = await count();
    const bad: Array<[unknown, number, RegExp]> = [
      [{ symbol: 'X', indicators: { rsi_value: 140 } }, 400, /rsi_value must be ≤ 100/],
      [{ symbol: 'X', indicators: { rsi_value: 'abc' } }, 400, /indicators\.rsi_value: rsi_value must be a number/],
      [{ symbol: 'X', indicators: { rsi_value: null } }, 400, /rsi_value/],
      [{ indicators: { rsi_value: 50 } }, 400, /symbol/],
      [{ symbol: 'bad symbol!', indicators: {} }, 400, /symbol must be/],
      [{ symbol: 'X', indicators: { rsi: 50 } }, 400, /unknown field rsi/],
      [{ symbol: 'X', indicators: { rsi_value: 50 }, strict: true }, 400, /missing adx_value/],
      [{ symbol: 'X', indicators: { ema_12: -1 } }, 400, /ema_12 must be > 0/],
      [{ symbol: 'X', indicators: {}, model_version: 'v99' }, 404, /has no version v99/],
      [{ symbol: 'X', indicators: {}, model: 'nope' }, 503, /no traffic split/],
      [{ symbol: 'X', indicators: {}, window: [[1, 2, 3]] }, 400, /16 indicators/],
      ['not an object', 400, /body|expected object/],
    ];
    for (const [input, status, msg] of bad) {
      const e = await engine.predict(input).catch((x) => x);
      expect(e.status, JSON.stringify(input)).toBe(status);
      expect(e.message, JSON.stringify(input)).toMatch(msg);
    }
    const big = await engine.predictBatch({ requests: Array.from({ length: 1001 }, () => ({ symbol: 'X', indicators: {} })) }).catch((x) => x);
    expect(big.status).toBe(413);
    // Batch: each item on its own.
    const mixed = await engine.predictBatch([{ symbol: 'PLNT', indicators: { rsi_value: 40 } }, { symbol: 'PLNT', indicators: { rsi_value: 400 } }]);
    expect(mixed).toMatchObject({ total_requests: 2, successful_predictions: 1, errors: [{ index: 1, symbol: 'PLNT', status: 400 }] });
    await engine.predictionLog.flush();
    expect(await count()).toBe(before + 1);
  });

  it('no servable model → 503 telling what to do', async () => {
    const empty = await createTestDb();
    const e2 = await new InferenceEngine(empty.db, empty.url, log, engineOptionsFromEnv({})).start();
    try {
      await expect(e2.predict({ symbol: 'X', indicators: { rsi_value: 50 } })).rejects.toMatchObject({ status: 503, message: 'No servable model: train and promote a model first.' });
    } finally {
      await e2.stop();
    }
  });
});
