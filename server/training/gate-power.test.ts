/**
 * The gate's statistical properties with a real (fast) model trained and evaluated through the same path as a run
 * (buildSamples → trainModel → evaluateOnTest → gate), over many data seeds:
 *  - a planted, learnable signal → candidate in ≥ 95 % of the seeds;
 *  - a random walk → rejected in ≥ 95 % of the seeds;
 *  - and the test has teeth: the old rule (macro-F1 against ONE prior-matched random draw, interval above 0) misses
 *    the planted signal far more often than 5 %, so a gate that regressed to it would fail here.
 *
 * The planted signal is deliberately weak: the RSI mean reversion of `plantedSignalCandles` at a fifth of its
 * strength, so the model's BUY/SELL win rate is 55–68 % over ~900 test signals per seed (the default LSTM on the
 * full-strength series, where the old gate failed half the seeds, sits at 59–64 %). The logistic regression over the
 * last step learns it in ~0.2 s per seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RSI } from 'trading-signals';
import { initTf } from '../ml/backend';
import { trainModel } from '../ml/train';
import { argmaxRows, predictLogits } from '../ml/models';
import { macroF1DiffInterval, priorRandomBaseline } from '../ml/metrics';
import { buildSamples } from '../market/samples';
import { randomWalkCandles } from '../market/synthetic';
import type { Candle } from '../market/types';
import { evaluateOnTest, gate } from './evaluate';
import { ZGateThresholds } from './params';

const SEEDS = 40;
const BARS = 8000;
const HORIZON = 12;
const thresholds = ZGateThresholds.parse({});

/** `plantedSignalCandles` with an adjustable strength: drift = strength × (50 − RSI14) / 25 per bar, σ = 0.002. */
function planted(n: number, seed: number, strength: number): Candle[] {
  const rsi = new RSI(14);
  return randomWalkCandles(n, {
    seed,
    drift: (closes) => {
      const r = closes.length ? rsi.update(closes[closes.length - 1], false) : null;
      return r === null ? 0 : (strength * (50 - r)) / 25;
    },
  });
}

interface Outcome {
  seed: number;
  passed: boolean;
  oldPassed: boolean;
  winRate: number;
  reasons: string[];
}

async function trainAndGate(candles: Candle[], seed: number): Promise<Outcome> {
  const s = buildSamples(candles, { window: 4, label: { kind: 'atr', horizon: HORIZON, k: 1 } });
  const shape = { timeSteps: s.window, features: s.featureCount };
  const r = await trainModel(
    { model: { type: 'logreg' }, epochs: 8, batchSize: 128, learningRate: 0.01, patience: 3, seed, classWeights: 'balanced' },
    { train: s.train, val: s.val, ...shape },
  );
  const valLogits = predictLogits(r.model, s.val.x, s.val.n);
  const testLogits = predictLogits(r.model, s.test.x, s.test.n);
  r.model.dispose();
  const { evaluation: ev } = evaluateOnTest({ test: s.test, trainY: s.train.y, valY: s.val.y, valLogits, testLogits, logreg: null, horizon: HORIZON, costBps: 2, periodsPerYear: 8760, seed });
  const g = gate(ev, thresholds);
  // The old rule, as it was: thresholds, majority class, and macro-F1 against one prior-matched random draw (the
  // draw and the bootstrap seeded as evaluateOnTest seeded them, blocks of one horizon), interval above 0.
  const oneDraw = priorRandomBaseline(s.train.y, s.test.n, seed + 17);
  const oldDiff = macroF1DiffInterval(s.test.y, argmaxRows(testLogits, 3), oneDraw, { resamples: 1000, blockLength: HORIZON, seed });
  const oldPassed =
    ev.accuracy >= thresholds.minAccuracy &&
    ev.macroF1 >= thresholds.minMacroF1 &&
    ev.winRate.winRate >= thresholds.minWinRate &&
    ev.baselines.majority.diff.lower > 0 &&
    oldDiff.lower > 0;
  return { seed, passed: g.passed, oldPassed, winRate: ev.winRate.winRate, reasons: g.reasons };
}

const summary = (label: string, rows: Outcome[]) => {
  const wr = rows.map((r) => r.winRate).sort((a, b) => a - b);
  console.log(
    `${label}: new gate accepts ${rows.filter((r) => r.passed).length}/${rows.length}, old rule ${rows.filter((r) => r.oldPassed).length}/${rows.length}; ` +
      `win rate ${(wr[0] * 100).toFixed(1)}–${(wr[wr.length - 1] * 100).toFixed(1)} % (median ${(wr[wr.length >> 1] * 100).toFixed(1)} %)`,
  );
};

beforeAll(async () => {
  await initTf();
});

describe('gate power and size over data seeds (logreg, trained and evaluated like a run)', () => {
  const plantedRows: Outcome[] = [];

  it(`planted signal → candidate in ≥ 95 % of ${SEEDS} seeds`, async () => {
    for (let i = 0; i < SEEDS; i++) plantedRows.push(await trainAndGate(planted(BARS, 1000 + i, 0.001), i));
    summary('planted signal', plantedRows);
    const rejected = plantedRows.filter((r) => !r.passed).map((r) => `seed ${r.seed}: ${r.reasons.join('; ')}`);
    expect(plantedRows.filter((r) => r.passed).length, rejected.join('\n')).toBeGreaterThanOrEqual(Math.ceil(0.95 * SEEDS));
  }, 120_000);

  it('…and the test has teeth: the old one-draw macro-F1 rule misses the same planted signal in more than 5 % of the seeds', () => {
    expect(plantedRows).toHaveLength(SEEDS);
    expect(plantedRows.filter((r) => r.oldPassed).length).toBeLessThan(Math.ceil(0.95 * SEEDS));
  });

  it(`random walk → rejected in ≥ 95 % of ${SEEDS} seeds`, async () => {
    const rows: Outcome[] = [];
    for (let i = 0; i < SEEDS; i++) rows.push(await trainAndGate(randomWalkCandles(BARS, { seed: 5000 + i }), i));
    summary('random walk', rows);
    const accepted = rows.filter((r) => r.passed).map((r) => `seed ${r.seed}: ${r.reasons.join('; ')}`);
    expect(rows.filter((r) => !r.passed).length, accepted.join('\n')).toBeGreaterThanOrEqual(Math.ceil(0.95 * SEEDS));
  }, 120_000);
});
