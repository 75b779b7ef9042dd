/**
 * The gate's rules, fast: hand-built evaluations (no training, no tfjs, no database), plus the pure evaluateOnTest
 * path on synthetic predictions. The statistical properties with a trained model are in gate-power.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../ml/random';
import { evaluateOnTest, gate, jsonSafe, MIN_SIGNALS, type Evaluation } from './evaluate';
import { ZGateThresholds, ZTrainRequest } from './params';

const T = ZGateThresholds.parse({});
const iv = (estimate: number, lower: number, upper: number) => ({ estimate, lower, upper, level: 0.95, resamples: 1000 });

/** An evaluation that passes every check; override what a test is about. */
function evaluation(over: { edge?: Partial<Evaluation['edge']>; [k: string]: unknown } = {}): Evaluation {
  const { edge, ...rest } = over;
  const base = {
    n: 1000,
    accuracy: 0.4,
    macroF1: 0.39,
    perClass: [],
    confusion: [],
    macroF1CI: iv(0.39, 0.36, 0.42),
    winRate: { signals: 800, wins: 480, winRate: 0.6, buy: { signals: 400, wins: 240, winRate: 0.6 }, sell: { signals: 400, wins: 240, winRate: 0.6 } },
    winRateCI: iv(0.6, 0.56, 0.64),
    edge: {
      signals: 800,
      buys: 400,
      sells: 400,
      hitRate: 0.6,
      randomHitRate: 0.5,
      hitEdge: 0.1,
      meanReturn: 0.0015,
      randomMeanReturn: 0.0001,
      returnEdge: 0.0014,
      hitEdgeCI: iv(0.1, 0.04, 0.16),
      returnEdgeCI: iv(0.0014, 0.0006, 0.0022),
      ...edge,
    },
    backtest: { trades: 70, sharpe: 1.2, costBps: 2, periodsPerYear: 8760 },
    calibration: {},
    baselines: {
      majority: { accuracy: 0.34, macroF1: 0.17, diff: iv(0.22, 0.19, 0.25) },
      priorRandom: { accuracy: 0.33, macroF1: 0.33, diff: iv(0.06, 0.02, 0.1) },
      logreg: { accuracy: 0.39, macroF1: 0.37, diff: iv(0.02, -0.01, 0.05) },
    },
    testSamples: 1000,
    bootstrap: { resamples: 1000, blockLength: 12, level: 0.95 },
  };
  return { ...base, ...rest } as unknown as Evaluation;
}

const ids = (g: ReturnType<typeof gate>, pred: (c: ReturnType<typeof gate>['checks'][number]) => boolean) => g.checks.filter(pred).map((c) => c.id);

