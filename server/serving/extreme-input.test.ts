import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { loadCandleColumns } from '../market/store';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES } from '../market/indicators';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { isDomainError, statusOf } from '../errors';
import { setModelSymbols } from '../promotion/traffic';
import { setSplit, applyNewVersionPolicy } from '../promotion/actions';
import { InferenceEngine, engineOptionsFromEnv } from './engine';
import { PredictionLogWriter, type PredictionLogEntry } from './prediction-log';
import type { Db } from '../db/client';
import type { TrainRequestInput } from './../training/params';

const log = logger().child({ test: 'extreme-input' });
const full = (row: ArrayLike<number>) => Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, row[i]]));

/**
 * Issue 12, finding 5: in-range extreme inputs (`macd_line: 1e308`, `ema_12: 5e-324`) answered 200 with
 * `confidence: null` and an actionable direction, and their prediction-log rows (`real[]` features) made the batched
 * insert fail, dropping other clients' rows.
 */
describe('extreme indicator values (issue 12, finding 5)', () => {
  let db: Db;
  let engine: InferenceEngine;
  let row: number[];

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(4000, 3), 'mt-comma')), dataset: 'planted', symbol: 'PLNT', actor: 'test' });
    const r = await startRun(db, { dataset: 'planted', modelName: 'signals', modelType: 'lstm', units: 16, window: 16, epochs: 6, batchSize: 64, patience: 3, seed: 7 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log, onRegistered: (v) => applyNewVersionPolicy(db, v) });
    expect(out.version, out.error ?? undefined).toBeTruthy();
    await setModelSymbols(db, { model: 'signals', anySymbol: true }, 'user:t');
    if (out.version!.status !== 'candidate') throw new Error(`version is ${out.version!.status}`);
    await setSplit(db, { model: 'signals', split: [{ version: 'v1', percent: 100 }], comment: 'test' }, 'user:t').catch(() => undefined);
    engine = await new InferenceEngine(db, t.url, log, { ...engineOptionsFromEnv({}), cacheTtlMs: 0 }).start();
    const m = computeFeatures(await loadCandleColumns(db, 'planted'));
    const last = m.n - 1;
    row = Array.from(m.values.subarray(last * FEATURE_COUNT, (last + 1) * FEATURE_COUNT));
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    await closeProducerBosses();
  });

  const attempt = async (indicators: Record<string, number>) => {
    try {
      return { status: 200, body: JSON.parse(JSON.stringify(await engine.predict({ symbol: 'XTRM', indicators }))) };
    } catch (e) {
      if (!isDomainError(e)) throw e;
      return { status: statusOf(e), message: e.message, field: e.details?.field as string | undefined };
    }
  };

  it('macd_line 1e308 and ema_12 5e-324 are 400s naming the field', async () => {
    for (const [name, value] of [
      ['macd_line', 1e308],
      ['ema_12', 5e-324],
    ] as const) {
      for (const indicators of [{ [name]: value }, { ...full(row), [name]: value }]) {
        const r = await attempt(indicators);
        expect(r.status, JSON.stringify(r)).toBe(400);
        expect(r.message).toContain(name);
      }
    }
  });

  it('a plausible raw value whose scaled model input is absurd (ema_12 1e-17 against prices near 1) is a 400 naming the input', async () => {
    const r = await attempt({ ...full(row), ema_12: 1e-17 });
    expect(r.status, JSON.stringify(r)).toBe(400);
    expect(r.message).toMatch(/ema_12/);
    expect(r.message).toMatch(/standard deviations|not a finite number/);
  });

  it('any extreme value in any indicator: a 4xx, or a 200 with a finite confidence in 0–100 (never confidence null)', async () => {
    const extremes = [1e308, -1e308, 3.5e38, 1e18, -1e18, 1e17, 1e-18, 1e-40, 5e-324, -5e-324, 0];
    for (const name of FEATURE_NAMES) {
      for (const value of extremes) {
        const r = await attempt({ ...full(row), [name]: value });
        if (r.status === 200) {
          const p = r.body.prediction;
          expect(Number.isFinite(p.confidence), `${name}=${value}: ${JSON.stringify(p)}`).toBe(true);
          expect(p.confidence).toBeGreaterThanOrEqual(0);
          expect(p.confidence).toBeLessThanOrEqual(100);
          for (const k of ['BUY', 'HOLD', 'SELL']) expect(Number.isFinite(p.probabilities[k])).toBe(true);
        } else {
          expect(r.status, `${name}=${value}`).toBeGreaterThanOrEqual(400);
          expect(r.status, `${name}=${value}`).toBeLessThan(500);
          expect(r.field, `${name}=${value}: ${r.message}`).toBeTruthy();
        }
      }
    }
  }, 120_000);

  it('the prediction log keeps the other rows of a batch when the database rejects one (a feature beyond real)', async () => {
    const entry = (i: number, features: number[]): PredictionLogEntry => ({
      at: Date.now(),
      modelName: 'iso',
      versionId: '00000000-0000-0000-0000-000000000001',
      version: 1,
      symbol: `ISO${i}`,
      barTime: null,
      inputHash: `h${i}`,
      direction: 'BUY',
      confidence: 61.5,
      probabilities: [0.1, 0.3, 0.6],
      latencyMs: 1,
      cacheHit: false,
      imputed: [],
      stepsReal: 8,
      features,
    });
    const w = new PredictionLogWriter(db, log, 'test', { maxBuffer: 1000, flushMs: 60_000, batchSize: 500 });
    const ok = Array.from({ length: 16 }, (_, k) => k + 1);
    for (let i = 0; i < 100; i++) w.push(entry(i, i === 37 || i === 80 ? ok.map((v, k) => (k === 11 ? 1e39 : v)) : ok));
    await w.stop();
    expect(w.stats).toMatchObject({ written: 98, failedWrites: 2 });
    const n = Number((await db.execute(sql`select count(*)::int as n from prediction_log where model_name = 'iso'`)).rows[0].n);
    expect(n).toBe(98);
  });
});
