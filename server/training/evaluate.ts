/**
 * Honest evaluation on the untouched test part (server/ml/evaluate.ts does the maths), stored in the shape the
 * registry, the pages and the CLI read; and the gate. Pure functions over arrays (no database, no tfjs).
 */
import { evaluatePredictions } from '../ml/evaluate';
import type { ClassificationReport, Interval, WinRate } from '../ml/metrics';
import type { BacktestResult } from '../ml/backtest';
import type { Reliability } from '../ml/calibration';
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
    logreg: { accuracy: number; macroF1: number; diff: Interval } | null;
  };
  testSamples: number;
  bootstrap: { resamples: number; blockLength: number; level: number };
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** JSON cannot hold NaN/Infinity: turn them into null (e.g. the win rate of a model that never signals). */
export function jsonSafe<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' ? finite(x) : x)));
}

/**
 * Temperature fitted on the validation logits; metrics, bootstrap intervals (blocks of one label horizon), baselines,
 * the logreg reference, win rate and backtest on the test part. Returns the evaluation and the calibrated test
 * probabilities (stored with the artifact).
 */
export function evaluateOnTest(args: {
  test: TestPart;
  trainY: Uint8Array;
  valY: Uint8Array;
  valLogits: Float32Array;
  testLogits: Float32Array;
  logreg: Uint8Array | null;
  horizon: number;
  costBps: number;
  periodsPerYear: number;
  seed: number;
}): { evaluation: Evaluation; probs: Float32Array } {
  const { test } = args;
  const boot = { resamples: 1000, blockLength: Math.max(1, args.horizon), level: 0.95, seed: args.seed };
  const r = evaluatePredictions({
    testLogits: args.testLogits,
    testY: test.y,
    valLogits: args.valLogits,
    valY: args.valY,
    trainY: args.trainY,
    testForwardReturns: test.forwardReturn,
    testTimes: test.times,
    backtest: { horizon: args.horizon, costBps: args.costBps, periodsPerYear: args.periodsPerYear },
    reference: args.logreg ? { name: 'logreg', testPred: args.logreg } : undefined,
    bootstrap: boot,
  });
  const { interval: winRateCI, ...wr } = r.winRate!;
  const pick = (b: { accuracy: number; macroF1: number; diff: Interval }) => ({ accuracy: b.accuracy, macroF1: b.macroF1, diff: b.diff });
  const evaluation: Evaluation = {
    ...r.classification,
    macroF1CI: r.macroF1Interval,
    winRate: wr,
    winRateCI,
    backtest: { ...r.backtest!, costBps: args.costBps, periodsPerYear: args.periodsPerYear },
    calibration: {
      temperature: r.calibration.temperature,
      nllBefore: r.calibration.nllBefore,
      nllAfter: r.calibration.nllAfter,
      eceBefore: r.calibration.before.ece,
      eceAfter: r.calibration.after.ece,
      reliability: r.calibration.after,
    },
    baselines: { majority: pick(r.baselines.majority), priorRandom: pick(r.baselines.random), logreg: r.reference ? pick(r.reference) : null },
    testSamples: test.n,
    bootstrap: { resamples: boot.resamples, blockLength: boot.blockLength, level: boot.level },
  };
  return { evaluation, probs: r.testProba };
}

export interface GateResult {
  passed: boolean;
  /** Every check with its verdict. */
  checks: { passed: boolean; message: string }[];
  /** The failed checks when it failed; the passed ones when it passed. */
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
  const checks: GateResult['checks'] = [];
  const check = (cond: boolean, good: string, bad: string) => {
    (cond ? ok : fail).push(cond ? good : bad);
    checks.push({ passed: cond, message: cond ? good : bad });
  };
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
  return { passed: fail.length === 0, checks, reasons: fail.length ? fail : ok, warnings, thresholds: t };
}