describe('gate', () => {
  it('passes when every hard check holds; each check has its figure; reasons are the passed hard checks', () => {
    const g = gate(evaluation(), T);
    expect(g.passed).toBe(true);
    expect(g.warnings).toEqual([]);
    expect(ids(g, (c) => c.hard)).toEqual(['directional-edge', 'hit-rate-edge', 'min-accuracy', 'min-macro-f1', 'min-win-rate', 'beats-majority']);
    expect(ids(g, (c) => !c.hard)).toEqual(['hit-rate-edge-ci', 'vs-prior-random']);
    expect(g.reasons).toHaveLength(6);
    const edge = g.checks.find((c) => c.id === 'directional-edge')!;
    expect(edge.figure).toBeCloseTo(0.0006, 12);
    expect(edge.message).toMatch(/\+15\.0 bp per signal vs \+1\.0 bp for random signals with the same mix \(400 BUY \/ 400 SELL\), edge \+14\.0 bp \(95% CI 6\.0 bp … 22\.0 bp\)/);
    // No minimum Sharpe by default: no such check.
    expect(g.checks.some((c) => c.id === 'min-sharpe')).toBe(false);
    expect(T.minSharpe ?? null).toBeNull();
    expect(ZTrainRequest.parse({ dataset: 'demo' }).gate.minSharpe ?? null).toBeNull();
  });

  it('rejects a model without a clear directional edge, whatever its macro-F1 against random', () => {
    const g = gate(evaluation({ edge: { returnEdge: 0.0004, returnEdgeCI: iv(0.0004, -0.0002, 0.001) } }), T);
    expect(g.passed).toBe(false);
    expect(g.reasons).toHaveLength(1);
    expect(g.reasons[0]).toMatch(/^no clear directional edge: .*95% CI -2\.0 bp … 10\.0 bp includes 0/);
  });

  it('a macro-F1 edge over prior-matched random that is not significant is a warning, not a failure', () => {
    const g = gate(evaluation({ baselines: { ...evaluation().baselines, priorRandom: { accuracy: 0.33, macroF1: 0.33, diff: iv(0.057, -0.003, 0.114) } } }), T);
    expect(g.passed).toBe(true);
    expect(g.warnings).toHaveLength(1);
    expect(g.warnings[0]).toMatch(/macro-F1 not clearly above prior-matched random: 0\.390 vs 0\.330 expected, \+0\.057, 95% CI -0\.003 … 0\.114 includes 0/);
    expect(g.checks.find((c) => c.id === 'vs-prior-random')).toMatchObject({ hard: false, passed: false, figure: -0.003 });
  });

  it('a significant return edge that is not also right more often than random timing fails', () => {
    const g = gate(evaluation({ edge: { hitRate: 0.48, randomHitRate: 0.5, hitEdge: -0.02, hitEdgeCI: iv(-0.02, -0.08, 0.04) } }), T);
    expect(g.passed).toBe(false);
    expect(g.reasons).toEqual([expect.stringMatching(/^not right more often than random timing: hit rate 48\.0% vs 50\.0%/)]);
    // The hit-rate interval is only judged (softly) once the point estimate is positive.
    expect(g.checks.some((c) => c.id === 'hit-rate-edge-ci')).toBe(false);
  });

  it('a positive hit-rate edge whose interval includes 0 is a warning', () => {
    const g = gate(evaluation({ edge: { hitEdge: 0.03, hitEdgeCI: iv(0.03, -0.01, 0.07) } }), T);
    expect(g.passed).toBe(true);
    expect(g.warnings).toEqual([expect.stringMatching(/hit-rate edge over random timing is not significant: \+3\.0 pp, 95% CI -1\.0 pp … 7\.0 pp/)]);
  });

  it(`too few signals (< ${MIN_SIGNALS}) or none fail, with a message rather than NaN`, () => {
    const few = gate(evaluation({ edge: { signals: 12, buys: 6, sells: 6 } }), T);
    expect(few.passed).toBe(false);
    expect(few.reasons[0]).toMatch(/too few BUY\/SELL signals on the test part to judge them \(12, at least 30\)/);
    const none = gate(
      evaluation({
        winRate: { signals: 0, wins: 0, winRate: NaN, buy: { signals: 0, wins: 0, winRate: NaN }, sell: { signals: 0, wins: 0, winRate: NaN } },
        edge: { signals: 0, buys: 0, sells: 0, hitRate: NaN, randomHitRate: NaN, hitEdge: NaN, meanReturn: NaN, randomMeanReturn: NaN, returnEdge: NaN, hitEdgeCI: iv(NaN, NaN, NaN), returnEdgeCI: iv(NaN, NaN, NaN) },
      }),
      T,
    );
    expect(none.passed).toBe(false);
    expect(none.reasons.join(' | ')).toMatch(/no BUY\/SELL signal to compare with random timing.*the model gave no BUY\/SELL signal/);
    const stored = jsonSafe(none);
    expect(stored.checks.find((c) => c.id === 'hit-rate-edge')!.figure).toBeNull();
    expect(JSON.stringify(stored)).not.toMatch(/NaN/);
  });

  it('configured thresholds are hard', () => {
    const g = gate(evaluation({ accuracy: 0.3 }), T);
    expect(g.passed).toBe(false);
    expect(g.reasons).toEqual(['accuracy 30.0% is below the minimum 34.0%']);
    expect(gate(evaluation(), { ...T, minWinRate: 0.65 }).reasons).toEqual(['win rate 60.0% is below the minimum 65.0%']);
    expect(gate(evaluation(), { ...T, minMacroF1: 0.4 }).reasons).toEqual(['macro-F1 0.390 is below the minimum 0.400']);
  });

  it('an optional minimum Sharpe after costs, off by default, checked with the backtest figure when set', () => {
    const low = gate(evaluation(), { ...T, minSharpe: 1.5 });
    expect(low.passed).toBe(false);
    expect(low.reasons).toEqual(['backtest Sharpe after costs 1.20 is below the minimum 1.50 (70 trades, 2 bp per side)']);
    expect(low.checks.find((c) => c.id === 'min-sharpe')).toMatchObject({ hard: true, figure: 1.2 });
    const ok = gate(evaluation(), { ...T, minSharpe: 0 });
    expect(ok.passed).toBe(true);
    expect(ok.reasons).toContain('backtest Sharpe after costs 1.20 ≥ 0.00 (70 trades, 2 bp per side)');
    expect(gate(evaluation(), { ...T, minSharpe: null }).checks.some((c) => c.id === 'min-sharpe')).toBe(false);
    expect(ZGateThresholds.parse({ minSharpe: 0.5 }).minSharpe).toBe(0.5);
  });

  it('the majority-class baseline stays a hard check; trailing logreg is a warning', () => {
    const maj = gate(evaluation({ baselines: { ...evaluation().baselines, majority: { accuracy: 0.5, macroF1: 0.2, diff: iv(0.01, -0.02, 0.04) } } }), T);
    expect(maj.passed).toBe(false);
    expect(maj.reasons[0]).toMatch(/does not clearly beat the majority-class baseline/);
    const lr = gate(evaluation({ baselines: { ...evaluation().baselines, logreg: { accuracy: 0.41, macroF1: 0.42, diff: iv(-0.03, -0.06, 0) } } }), T);
    expect(lr.passed).toBe(true);
    expect(lr.warnings).toEqual([expect.stringMatching(/trails the logreg reference/)]);
  });
});

