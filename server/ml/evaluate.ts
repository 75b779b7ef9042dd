/**
 * Evaluation of a trained model's predictions — composes the pure pieces (metrics, calibration, backtest, baselines)
 * into one report. Pure: takes logits and labels, no tfjs.
 *
 *  - temperature fitted on the VALIDATION logits, applied to the test probabilities (reliability before/after);
 *  - classification metrics on the untouched TEST part, with a bootstrap interval of macro-F1 (moving-block
 *    bootstrap with blocks of the label horizon by default: overlapping labels make neighbouring samples dependent);
 *  - naive baselines (majority class and prior-matched random, priors from the TRAINING labels) on the same test
 *    samples, each with a paired-bootstrap interval of macro-F1(model) − macro-F1(baseline);
 *  - optionally a reference predictor (e.g. `logreg` on the same splits) compared the same way;
 *  - with forward returns: signal win rate (+ interval) and the backtest.
 */
import { backtest, type BacktestResult } from './backtest';
import { fitTemperature, reliability, type Reliability, type TemperatureFit } from './calibration';
import {
  classificationReport,
  macroF1,
  macroF1DiffInterval,
  macroF1Interval,
  majorityBaseline,
  majorityClass,
  priorRandomBaseline,
  winRate,
  winRateInterval,
  accuracy,
  type ClassificationReport,
  type Interval,
  type WinRate,
} from './metrics';
import { argmaxRows, softmaxRows } from './probs';
import { NUM_CLASSES } from './types';

export interface EvaluationInput {
  /** Model logits on the test part, [n × C]. */
  testLogits: Float32Array;
  testY: Uint8Array;
  /** Model logits and labels on the validation part (temperature fit). Without them T = 1. */
  valLogits?: Float32Array;
  valY?: Uint8Array;
  /** Training labels (baseline priors). */
  trainY: Uint8Array;
  /** Forward return of each test sample over the label horizon (win rate and backtest). */
  testForwardReturns?: ArrayLike<number>;
  testTimes?: ArrayLike<number>;
  backtest?: { horizon: number; costBps: number; periodsPerYear: number };
  /** Predicted classes of a reference model on the same test samples (e.g. logreg). */
  reference?: { name: string; testPred: Uint8Array };
  bootstrap?: { resamples?: number; seed?: number; level?: number; blockLength?: number };
}

export interface BaselineComparison {
  name: string;
  accuracy: number;
  macroF1: number;
  /** Paired bootstrap of macro-F1(model) − macro-F1(this predictor). */
  diff: Interval;
}

export interface EvaluationReport {
  n: number;
  classification: ClassificationReport;
  macroF1Interval: Interval;
  calibration: TemperatureFit & { before: Reliability; after: Reliability };
  baselines: { majority: BaselineComparison & { class: number }; random: BaselineComparison };
  reference: BaselineComparison | null;
  winRate: (WinRate & { interval: Interval }) | null;
  backtest: BacktestResult | null;
  /** Test predictions (argmax) and calibrated test probabilities [n × C]. */
  testPred: Uint8Array;
  testProba: Float32Array;
}

export function evaluatePredictions(input: EvaluationInput): EvaluationReport {
  const C = NUM_CLASSES;
  const { testLogits, testY, trainY } = input;
  const n = testY.length;
  if (testLogits.length !== n * C) throw new Error(`evaluate: ${testLogits.length} test logits for ${n} samples × ${C} classes`);
  const boot = {
    resamples: input.bootstrap?.resamples ?? 1000,
    seed: input.bootstrap?.seed ?? 1,
    level: input.bootstrap?.level ?? 0.95,
    // Overlapping labels make neighbouring samples dependent: default to blocks of one label horizon.
    blockLength: input.bootstrap?.blockLength ?? input.backtest?.horizon ?? 1,
  };

  const fit =
    input.valLogits && input.valY && input.valY.length > 0
      ? fitTemperature(input.valLogits, input.valY)
      : { temperature: 1, nllBefore: NaN, nllAfter: NaN, n: 0 };
  const testPred = argmaxRows(testLogits, C);
  const rawProba = softmaxRows(testLogits, C, 1);
  const testProba = softmaxRows(testLogits, C, fit.temperature);

  const compare = (name: string, pred: Uint8Array): BaselineComparison => ({
    name,
    accuracy: accuracy(testY, pred),
    macroF1: macroF1(testY, pred),
    diff: macroF1DiffInterval(testY, testPred, pred, boot),
  });
  const majority = majorityBaseline(trainY, n);
  const random = priorRandomBaseline(trainY, n, boot.seed + 17);

  let wr: EvaluationReport['winRate'] = null;
  let bt: BacktestResult | null = null;
  if (input.testForwardReturns) {
    if (input.testForwardReturns.length !== n) throw new Error(`evaluate: ${input.testForwardReturns.length} forward returns for ${n} test samples`);
    wr = { ...winRate(testPred, input.testForwardReturns), interval: winRateInterval(testPred, input.testForwardReturns, boot) };
    if (input.backtest) {
      bt = backtest({ signals: testPred, forwardReturns: input.testForwardReturns, times: input.testTimes, ...input.backtest });
    }
  }

  return {
    n,
    classification: classificationReport(testY, testPred, C),
    macroF1Interval: macroF1Interval(testY, testPred, boot, C),
    calibration: { ...fit, before: reliability(rawProba, testY), after: reliability(testProba, testY) },
    baselines: {
      majority: { ...compare('majority', majority), class: majorityClass(trainY) },
      random: compare('prior-random', random),
    },
    reference: input.reference ? compare(input.reference.name, input.reference.testPred) : null,
    winRate: wr,
    backtest: bt,
    testPred,
    testProba,
  };
}
