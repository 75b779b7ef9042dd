import { beforeAll, describe, expect, it } from 'vitest';
import { initTf } from './backend';
import { permutationImportance } from './importance';
import { predictLogits, softmaxRows } from './models';
import { plantedSamples } from './testing';
import { trainModel } from './train';

beforeAll(async () => {
  await initTf();
});

describe('permutation importance', () => {
  it('gives the planted feature the largest weight; weights sum to 1; seeded', async () => {
    const T = 4;
    const F = 5;
    const data = { train: plantedSamples(400, T, F, 1, 3), val: plantedSamples(150, T, F, 2, 3), timeSteps: T, features: F };
    const r = await trainModel({ model: { type: 'mlp', hidden: [16] }, epochs: 15, batchSize: 32, learningRate: 0.02 }, data);
    const proba = (x: Float32Array, n: number) => softmaxRows(predictLogits(r.model, x, n), 3);
    const names = ['a', 'b', 'c', 'planted', 'e'];
    const imp = permutationImportance(proba, data.val, { timeSteps: T, features: F }, { repeats: 2, seed: 4, featureNames: names });
    expect(imp.weights).toHaveLength(F);
    expect(imp.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(imp.weights.every((w) => w >= 0)).toBe(true);
    expect(imp.weights.indexOf(Math.max(...imp.weights))).toBe(3);
    expect(imp.weights[3]).toBeGreaterThan(0.8);
    expect(imp.featureNames).toEqual(names);
    expect(permutationImportance(proba, data.val, { timeSteps: T, features: F }, { repeats: 2, seed: 4 }).weights).toEqual(imp.weights);
    const acc = permutationImportance(proba, data.val, { timeSteps: T, features: F }, { repeats: 1, metric: 'accuracy' });
    expect(acc.weights.indexOf(Math.max(...acc.weights))).toBe(3);
    r.model.dispose();
  });

  it('uniform weights when nothing matters', () => {
    const s = plantedSamples(20, 2, 3, 1);
    const constant = (_x: Float32Array, n: number) => new Float32Array(n * 3).fill(1 / 3);
    expect(permutationImportance(constant, s, { timeSteps: 2, features: 3 }).weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});
