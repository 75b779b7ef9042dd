/**
 * Honest evaluation on the untouched test part, and the gate. Pure functions over arrays (no database, no tfjs).
 */
import {
  classificationReport,
  macroF1Interval,
  macroF1DiffInterval,
  winRate,
  winRateInterval,
  majorityBaseline,
  priorRandomBaseline,
  macroF1,
  accuracy,
  type ClassificationReport,
  type Interval,
  type WinRate,
} from '../ml/metrics';
import { backtest, type BacktestResult } from '../ml/backtest';
import { reliability, type Reliability } from '../ml/calibration';
import { argmaxRows } from '../ml/models';
import type { GateThresholds } from './params';

export interface TestPart {
  y: Uint8Array;
  n: number;
  times: ArrayLike<number>;
  forwardReturn: ArrayLike<number>;
}

export interface Evaluation extends ClassificationReport {
  macroF1CI: Interval;
  winRate: WinRate;
  winRateCI: Interval;
  backtest: BacktestResult & { costBps: number; periodsPerYear: number };
  calibration: { temperature: number; eceBefore: number; eceAfter: number; nllBefore: number; nllAfter: number; reliability: Reliability };
  baselines: {
    majority: { accuracy: number; macroF1: number; diff: Interval };
    priorRandom: { accuracy: number; macroF1: number; diff: Interval };
    logreg: { accuracy: number; macroF1: number } | null;
  };
  testSamples: number;
  bootstrap: { resamples: number; blockLength: number; level: number };
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** JSON cannot hold NaN/Infinity: turn them into null (e.g. the win rate of a model that never signals). */
export function jsonSafe<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' ? finite(x) : x)));
}

export function evaluateOnTest(args: {
  test: TestPart;
  trainY: Uint8Array;
  /** Calibrated probabilities [n × 3]. */
  probs: Float32Array;
  /** Uncalibrated probabilities [n × 3] (for the "before" calibration figures). */
  rawProbs: Float32Array;
  temperature: { temperature: number; nllBefore: number; nllAfter: number };
  logreg: Uint8Array | null;
  horizon: number;
  costBps: number;
  periodsPerYear: number;
  seed: number;
}): Evaluation {
  const { test } = args;
  const pred = argmaxRows(args.probs, 3);
  const report = classificationReport(test.y, pred);
  // Overlapping labels make neighbouring test samples dependent: resample blocks of `horizon` samples.
  const boot = { resamples: 1000, blockLength: Math.max(1, args.horizon), level: 0.95, seed: args.seed };
  const majority = majorityBaseline(args.trainY, test.n);
  const prior = priorRandomBaseline(args.trainY, test.n, args.seed);
  const relAfter = reliability(args.probs, test.y);
  const relBefore = reliability(args.rawProbs, test.y);
  const bt = backtest({ signals: pred, forwardReturns: test.forwardReturn, times: test.times, horizon: args.horizon, costBps: args.costBps, periodsPerYear: args.periodsPerYear });
  return {
    ...report,
    macroF1CI: macroF1Interval(test.y, pred, boot),
    winRate: winRate(pred, test.forwardReturn),
    winRateCI: winRateInterval(pred, test.forwardReturn, boot),
    backtest: { ...bt, costBps: args.costBps, periodsPerYear: args.periodsPerYear },
    calibration: {
      temperature: args.temperature.temperature,
      nllBefore: args.temperature.nllBefore,
      nllAfter: args.temperature.nllAfter,
      eceBefore: relBefore.ece,
      eceAfter: relAfter.ece,
      reliability: relAfter,
    },
    baselines: {
      majority: { accuracy: accuracy(test.y, majority), macroF1: macroF1(test.y, majority), diff: macroF1DiffInterval(test.y, pred, majority, boot) },
      priorRandom: { accuracy: accuracy(test.y, prior), macroF1: macroF1(test.y, prior), diff: macroF1DiffInterval(test.y, pred, prior, boot) },
      logreg: args.logreg ? { accuracy: accuracy(test.y, args.logreg), macroF1: macroF1(test.y, args.logreg) } : null,
    },
    testSamples: test.n,
    bootstrap: { resamples: boot.resamples, blockLength: boot.blockLength, level: boot.level },
  };
}

export interface GateResult {
  passed: boolean;
  reasons: string[];
  warnings: string[];
  thresholds: GateThresholds;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number) => v.toFixed(3);

/**
 * Passes when every threshold holds AND the model beats both naive baselines on test macro-F1 with the bootstrap
 * interval of the difference above zero. Trailing the logreg reference is a warning only.
 */
export function gate(ev: Evaluation, t: GateThresholds): GateResult {
  const fail: string[] = [];
  const ok: string[] = [];
  const warnings: string[] = [];
  const check = (cond: boolean, good: string, bad: string) => (cond ? ok : fail).push(cond ? good : bad);
  check(ev.accuracy >= t.minAccuracy, `accuracy ${pct(ev.accuracy)} ≥ ${pct(t.minAccuracy)}`, `accuracy ${pct(ev.accuracy)} is below the minimum ${pct(t.minAccuracy)}`);
  check(ev.macroF1 >= t.minMacroF1, `macro-F1 ${num(ev.macroF1)} ≥ ${num(t.minMacroF1)}`, `macro-F1 ${num(ev.macroF1)} is below the minimum ${num(t.minMacroF1)}`);
  const wr = ev.winRate.winRate;
  check(
    Number.isFinite(wr) && wr >= t.minWinRate,
    `win rate ${pct(wr)} ≥ ${pct(t.minWinRate)} over ${ev.winRate.signals} signals`,
    Number.isFinite(wr) ? `win rate ${pct(wr)} is below the minimum ${pct(t.minWinRate)}` : 'the model gave no BUY/SELL signal on the test part',
  );
  for (const [name, b] of [
    ['majority-class', ev.baselines.majority],
    ['prior-matched random', ev.baselines.priorRandom],
  ] as const) {
    const d = b.diff;
    check(
      d.lower > 0,
      `beats the ${name} baseline: macro-F1 +${num(d.estimate)} (95% CI ${num(d.lower)} … ${num(d.upper)})`,
      `does not clearly beat the ${name} baseline: macro-F1 difference ${num(d.estimate)}, 95% CI ${num(d.lower)} … ${num(d.upper)} includes 0`,
    );
  }
  if (ev.baselines.logreg && ev.baselines.logreg.macroF1 > ev.macroF1) {
    warnings.push(`trails the logreg reference on test macro-F1 (${num(ev.macroF1)} vs ${num(ev.baselines.logreg.macroF1)}): the deep model may not earn its cost`);
  }
  return { passed: fail.length === 0, reasons: fail.length ? fail : ok, warnings, thresholds: t };
}
