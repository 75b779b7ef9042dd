/**
 * Classification metrics, bootstrap confidence intervals, signal win rate and naive baselines — plain functions over
 * arrays (no tfjs). Classes are indices 0..C−1 (CLASS_ORDER: SELL, HOLD, BUY).
 *
 * Conventions: precision, recall or F1 with a zero denominator are 0 (scikit-learn's zero_division=0); macro-F1 is
 * the unweighted mean over ALL C classes, including classes absent from the sample.
 */
import { createRng, type Rng } from './random';
import { BUY, NUM_CLASSES, SELL } from './types';

type Labels = ArrayLike<number>;

function checkPair(yTrue: Labels, yPred: Labels): void {
  if (yTrue.length !== yPred.length) throw new Error(`metrics: ${yTrue.length} labels but ${yPred.length} predictions`);
}

/** Confusion matrix, rows = true class, columns = predicted class. */
export function confusionMatrix(yTrue: Labels, yPred: Labels, classes = NUM_CLASSES): number[][] {
  checkPair(yTrue, yPred);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

export function accuracy(yTrue: Labels, yPred: Labels): number {
  checkPair(yTrue, yPred);
  if (yTrue.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples of the class. */
  support: number;
  /** Number of predictions of the class. */
  predicted: number;
}

/** Precision, recall, F1 per class from a confusion matrix. */
export function perClassFromConfusion(m: number[][]): ClassScores[] {
  const C = m.length;
  return Array.from({ length: C }, (_, c) => {
    const tp = m[c][c];
    let support = 0;
    let predicted = 0;
    for (let k = 0; k < C; k++) {
      support += m[c][k];
      predicted += m[k][c];
    }
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support, predicted };
  });
}

export function perClass(yTrue: Labels, yPred: Labels, classes = NUM_CLASSES): ClassScores[] {
  return perClassFromConfusion(confusionMatrix(yTrue, yPred, classes));
}

export function macroF1(yTrue: Labels, yPred: Labels, classes = NUM_CLASSES): number {
  checkPair(yTrue, yPred);
  if (yTrue.length === 0) return NaN;
  // Counting without building the matrix: this runs inside the bootstrap loops.
  const tp = new Float64Array(classes);
  const sup = new Float64Array(classes);
  const pred = new Float64Array(classes);
  for (let i = 0; i < yTrue.length; i++) {
    sup[yTrue[i]]++;
    pred[yPred[i]]++;
    if (yTrue[i] === yPred[i]) tp[yTrue[i]]++;
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const denom = sup[c] + pred[c];
    sum += denom > 0 ? (2 * tp[c]) / denom : 0; // F1 = 2TP / (support + predicted)
  }
  return sum / classes;
}

export interface ClassificationReport {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassScores[];
  confusion: number[][];
}

export function classificationReport(yTrue: Labels, yPred: Labels, classes = NUM_CLASSES): ClassificationReport {
  const confusion = confusionMatrix(yTrue, yPred, classes);
  return {
    n: yTrue.length,
    accuracy: accuracy(yTrue, yPred),
    macroF1: macroF1(yTrue, yPred, classes),
    perClass: perClassFromConfusion(confusion),
    confusion,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Bootstrap
// ---------------------------------------------------------------------------------------------------------------

export interface Interval {
  /** The statistic on the full sample. */
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  resamples: number;
}

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  seed?: number;
  /**
   * Moving-block bootstrap: resample runs of this many consecutive samples (default 1 = i.i.d.). Use the label
   * horizon for time-series samples whose labels overlap, or the interval comes out too narrow.
   */
  blockLength?: number;
}

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile bootstrap over sample indices: `stat(indices)` is evaluated on `resamples` index sets drawn with
 * replacement from 0..n−1 (seeded). Resamples where the statistic is NaN are dropped.
 */
export function bootstrap(n: number, stat: (idx: Int32Array) => number, opts: BootstrapOptions = {}): Interval {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng: Rng = createRng(opts.seed ?? 12345, 7);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const estimate = n > 0 ? stat(all) : NaN;
  const values: number[] = [];
  const idx = new Int32Array(n);
  const block = Math.max(1, Math.min(Math.floor(opts.blockLength ?? 1), n));
  for (let r = 0; r < resamples && n > 0; r++) {
    if (block === 1) for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    else {
      for (let i = 0; i < n; ) {
        const start = rng.int(n - block + 1);
        for (let j = 0; j < block && i < n; j++, i++) idx[i] = start + j;
      }
    }
    const v = stat(idx);
    if (!Number.isNaN(v)) values.push(v);
  }
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - level) / 2;
  return { estimate, lower: quantileSorted(sorted, alpha), upper: quantileSorted(sorted, 1 - alpha), level, resamples: values.length };
}

function gather(src: Labels, idx: Int32Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
  return out;
}

/** Bootstrap confidence interval of macro-F1. */
export function macroF1Interval(yTrue: Labels, yPred: Labels, opts: BootstrapOptions = {}, classes = NUM_CLASSES): Interval {
  checkPair(yTrue, yPred);
  const a = new Uint8Array(yTrue.length);
  const b = new Uint8Array(yTrue.length);
  return bootstrap(yTrue.length, (idx) => macroF1(gather(yTrue, idx, a), gather(yPred, idx, b), classes), opts);
}

/**
 * Paired bootstrap of macro-F1(A) − macro-F1(B) on the same samples (each resample scores both predictors on the same
 * indices). `lower > 0` means A beats B at the chosen level.
 */
export function macroF1DiffInterval(yTrue: Labels, predA: Labels, predB: Labels, opts: BootstrapOptions = {}, classes = NUM_CLASSES): Interval {
  checkPair(yTrue, predA);
  checkPair(yTrue, predB);
  const t = new Uint8Array(yTrue.length);
  const a = new Uint8Array(yTrue.length);
  const b = new Uint8Array(yTrue.length);
  return bootstrap(
    yTrue.length,
    (idx) => {
      gather(yTrue, idx, t);
      return macroF1(t, gather(predA, idx, a), classes) - macroF1(t, gather(predB, idx, b), classes);
    },
    opts,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Signal win rate
// ---------------------------------------------------------------------------------------------------------------

export interface WinRate {
  /** BUY and SELL signals (HOLD is no signal). */
  signals: number;
  wins: number;
  /** wins / signals (NaN without signals). */
  winRate: number;
  buy: { signals: number; wins: number; winRate: number };
  sell: { signals: number; wins: number; winRate: number };
}

/**
 * Win rate of the BUY/SELL signals over the label horizon: a BUY wins when the forward return is > 0, a SELL when it
 * is < 0 (before costs; every signal counts, overlapping or not — the backtest handles positions and costs).
 */
export function winRate(yPred: Labels, forwardReturns: ArrayLike<number>, idx?: Int32Array): WinRate {
  if (yPred.length !== forwardReturns.length) throw new Error(`winRate: ${yPred.length} predictions but ${forwardReturns.length} returns`);
  let bs = 0;
  let bw = 0;
  let ss = 0;
  let sw = 0;
  const n = idx ? idx.length : yPred.length;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k] : k;
    const r = forwardReturns[i];
    if (!Number.isFinite(r)) throw new Error(`winRate: forward return at sample ${i} is not finite`);
    if (yPred[i] === BUY) {
      bs++;
      if (r > 0) bw++;
    } else if (yPred[i] === SELL) {
      ss++;
      if (r < 0) sw++;
    }
  }
  const rate = (w: number, s: number) => (s > 0 ? w / s : NaN);
  return {
    signals: bs + ss,
    wins: bw + sw,
    winRate: rate(bw + sw, bs + ss),
    buy: { signals: bs, wins: bw, winRate: rate(bw, bs) },
    sell: { signals: ss, wins: sw, winRate: rate(sw, ss) },
  };
}

/** Bootstrap confidence interval of the signal win rate (resampling samples; resamples without signals are dropped). */
export function winRateInterval(yPred: Labels, forwardReturns: ArrayLike<number>, opts: BootstrapOptions = {}): Interval {
  return bootstrap(yPred.length, (idx) => winRate(yPred, forwardReturns, idx).winRate, opts);
}

// ---------------------------------------------------------------------------------------------------------------
// Naive baselines
// ---------------------------------------------------------------------------------------------------------------

/** Class frequencies of labels (sums to 1; uniform when empty). */
export function classPriors(y: Labels, classes = NUM_CLASSES): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return y.length > 0 ? counts.map((k) => k / y.length) : counts.map(() => 1 / classes);
}

