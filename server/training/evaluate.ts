/**
 * Honest evaluation on the untouched test part (server/ml/evaluate.ts does the maths), stored in the shape the
 * registry, the pages and the CLI read; and the gate. Pure functions over arrays (no database, no tfjs).
 */
import { blockLengthFor, evaluatePredictions, type DirectionalEdgeReport } from '../ml/evaluate';
import type { ClassificationReport, Interval, WinRate } from '../ml/metrics';
import type { BacktestResult } from '../ml/backtest';
import type { Reliability } from '../ml/calibration';
import type { GateThresholds } from './params';
import type { JsonSafe } from '../../drizzle/schema/shapes';

export { blockLengthFor };

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
  /** The signals against random signals with the same BUY/SELL mix on the same test bars (the gate's main test). */
  edge: DirectionalEdgeReport;
  backtest: BacktestResult & { costBps: number; periodsPerYear: number };
  calibration: { temperature: number; eceBefore: number; eceAfter: number; nllBefore: number; nllAfter: number; reliability: Reliability };
  baselines: {
    majority: { accuracy: number; macroF1: number; diff: Interval };
    /** The EXPECTED scores of prior-matched random (exact; not one draw), the difference bootstrapped against it. */
    priorRandom: { accuracy: number; macroF1: number; diff: Interval };
    logreg: { accuracy: number; macroF1: number; diff: Interval } | null;
  };
  testSamples: number;
  /** `level` for the macro-F1, win-rate and baseline intervals; `edgeLevel` for the directional-edge intervals. */
  bootstrap: { resamples: number; blockLength: number; level: number; edgeLevel: number };
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** JSON cannot hold NaN/Infinity: turn them into null (e.g. the win rate of a model that never signals). */
export function jsonSafe<T>(v: T): JsonSafe<T> {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' ? finite(x) : x)));
}

/**
 * Temperature fitted on the validation logits; metrics, bootstrap intervals (moving blocks of three label horizons),
 * baselines, the logreg reference, win rate, directional edge and backtest on the test part. Returns the evaluation and the calibrated test
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
  /** Bootstrap block length in samples (default {@link blockLengthFor}). Optional: older callers omit it. */
  blockLength?: number;
}): { evaluation: Evaluation; probs: Float32Array } {
  const { test } = args;
  const boot = { resamples: 1000, blockLength: args.blockLength ?? blockLengthFor(args.horizon, test.n), level: 0.95, seed: args.seed };
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
    edge: r.edge!, // forward returns are always given here, so the edge is always computed
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
    bootstrap: { resamples: boot.resamples, blockLength: boot.blockLength, level: boot.level, edgeLevel: r.edge!.hitEdgeCI.level },
  };
  return { evaluation, probs: r.testProba };
}

/** One check of the gate: what was measured (`figure`), whether it held, and whether it can fail the gate. */
export interface GateCheck {
  /** Stable id, e.g. `directional-edge`. */
  id: string;
  /** A hard check failing rejects the version; a soft one failing is a warning. */
  hard: boolean;
  passed: boolean;
  /** The measured figure the check compares (for an interval check: its lower bound); null when there is none. */
  figure: number | null;
  message: string;
}

export interface GateResult {
  passed: boolean;
  /** Every check with its verdict, figure and whether it is hard. */
  checks: GateCheck[];
  /** The failed hard checks when it failed; the passed hard checks when it passed. */
  reasons: string[];
  /** Failed soft checks, and notes such as trailing the logreg reference. */
  warnings: string[];
  thresholds: GateThresholds;
}

/** Fewer BUY/SELL signals than this and no interval about them means anything: the directional test fails. */
export const MIN_SIGNALS = 30;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number) => v.toFixed(3);
const signed = (v: number, f: (x: number) => string = num) => (v >= 0 ? `+${f(v)}` : f(v));
const pp = (v: number) => `${(v * 100).toFixed(1)} pp`;
const bp = (v: number) => `${(v * 1e4).toFixed(1)} bp`;
const ci = (d: Interval, f: (x: number) => string = num) => `${+(d.level * 100).toFixed(1)}% CI ${f(d.lower)} … ${f(d.upper)}`;

