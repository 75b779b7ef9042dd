import { beforeAll, describe, expect, it } from 'vitest';
import { getTf, initTf } from './backend';
import { macroF1, majorityBaseline, priorRandomBaseline, macroF1DiffInterval } from './metrics';
import { argmaxRows, createModel, MODEL_TYPES, predictLogits } from './models';
import { noiseSamples, plantedSamples } from './testing';
import { lossAndAccuracy, trainModel, TrainingCancelledError, type EpochReport } from './train';

const tf = getTf();
beforeAll(async () => {
  await initTf();
});

const T = 5;
const F = 4;

describe('model zoo', () => {
  it.each(MODEL_TYPES)('%s learns a planted signal above both naive baselines', async (type) => {
    const train = plantedSamples(600, T, F, 1);
    const val = plantedSamples(200, T, F, 2);
    const test = plantedSamples(300, T, F, 3);
    const r = await trainModel(
      { model: { type, ...(type === 'lstm' || type === 'gru' ? { units: 12 } : {}) } as never, epochs: 12, batchSize: 32, learningRate: 0.02, seed: 3, patience: 4 },
      { train, val, timeSteps: T, features: F },
    );
    const pred = argmaxRows(predictLogits(r.model, test.x, test.n), 3);
    const f1 = macroF1(test.y, pred);
    const majority = majorityBaseline(train.y, test.n);
    const random = priorRandomBaseline(train.y, test.n, 1);
    expect(f1).toBeGreaterThan(0.7);
    expect(f1).toBeGreaterThan(macroF1(test.y, majority) + 0.3);
    expect(macroF1DiffInterval(test.y, pred, random, { seed: 1, resamples: 200 }).lower).toBeGreaterThan(0);
    r.model.dispose();
  });

  it('is deterministic with a fixed seed (weights and history), and seeds differ', async () => {
    const shape = { timeSteps: T, features: F, classes: 3 };
    for (const type of MODEL_TYPES) {
      const a = createModel({ type }, shape, 9);
      const b = createModel({ type }, shape, 9);
      const c = createModel({ type }, shape, 10);
      expect(a.getWeights()).toEqual(b.getWeights());
      expect(a.getWeights()).not.toEqual(c.getWeights());
      [a, b, c].forEach((m) => m.dispose());
    }
    const data = { train: plantedSamples(200, T, F, 4), val: plantedSamples(60, T, F, 5), timeSteps: T, features: F };
    const cfg = { model: { type: 'lstm' as const, units: 8 }, epochs: 3, batchSize: 32, seed: 21 };
    const r1 = await trainModel(cfg, data);
    const r2 = await trainModel(cfg, data);
    expect(r1.history.map((h) => [h.loss, h.valLoss, h.accuracy])).toEqual(r2.history.map((h) => [h.loss, h.valLoss, h.accuracy]));
    expect(r1.model.getWeights()).toEqual(r2.model.getWeights());
    r1.model.dispose();
    r2.model.dispose();
  });
});

describe('training loop', () => {
  it('reports every epoch and stops early on validation loss, restoring the best weights', async () => {
    // Few noisy samples and a large learning rate: the model overfits and the validation loss climbs.
    const reports: EpochReport[] = [];
    const data = { train: noiseSamples(64, T, F, 6), val: noiseSamples(64, T, F, 7), timeSteps: T, features: F };
    const r = await trainModel(
      { model: { type: 'lstm', units: 32 }, epochs: 40, batchSize: 16, learningRate: 0.05, seed: 1, patience: 3 },
      data,
      { onEpoch: (e) => void reports.push(e) },
    );
    expect(r.stoppedEarly).toBe(true);
    expect(reports).toHaveLength(r.history.length);
    expect(r.history.length).toBe(r.bestEpoch + 3);
    const best = r.history[r.bestEpoch - 1];
    expect(best.best).toBe(true);
    expect(Math.min(...r.history.map((h) => h.valLoss as number))).toBe(best.valLoss);
    // The returned model holds the best epoch's weights: it reproduces that epoch's validation loss.
    const now = lossAndAccuracy(predictLogits(r.model, data.val.x, data.val.n), data.val.y);
    expect(now.loss).toBeCloseTo(best.valLoss as number, 6);
    expect(now.loss).toBeLessThan(r.history.at(-1)!.valLoss as number);
    for (const e of reports) {
      expect(e).toMatchObject({ epochs: 40 });
      expect(e.elapsedMs).toBeGreaterThan(0);
      expect(e.etaMs).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(e.loss) && Number.isFinite(e.accuracy)).toBe(true);
    }
    r.model.dispose();
  });

  it('cancels through an AbortSignal and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const data = { train: plantedSamples(256, T, F, 8), timeSteps: T, features: F };
    await expect(
      trainModel({ model: { type: 'gru', units: 8 }, epochs: 50, batchSize: 16, seed: 1 }, data, {
        onEpoch: (e) => {
          if (e.epoch === 2) ctrl.abort();
        },
        signal: ctrl.signal,
      }),
    ).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(before);
    // a completed run with class weights leaks nothing either once its model is disposed
    const r = await trainModel({ model: { type: 'lstm', units: 8 }, epochs: 2, batchSize: 64, classWeights: 'balanced' }, data);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with actionable errors', async () => {
    const good = plantedSamples(10, T, F, 1);
    await expect(trainModel({ epochs: 1 }, { train: { ...good, n: 11 }, timeSteps: T, features: F })).rejects.toThrow(/x has 200 values; expected n·T·F = 11·5·4/);
    const bad = { ...good, x: good.x.slice() };
    bad.x[47] = NaN;
    await expect(trainModel({ epochs: 1 }, { train: bad, timeSteps: T, features: F })).rejects.toThrow(/non-finite input at sample 2, step 1, feature 3/);
  });
});