/** The most frequent class of the training labels (lowest index on ties). */
export function majorityClass(trainY: Labels, classes = NUM_CLASSES): number {
  const p = classPriors(trainY, classes);
  let best = 0;
  for (let c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
  return best;
}

/** Majority-class baseline: predicts the training majority for each of n samples. */
export function majorityBaseline(trainY: Labels, n: number, classes = NUM_CLASSES): Uint8Array {
  return new Uint8Array(n).fill(majorityClass(trainY, classes));
}

/** Prior-matched random baseline: n draws from the training class frequencies (seeded). */
export function priorRandomBaseline(trainY: Labels, n: number, seed: number, classes = NUM_CLASSES): Uint8Array {
  const p = classPriors(trainY, classes);
  const rng = createRng(seed, 31);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    let acc = 0;
    let c = 0;
    for (; c < classes - 1; c++) {
      acc += p[c];
      if (u < acc) break;
    }
    out[i] = c;
  }
  return out;
}

/**
 * The EXPECTED accuracy and macro-F1 of the prior-matched random baseline — a classifier that predicts class c with
 * probability q[c] independently of everything — on samples whose true classes occur `support[c]` times (n in all).
 * This is the mean over infinitely many random draws, so a gate comparing against it does not depend on the luck of
 * one draw (one draw's macro-F1 moves by ±0.02–0.05 with the seed, enough to flip a verdict).
 *
 * Exact, not a first-order approximation: with P_c ~ Binomial(n, q_c) predictions of class c, placed uniformly at
 * random, TP_c | P_c is hypergeometric with mean P_c·S_c/n, so
 *   E[F1_c] = E[2·TP_c / (S_c + P_c)] = (2·S_c/n) · Σ_k Binom(k; n, q_c) · k / (S_c + k)
 * (F1 = 0 where S_c + P_c = 0, as in {@link macroF1}); E[accuracy] = Σ_c S_c·q_c / n.
 */
