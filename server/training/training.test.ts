import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, randomWalkCandles, toCsv } from '../market/synthetic';
import { loadCandleColumns } from '../market/store';
import { buildSamples } from '../market/samples';
import { startRun, getRun, cancelRun, reapStaleRuns } from './runs';
import { executeRun } from './pipeline';
import { getVersion, listModels, loadVersionArtifact, archiveVersion } from '../registry/versions';
import { loadArtifact } from '../ml/artifact';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { trainingRuns, modelVersions } from '../../drizzle/schema';
import type { Db } from '../db/client';
import type { TrainRequestInput } from './params';

const log = logger().child({ test: 'training' });
const QUICK: Partial<TrainRequestInput> = { modelType: 'lstm', units: 16, window: 16, horizon: 12, epochs: 6, batchSize: 64, patience: 3, seed: 7 };


describe('training pipeline and registry', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    await importCandles(db, { source: Buffer.from(toCsv(randomWalkCandles(4000, { seed: 5 }), 'mt-comma')), dataset: 'walk', symbol: 'WALK', actor: 'test' });
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(4000, 3), 'mt-comma')), dataset: 'planted', symbol: 'PLNT', actor: 'test' });
  });
  afterAll(() => closeProducerBosses());

  const run = async (input: TrainRequestInput) => {
    const r = await startRun(db, input, 'user:tester');
    const out = await executeRun(db, r.id, { workerId: 'test-worker', log });
    return { run: await getRun(db, r.id), out };
  };

  it('a random-walk dataset yields a rejected version, with the reasons stored', async () => {
    const { run: r, out } = await run({ ...QUICK, dataset: 'walk', modelName: 'walk-lstm' } as TrainRequestInput);
    expect(out.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    expect((r.stages as { status: string }[]).every((s) => s.status === 'done')).toBe(true);
    expect((r.history as unknown[]).length).toBeGreaterThan(0);
    const v = await getVersion(db, 'walk-lstm', 'v1');
    expect(v.status).toBe('rejected');
    const gate = v.gate as { passed: boolean; reasons: string[] };
    expect(gate.passed).toBe(false);
    expect(gate.reasons.join(' ')).toMatch(/no clear directional edge|does not clearly beat the prior-matched random baseline|below the minimum/);
  }, 180_000);

  it('a planted-signal dataset yields a candidate with metrics, weights and lineage', async () => {
    const { run: r } = await run({ ...QUICK, dataset: 'planted', modelName: 'planted-lstm' } as TrainRequestInput);
    expect(r.status, r.error ?? '').toBe('succeeded');
    const v = await getVersion(db, 'planted-lstm', 1);
    const gate = v.gate as { passed: boolean; reasons: string[] };
    expect(gate.passed, gate.reasons.join('; ')).toBe(true);
    expect(v.status).toBe('candidate');
    const m = v.metrics as { macroF1: number; confusion: number[][]; baselines: { priorRandom: { macroF1: number; diff: { lower: number } }; logreg: { macroF1: number } }; backtest: { trades: number }; calibration: { temperature: number } };
    expect(m.macroF1).toBeGreaterThan(m.baselines.priorRandom.macroF1);
    expect(m.baselines.priorRandom.diff.lower).toBeGreaterThan(0);
    expect(m.baselines.logreg.macroF1).toBeGreaterThan(0);
    expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect(m.backtest.trades).toBeGreaterThan(0);
    expect(m.calibration.temperature).toBeGreaterThan(0);
    // 16 indicator weights summing to 1; RSI (the planted driver) carries real weight.
    const w = (v.indicatorWeights as { weights: { indicator: string; weight: number }[] }).weights;
    expect(w).toHaveLength(16);
    expect(w.reduce((a, b) => a + b.weight, 0)).toBeCloseTo(1, 6);
    const lineage = v.lineage as { dataset: { candles: { hash: string } }; seed: number; runId: string; startedBy: string; tensorflow: { backend: string } };
    expect(lineage).toMatchObject({ seed: 7, runId: r.id, startedBy: 'user:tester' });
    expect(lineage.tensorflow.backend).toBeTruthy();
    expect(v.artifact).toMatchObject({ window: 16, inputTransform: 'rel-ema12-v1' });
  }, 180_000);

  it('loading a version back reproduces its stored test predictions exactly', async () => {
    const v = await getVersion(db, 'planted-lstm', 'v1');
    const { artifact, testPredictions } = await loadVersionArtifact(db, v.id);
    const lineage = v.lineage;
    const samples = buildSamples(await loadCandleColumns(db, 'planted'), { window: lineage.dataset.params.window, label: lineage.dataset.params.label });
    const predictor = await loadArtifact(artifact);
    const again = predictor.predictProba(samples.test.x, samples.test.n);
    predictor.dispose();
    expect(again.length).toBe(testPredictions.length);
    expect(Array.from(again)).toEqual(Array.from(testPredictions));
  });

  it('one active run per model: CONFLICT naming the run, unless force; cancel works', async () => {
    const first = await startRun(db, { ...QUICK, dataset: 'walk', modelName: 'busy' } as TrainRequestInput, 'user:a');
    await expect(startRun(db, { ...QUICK, dataset: 'walk', modelName: 'busy' } as TrainRequestInput, 'user:b')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(first.id),
    });
    const second = await startRun(db, { ...QUICK, dataset: 'walk', modelName: 'busy', force: true } as TrainRequestInput, 'user:b');
    expect((await getRun(db, first.id)).status).toBe('cancelled');
    await cancelRun(db, second.id, 'user:b');
    // A cancelled run is never executed.
    expect((await executeRun(db, second.id, { workerId: 'w', log })).status).toBe('cancelled');
    await expect(startRun(db, { ...QUICK, dataset: 'nope' } as TrainRequestInput, 'user:a')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(startRun(db, { ...QUICK, dataset: 'walk', epochs: 0 } as TrainRequestInput, 'user:a')).rejects.toThrow(/epochs/);
  });

  it('a run whose worker stopped heart-beating is failed by the reaper, leaving no version', async () => {
    const r = await startRun(db, { ...QUICK, dataset: 'walk', modelName: 'orphan' } as TrainRequestInput, 'user:a');
    // Simulate a worker that claimed the run and died.
    await db.update(trainingRuns).set({ status: 'running', heartbeatAt: new Date(Date.now() - 120_000), workerId: 'dead' }).where(eq(trainingRuns.id, r.id));
    expect(await reapStaleRuns(db, 60)).toEqual([r.id]);
    const after = await getRun(db, r.id);
    expect(after.status).toBe('failed');
    expect(after.error).toMatch(/stopped responding/);
    expect((await listModels(db)).find((m) => m.name === 'orphan')).toBeUndefined();
  });

  it('versions are immutable and numbered per model; archive keeps them', async () => {
    const { run: r } = await run({ ...QUICK, modelType: 'logreg', epochs: 3, dataset: 'planted', modelName: 'planted-lstm' } as TrainRequestInput);
    expect(r.status).toBe('succeeded');
    const models = await listModels(db);
    const planted = models.find((m) => m.name === 'planted-lstm')!;
    expect(planted.versions.map((v) => v.label)).toEqual(['v2', 'v1']);
    const v2 = await getVersion(db, 'planted-lstm', 'v2');
    expect((v2.indicatorWeights as { previousVersion: number }).previousVersion).toBe(1);
    await archiveVersion(db, 'planted-lstm', 'v2', 'user:a');
    expect((await getVersion(db, 'planted-lstm', 'v2')).status).toBe('archived');
    await expect(archiveVersion(db, 'planted-lstm', 'v2', 'user:a')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(getVersion(db, 'planted-lstm', 'v9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const rows = await db.select().from(modelVersions);
    expect(rows.length).toBe(3);
  });
});
