/**
 * Calibration: temperature scaling (Guo et al. 2017) fitted on validation logits, expected calibration error and
 * reliability bins. Plain functions over arrays (logits and probabilities are row-major [n × C]).
 *
 * The fitted temperature T divides the logits before the softmax; it changes confidences, never the argmax, so
 * accuracy and F1 are unchanged.
 */
import { NUM_CLASSES } from './types';

/** Mean negative log-likelihood of softmax(logits / T) (natural log). */
export function nllAtTemperature(logits: ArrayLike<number>, y: ArrayLike<number>, temperature: number, classes = NUM_CLASSES): number {
  const n = y.length;
  if (logits.length !== n * classes) throw new Error(`calibration: ${logits.length} logits for ${n} samples × ${classes} classes`);
  if (n === 0) return NaN;
  const inv = 1 / temperature;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c] * inv);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c] * inv - max);
    sum += Math.log(s) + max - logits[o + y[i]] * inv;
  }
  return sum / n;
}

export interface TemperatureFit {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  n: number;
}

/**
 * Fits T > 0 minimising the validation NLL by golden-section search over log T in [minT, maxT] (the NLL is convex
 * in 1/T, hence unimodal in log T). Without samples, T = 1.
 */
export function fitTemperature(
  logits: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: { classes?: number; minT?: number; maxT?: number; tolerance?: number } = {},
): TemperatureFit {
  const classes = opts.classes ?? NUM_CLASSES;
  const n = y.length;
  const nllBefore = nllAtTemperature(logits, y, 1, classes);
  if (n === 0) return { temperature: 1, nllBefore, nllAfter: nllBefore, n };
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) throw new Error(`calibration: logit ${i} is not finite`);
  }
  let a = Math.log(opts.minT ?? 0.05);
  let b = Math.log(opts.maxT ?? 20);
  const tol = opts.tolerance ?? 1e-5;
  const f = (u: number) => nllAtTemperature(logits, y, Math.exp(u), classes);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  let temperature = Math.exp((a + b) / 2);
  let nllAfter = f(Math.log(temperature));
  // Never worse than leaving the model alone.
  if (!(nllAfter <= nllBefore)) {
    temperature = 1;
    nllAfter = nllBefore;
  }
  return { temperature, nllBefore, nllAfter, n };
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence (max probability) of the samples in the bin (NaN when empty). */
  confidence: number;
  /** Fraction of the bin's samples whose argmax is right (NaN when empty). */
  accuracy: number;
}

export interface Reliability {
  /** Expected calibration error: Σ (count/n)·|accuracy − confidence| over the bins. */
  ece: number;
  /** Maximum calibration error over non-empty bins. */
  mce: number;
  bins: ReliabilityBin[];
  n: number;
}

/** Reliability bins (equal width over the top-class confidence) and ECE of probabilities [n × C]. */
export function reliability(probs: ArrayLike<number>, y: ArrayLike<number>, opts: { classes?: number; bins?: number } = {}): Reliability {
  const classes = opts.classes ?? NUM_CLASSES;
  const nb = opts.bins ?? 10;
  const n = y.length;
  if (probs.length !== n * classes) throw new Error(`calibration: ${probs.length} probabilities for ${n} samples × ${classes} classes`);
  const count = new Array<number>(nb).fill(0);
  const confSum = new Array<number>(nb).fill(0);
  const okSum = new Array<number>(nb).fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let arg = 0;
    for (let c = 1; c < classes; c++) if (probs[o + c] > probs[o + arg]) arg = c;
    const conf = probs[o + arg];
    const k = Math.min(nb - 1, Math.max(0, Math.floor(conf * nb)));
    count[k]++;
    confSum[k] += conf;
    if (arg === y[i]) okSum[k]++;
  }
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = count.map((cnt, k) => {
    const confidence = cnt > 0 ? confSum[k] / cnt : NaN;
    const acc = cnt > 0 ? okSum[k] / cnt : NaN;
    if (cnt > 0) {
      const gap = Math.abs(acc - confidence);
      ece += (cnt / n) * gap;
      mce = Math.max(mce, gap);
    }
    return { lower: k / nb, upper: (k + 1) / nb, count: cnt, confidence, accuracy: acc };
  });
  return { ece: n > 0 ? ece : NaN, mce, bins, n };
}