export function expectedRandomScores(support: ArrayLike<number>, q: ArrayLike<number>): { accuracy: number; macroF1: number } {
  const C = support.length;
  let n = 0;
  for (let c = 0; c < C; c++) n += support[c];
  if (n === 0) return { accuracy: NaN, macroF1: NaN };
  let acc = 0;
  let f1 = 0;
  for (let c = 0; c < C; c++) {
    acc += (support[c] * q[c]) / n;
    f1 += expectedClassF1(support[c], binomialPmf(n, q[c]));
  }
  return { accuracy: acc, macroF1: f1 / C };
}

/** Binomial(n, p) probabilities over the k where they are not negligible: pmf[i] = P(K = from + i). */
export interface BinomialPmf {
  n: number;
  from: number;
  pmf: Float64Array;
}

export function binomialPmf(n: number, p: number): BinomialPmf {
  if (p <= 0) return { n, from: 0, pmf: Float64Array.of(1) };
  if (p >= 1) return { n, from: n, pmf: Float64Array.of(1) };
  const mode = Math.floor((n + 1) * p);
  const sd = Math.sqrt(n * p * (1 - p));
  const from = Math.max(0, Math.floor(mode - 10 * sd - 10));
  const to = Math.min(n, Math.ceil(mode + 10 * sd + 10));
  const out = new Float64Array(to - from + 1);
  // Walk the ratio pmf(k ± 1) / pmf(k) outwards from the mode (set to 1), then normalise: every value stays ≤ 1, so
  // nothing overflows; ten standard deviations either side leave out far less than 1e-16 of the mass.
  const m = mode - from;
  out[m] = 1;
  const r = p / (1 - p);
  for (let k = mode; k < to; k++) out[k + 1 - from] = (out[k - from] * (n - k) * r) / (k + 1);
  for (let k = mode; k > from; k--) out[k - 1 - from] = (out[k - from] * k) / ((n - k + 1) * r);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i];
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return { n, from, pmf: out };
}

/** E[F1] of a class with `support` true samples when the number of its predictions has the distribution `b`. */
export function expectedClassF1(support: number, b: BinomialPmf): number {
  if (support === 0) return 0;
  let e = 0;
  for (let i = 0; i < b.pmf.length; i++) {
    const k = b.from + i;
    e += (b.pmf[i] * k) / (support + k);
  }
  return ((2 * support) / b.n) * e;
}

/**
 * Paired bootstrap of macro-F1(model) − E[macro-F1(prior-matched random)], the expectation recomputed on each
 * resample's own class counts (so the interval reflects the sampling of the test bars, not the luck of a random draw).
 */