/**
 * The gate: a version becomes a candidate only when every HARD check holds; failed SOFT checks are warnings.
 *
 * What a trading app acts on is the BUY/SELL signals, so the test that decides is their directional edge: the mean
 * signed forward return per signal (direction × return over the label horizon) minus what random signals with the
 * SAME BUY/SELL mix would earn on the same test bars — an exact expectation, no random draw — with a paired
 * moving-block bootstrap interval (blocks of three label horizons, {@link blockLengthFor}) at 98 % (EDGE_LEVEL in
 * server/ml/evaluate.ts); its lower bound must be above 0, a one-sided test at 1 %. Costs cancel in the difference
 * (random signals pay the same per signal); the backtest and `minSharpe` judge returns after costs.
 * Why this and not macro-F1 against prior-matched random, as before:
 *  - macro-F1 averages three classes, so a directional edge is diluted by the HOLD class (and by the ATR threshold
 *    between BUY and HOLD), and its interval is wide relative to the edge; a single random draw as the baseline added
 *    its own noise (±0.02–0.05) to the verdict. On a planted signal with win rates of 55–68 % over ~900 signals the
 *    old rule accepted 28 of 40 seeds, this test all 40 (gate-power.test.ts);
 *  - matching the model's own mix (not the training priors) makes it a test of timing: a model that says BUY all
 *    through a rising test period earns the drift, and so would random signals with as many BUYs;
 *  - the return rather than the hit rate, because the mean return uses the size of the move (the hit-rate version of
 *    the same test, kept as a soft check, missed 2 of those 40 planted seeds), and a model right more often than not
 *    that loses big when wrong is worse than random for the app.
 * On random walks it accepted 1 of 40 seeds (2 of 120); the old rule 2 of 40. Blocks of one horizon were too short
 * (the interval came out 11 % narrower than the edge's spread across 120 random-walk seeds, accepting 6 of 120 at
 * 95 %). Heavy tails make a mean depend on a few large moves; the bootstrap widens the interval accordingly, and the
 * hard hit-rate check below refuses an edge that is not also right more often than random timing.
 *
 * The other hard checks are necessary conditions rather than further significance tests (AND-ing several tests of
 * the same hypothesis multiplies their misses, which is how the old gate lost a third of its true signals):
 *  - hit rate above random timing's (point estimate), the configured thresholds (accuracy, macro-F1, win rate, and
 *    the minimum backtest Sharpe after costs when set — off by default), and at least {@link MIN_SIGNALS} signals;
 *  - macro-F1 above the majority-class baseline with the interval of the difference above 0 (a trivial bar that a
 *    model signalling anything clears; it catches a collapsed model).
 * Soft (warnings): the hit-rate edge's interval including 0; macro-F1 not clearly above the EXPECTED macro-F1 of
 * prior-matched random (exact expectation, not a draw); trailing the logreg reference.
 */
