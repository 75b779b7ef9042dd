import { beforeAll, describe, expect, it } from 'vitest';
import { initTf } from './backend';
import { evaluatePredictions } from './evaluate';
import { argmaxRows, predictLogits } from './models';
import { noiseSamples, plantedSamples } from './testing';
import { trainModel } from './train';

beforeAll(async () => {
  await initTf();
});

const T = 5;
const F = 4;

describe('evaluatePredictions', () => {
  it('a model with a real edge beats both baselines with the interval above zero; backtest and win rate follow', async () => {
    const train = plantedSamples(600, T, F, 1);
    const val = plantedSamples(200, T, F, 2);
    const test = plantedSamples(300, T, F, 3);
    const r = await trainModel({ model: { type: 'mlp' }, epochs: 10, batchSize: 32, learningRate: 0.02 }, { train, val, timeSteps: T, features: F });
    const ref = await trainModel({ model: { type: 'logreg' }, epochs: 10, batchSize: 32, learningRate: 0.05 }, { train, val, timeSteps: T, features: F });
    const report = evaluatePredictions({
      testLogits: predictLogits(r.model, test.x, test.n),
      testY: test.y,
      valLogits: predictLogits(r.model, val.x, val.n),
      valY: val.y,
      trainY: train.y,
      testForwardReturns: test.forwardReturns,
      backtest: { horizon: 1, costBps: 1, periodsPerYear: 252 },
      reference: { name: 'logreg', testPred: argmaxRows(predictLogits(ref.model, test.x, test.n), 3) },
      bootstrap: { resamples: 300, seed: 5 },
    });
    expect(report.n).toBe(300);
    expect(report.classification.macroF1).toBeGreaterThan(0.7);
    expect(report.macroF1Interval.lower).toBeGreaterThan(0.6);
    expect(report.baselines.majority.diff.lower).toBeGreaterThan(0);
    expect(report.baselines.random.diff.lower).toBeGreaterThan(0);
    expect(report.reference?.name).toBe('logreg');
    expect(report.winRate!.winRate).toBeGreaterThan(0.8);
    expect(report.winRate!.interval.lower).toBeGreaterThan(0.7);
    expect(report.backtest!.totalReturn).toBeGreaterThan(0);
    expect(report.backtest!.trades).toBe(report.winRate!.signals);
    expect(report.calibration.temperature).toBeGreaterThan(0);
    expect(report.calibration.nllAfter).toBeLessThanOrEqual(report.calibration.nllBefore);
    expect(report.testProba).toHaveLength(900);
    r.model.dispose();
    ref.model.dispose();
  });

  it('a model trained on noise does not beat the baselines with confidence', async () => {
    const train = noiseSamples(600, T, F, 11);
    const val = noiseSamples(200, T, F, 12);
    const test = noiseSamples(400, T, F, 13);
    const r = await trainModel({ model: { type: 'lstm', units: 16 }, epochs: 6, batchSize: 32, learningRate: 0.01 }, { train, val, timeSteps: T, features: F });
    const report = evaluatePredictions({ testLogits: predictLogits(r.model, test.x, test.n), testY: test.y, trainY: train.y, bootstrap: { resamples: 300 } });
    const beatsBoth = report.baselines.majority.diff.lower > 0 && report.baselines.random.diff.lower > 0;
    expect(beatsBoth).toBe(false);
    expect(report.winRate).toBeNull();
    expect(report.calibration.temperature).toBe(1);
    r.model.dispose();
  });
});