export function macroF1VsRandomInterval(yTrue: Labels, yPred: Labels, q: ArrayLike<number>, opts: BootstrapOptions = {}, classes = NUM_CLASSES): Interval {
  checkPair(yTrue, yPred);
  const n = yTrue.length;
  const pmfs = Array.from({ length: classes }, (_, c) => binomialPmf(n, q[c]));
  const t = new Uint8Array(n);
  const a = new Uint8Array(n);
  const sup = new Float64Array(classes);
  return bootstrap(
    n,
    (idx) => {
      gather(yTrue, idx, t);
      sup.fill(0);
      for (let i = 0; i < idx.length; i++) sup[t[i]]++;
      let e = 0;
      for (let c = 0; c < classes; c++) e += expectedClassF1(sup[c], pmfs[c]);
      return macroF1(t, gather(yPred, idx, a), classes) - e / classes;
    },
    opts,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Directional edge: the signals against random signals with the same BUY/SELL mix
// ---------------------------------------------------------------------------------------------------------------

export interface DirectionalEdge {
  /** BUY + SELL signals. */
  signals: number;
  buys: number;
  sells: number;
  /** Share of the signals whose forward return has the signalled sign (= the win rate). */
  hitRate: number;
  /**
   * What random signals with the same numbers of BUYs and SELLs, placed uniformly over the same bars, would hit on
   * average: (buys·up + sells·down) / signals, where up/down are the shares of bars whose forward return is > 0 / < 0.
   */
  randomHitRate: number;
  /** hitRate − randomHitRate. */
  hitEdge: number;
  /** Mean of direction × forward return over the signals (before costs). */
  meanReturn: number;
  /** The same random signals' expectation: (buys − sells) / signals × mean forward return of all bars. */
  randomMeanReturn: number;
  /** meanReturn − randomMeanReturn (costs cancel: both pay the same per signal). */
  returnEdge: number;
}

/**
 * The signals' directional edge over random signals with the SAME mix. Matching the model's own BUY/SELL counts
 * (not the training priors) is what makes this a test of timing: a model that says BUY all through a rising test
 * period earns the period's drift, and so does a random signal with as many BUYs; only picking WHEN to buy or sell
 * beats it. The random side is its exact expectation (no draw), computed on the same bars (paired).
 */
export function directionalEdge(yPred: Labels, forwardReturns: ArrayLike<number>, idx?: Int32Array): DirectionalEdge {
  if (yPred.length !== forwardReturns.length) throw new Error(`directionalEdge: ${yPred.length} predictions but ${forwardReturns.length} returns`);
  const n = idx ? idx.length : yPred.length;
  let buys = 0;
  let sells = 0;
  let hits = 0;
  let signed = 0;
  let up = 0;
  let down = 0;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k] : k;
    const r = forwardReturns[i];
    if (!Number.isFinite(r)) throw new Error(`directionalEdge: forward return at sample ${i} is not finite`);
    if (r > 0) up++;
    else if (r < 0) down++;
    sum += r;
    if (yPred[i] === BUY) {
      buys++;
      signed += r;
      if (r > 0) hits++;
    } else if (yPred[i] === SELL) {
      sells++;
      signed -= r;
      if (r < 0) hits++;
    }
  }
  const s = buys + sells;
  const hitRate = s > 0 ? hits / s : NaN;
  const randomHitRate = s > 0 && n > 0 ? (buys * up + sells * down) / (s * n) : NaN;
  const meanReturn = s > 0 ? signed / s : NaN;
  const randomMeanReturn = s > 0 && n > 0 ? ((buys - sells) / s) * (sum / n) : NaN;
  return { signals: s, buys, sells, hitRate, randomHitRate, hitEdge: hitRate - randomHitRate, meanReturn, randomMeanReturn, returnEdge: meanReturn - randomMeanReturn };
}

/** Block-bootstrap intervals of the hit-rate edge and the return edge (the same resamples for both: same seed). */
export function directionalEdgeIntervals(yPred: Labels, forwardReturns: ArrayLike<number>, opts: BootstrapOptions = {}): { hitEdge: Interval; returnEdge: Interval } {
  const n = yPred.length;
  return {
    hitEdge: bootstrap(n, (idx) => directionalEdge(yPred, forwardReturns, idx).hitEdge, opts),
    returnEdge: bootstrap(n, (idx) => directionalEdge(yPred, forwardReturns, idx).returnEdge, opts),
  };
}