describe('evaluateOnTest → gate on synthetic predictions (pure path, no model)', () => {
  /** Test bars of a random walk with overlapping 12-bar forward returns and ATR-like labels; predictions given. */
  function run(predict: (futureReturn: number, i: number) => number, seed: number) {
    const rng = createRng(seed);
    const h = 12;
    const n = 1500;
    const steps = Float64Array.from({ length: n + h }, () => 0.002 * rng.normal());
    const fr = Float64Array.from({ length: n }, (_, i) => steps.slice(i + 1, i + 1 + h).reduce((a, b) => a + b, 0));
    const thr = 0.0065; // ≈ a third of the bars in each class
    const y = Uint8Array.from(fr, (r) => (r > thr ? 2 : r < -thr ? 0 : 1));
    const trainY = Uint8Array.from({ length: 3000 }, (_, i) => i % 3);
    const logits = (pred: ArrayLike<number>) => {
      const out = new Float32Array(pred.length * 3);
      for (let i = 0; i < pred.length; i++) out[i * 3 + pred[i]] = 3;
      return out;
    };
    const pred = Uint8Array.from(fr, (r, i) => predict(r, i));
    const valY = trainY.subarray(0, 300);
    const { evaluation: ev } = evaluateOnTest({
      test: { y, n, times: Float64Array.from({ length: n }, (_, i) => i * 3_600_000), forwardReturn: fr },
      trainY,
      valY,
      valLogits: logits(valY),
      testLogits: logits(pred),
      logreg: null,
      horizon: h,
      costBps: 2,
      periodsPerYear: 8760,
      seed: 1,
    });
    return { ev, g: gate(ev, T) };
  }

  it('a noisy view of the future (signals right ~60 % of the time) passes; the prior-random baseline is an expectation', () => {
    const rng = createRng(21);
    // Predicts from the forward return plus noise three times its size, with the labels' own threshold.
    const { ev, g } = run((r) => {
      const guess = r + 0.021 * rng.normal();
      return guess > 0.0065 ? 2 : guess < -0.0065 ? 0 : 1;
    }, 4);
    expect(ev.edge.hitRate).toBeGreaterThan(0.55);
    expect(ev.edge.hitRate).toBeLessThan(0.66);
    expect(g.passed, g.reasons.join('; ')).toBe(true);
    expect(ev.baselines.priorRandom.macroF1).toBeGreaterThan(0.3);
    expect(ev.baselines.priorRandom.macroF1).toBeLessThan(0.36);
  });

  it('signals that do not know the future are rejected on the directional edge', () => {
    for (const seed of [5, 6, 7]) {
      const rng = createRng(100 + seed);
      const { g } = run(() => rng.int(3), seed);
      expect(g.passed).toBe(false);
      expect(g.reasons.join(' ')).toMatch(/no clear directional edge|not right more often/);
    }
  });
});