export function gate(ev: Evaluation, t: GateThresholds): GateResult {
  const checks: GateCheck[] = [];
  const warnings: string[] = [];
  const check = (id: string, hard: boolean, cond: boolean, figure: number | null, good: string, bad: string) => {
    checks.push({ id, hard, passed: cond, figure: figure !== null && Number.isFinite(figure) ? figure : null, message: cond ? good : bad });
    if (!cond && !hard) warnings.push(bad);
  };

  // 1. The directional edge (hard): the test with power for what the app acts on.
  const e = ev.edge;
  const mix = `${e.buys} BUY / ${e.sells} SELL`;
  if (e.signals < MIN_SIGNALS) {
    check('directional-edge', true, false, e.signals, '', `too few BUY/SELL signals on the test part to judge them (${e.signals}, at least ${MIN_SIGNALS})`);
  } else {
    check(
      'directional-edge',
      true,
      e.returnEdgeCI.lower > 0,
      e.returnEdgeCI.lower,
      `signals beat random timing: ${signed(e.meanReturn, bp)} per signal vs ${signed(e.randomMeanReturn, bp)} for random signals with the same mix (${mix}), edge ${signed(e.returnEdge, bp)} (${ci(e.returnEdgeCI, bp)})`,
      `no clear directional edge: ${Number.isFinite(e.meanReturn) ? signed(e.meanReturn, bp) : '—'} per signal vs ${Number.isFinite(e.randomMeanReturn) ? signed(e.randomMeanReturn, bp) : '—'} for random signals with the same mix (${mix}), edge ${signed(e.returnEdge, bp)}, ${ci(e.returnEdgeCI, bp)} includes 0`,
    );
  }
  const hitOk = Number.isFinite(e.hitEdge) && e.hitEdge > 0;
  check(
    'hit-rate-edge',
    true,
    hitOk,
    e.hitEdge,
    `right more often than random timing: hit rate ${pct(e.hitRate)} vs ${pct(e.randomHitRate)} (${signed(e.hitEdge, pp)})`,
    Number.isFinite(e.hitEdge)
      ? `not right more often than random timing: hit rate ${pct(e.hitRate)} vs ${pct(e.randomHitRate)} for random signals with the same mix (${signed(e.hitEdge, pp)})`
      : 'no BUY/SELL signal to compare with random timing',
  );
  if (hitOk)
    check(
      'hit-rate-edge-ci',
      false,
      e.hitEdgeCI.lower > 0,
      e.hitEdgeCI.lower,
      `hit-rate edge significant (${ci(e.hitEdgeCI, pp)})`,
      `the hit-rate edge over random timing is not significant: ${signed(e.hitEdge, pp)}, ${ci(e.hitEdgeCI, pp)} includes 0`,
    );

  // 2. Configured thresholds (hard).
  check('min-accuracy', true, ev.accuracy >= t.minAccuracy, ev.accuracy, `accuracy ${pct(ev.accuracy)} ≥ ${pct(t.minAccuracy)}`, `accuracy ${pct(ev.accuracy)} is below the minimum ${pct(t.minAccuracy)}`);
  check('min-macro-f1', true, ev.macroF1 >= t.minMacroF1, ev.macroF1, `macro-F1 ${num(ev.macroF1)} ≥ ${num(t.minMacroF1)}`, `macro-F1 ${num(ev.macroF1)} is below the minimum ${num(t.minMacroF1)}`);
  const wr = ev.winRate.winRate;
  check(
    'min-win-rate',
    true,
    Number.isFinite(wr) && wr >= t.minWinRate,
    wr,
    `win rate ${pct(wr)} ≥ ${pct(t.minWinRate)} over ${ev.winRate.signals} signals`,
    Number.isFinite(wr) ? `win rate ${pct(wr)} is below the minimum ${pct(t.minWinRate)}` : 'the model gave no BUY/SELL signal on the test part',
  );
  if (t.minSharpe !== null && t.minSharpe !== undefined) {
    const sh = ev.backtest.sharpe;
    const bt = `${ev.backtest.trades} trades, ${ev.backtest.costBps} bp per side`;
    check(
      'min-sharpe',
      true,
      Number.isFinite(sh) && sh >= t.minSharpe,
      sh,
      `backtest Sharpe after costs ${sh.toFixed(2)} ≥ ${t.minSharpe.toFixed(2)} (${bt})`,
      `backtest Sharpe after costs ${Number.isFinite(sh) ? sh.toFixed(2) : 'n/a'} is below the minimum ${t.minSharpe.toFixed(2)} (${bt})`,
    );
  }

  // 3. Naive baselines on macro-F1.
  const maj = ev.baselines.majority.diff;
  check(
    'beats-majority',
    true,
    maj.lower > 0,
    maj.lower,
    `beats the majority-class baseline: macro-F1 ${signed(maj.estimate)} (${ci(maj)})`,
    `does not clearly beat the majority-class baseline: macro-F1 difference ${num(maj.estimate)}, ${ci(maj)} includes 0`,
  );
  const rnd = ev.baselines.priorRandom;
  check(
    'vs-prior-random',
    false,
    rnd.diff.lower > 0,
    rnd.diff.lower,
    `beats prior-matched random: macro-F1 ${num(ev.macroF1)} vs ${num(rnd.macroF1)} expected, ${signed(rnd.diff.estimate)} (${ci(rnd.diff)})`,
    `macro-F1 not clearly above prior-matched random: ${num(ev.macroF1)} vs ${num(rnd.macroF1)} expected, ${signed(rnd.diff.estimate)}, ${ci(rnd.diff)} includes 0 (a warning: macro-F1 dilutes a directional edge with the HOLD class)`,
  );

  // 4. Notes.
  if (ev.baselines.logreg && ev.baselines.logreg.macroF1 > ev.macroF1) {
    warnings.push(`trails the logreg reference on test macro-F1 (${num(ev.macroF1)} vs ${num(ev.baselines.logreg.macroF1)}): the deep model may not earn its cost`);
  }
  const hard = checks.filter((c) => c.hard);
  const failed = hard.filter((c) => !c.passed);
  return {
    passed: failed.length === 0,
    checks,
    reasons: (failed.length ? failed : hard).map((c) => c.message),
    warnings,
    thresholds: t,
  };
}
