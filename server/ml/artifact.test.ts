import { beforeAll, describe, expect, it } from 'vitest';
import { getTf, initTf } from './backend';
import { createArtifact, joinArtifact, loadArtifact, parseArtifact, splitArtifact } from './artifact';
import { MODEL_TYPES, predictLogits, softmaxRows } from './models';
import { plantedSamples } from './testing';
import { trainModel } from './train';

const tf = getTf();
beforeAll(async () => {
  await initTf();
});

const T = 6;
const F = 3;
const meta = {
  featureOrder: ['ret_1', 'rsi_14', 'vol_20'],
  inputTransform: 'log-returns+zscore/v1',
  scaler: { kind: 'standard', mean: [0, 1, 2], std: [1, 2, 3] },
  labelRule: { horizon: 4, threshold: 0.002 },
  temperature: 1.7,
};

describe('artifact', () => {
  it.each(MODEL_TYPES)('%s: save → JSON → load reproduces predictions exactly', async (type) => {
    const data = { train: plantedSamples(96, T, F, 1), timeSteps: T, features: F };
    const r = await trainModel({ model: { type, ...(type === 'mlp' ? { hidden: [8, 4] } : type === 'logreg' ? {} : { units: 6 }) } as never, epochs: 2, batchSize: 32 }, data);
    const test = plantedSamples(50, T, F, 2);
    const expected = predictLogits(r.model, test.x, test.n);
    const artifact = createArtifact(r.model, meta);
    r.model.dispose();

    const stored = JSON.parse(JSON.stringify(artifact));
    const predictor = await loadArtifact(stored);
    expect(predictor.predictLogits(test.x, test.n)).toEqual(expected); // bitwise
    expect(predictor.predictProba(test.x, test.n)).toEqual(softmaxRows(expected, 3, 1.7));
    expect(predictor).toMatchObject({ temperature: 1.7, featureOrder: meta.featureOrder, classOrder: ['SELL', 'HOLD', 'BUY'], shape: { timeSteps: T, features: F, classes: 3 } });
    expect(stored).toMatchObject({ scaler: meta.scaler, labelRule: meta.labelRule, inputTransform: meta.inputTransform, model: { type } });
    predictor.dispose();
    expect(() => predictor.predictProba(test.x, test.n)).toThrow(/disposed/);
  });

  it('split/join through a Buffer; corruption and bad input are rejected', async () => {
    const data = { train: plantedSamples(32, T, F, 1), timeSteps: T, features: F };
    const r = await trainModel({ model: { type: 'logreg' }, epochs: 1 }, data);
    const artifact = createArtifact(r.model, meta);
    r.model.dispose();
    const { meta: m, weights } = splitArtifact(artifact);
    expect(JSON.stringify(m)).not.toContain(artifact.weights.base64);
    expect(joinArtifact(m, weights)).toEqual(artifact);
    weights[3] ^= 1;
    expect(() => joinArtifact(m, weights)).not.toThrow();
    await expect(loadArtifact(joinArtifact(m, weights))).rejects.toThrow(/checksum/);
    expect(() => parseArtifact({ ...artifact, temperature: 0 })).toThrow(/temperature/);
    expect(() => parseArtifact({ ...artifact, format: 'other' })).toThrow(/format/);
  });

  it('numTensors stays flat across repeated predictions', async () => {
    const data = { train: plantedSamples(64, T, F, 1), timeSteps: T, features: F };
    const r = await trainModel({ model: { type: 'lstm', units: 8 }, epochs: 1 }, data);
    const predictor = await loadArtifact(createArtifact(r.model, meta));
    const x = plantedSamples(20, T, F, 3);
    predictor.predictProba(x.x, x.n); // warm-up
    predictLogits(r.model, x.x, x.n);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      predictor.predictProba(x.x.subarray(0, (i + 1) * T * F), i + 1);
      predictLogits(r.model, x.x, x.n, 7);
    }
    expect(tf.memory().numTensors).toBe(before);
    predictor.dispose();
    r.model.dispose();
  });
});
