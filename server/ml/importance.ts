/**
 * Permutation importance → one normalised weight per input feature (the "indicator weights" the trading app reads).
 *
 * For feature f, the feature's whole window (all T steps) is swapped between samples by a seeded permutation, the
 * predictor is re-scored, and the loss of score is the feature's raw importance; averaged over `repeats`
 * permutations. Weights are max(0, importance) normalised to sum to 1 (uniform when no feature matters).
 * Run it on the validation part (never on the test part the gate judges).
 */
import { macroF1 } from './metrics';
import { argmaxRows } from './probs';
import { nllAtTemperature } from './calibration';
import { createRng, permutation } from './random';
import { NUM_CLASSES, type InputShape, type Samples } from './types';

/** Class probabilities [n × C] for windows x [n, T, F]. */
export type ProbaFn = (x: Float32Array, n: number) => Float32Array;

export type ImportanceMetric = 'nll' | 'accuracy' | 'macroF1';

export interface ImportanceOptions {
  /** Permutations per feature (default 3). */
  repeats?: number;
  seed?: number;
  /** Score whose degradation is measured (default 'nll': smooth, sensitive to small effects). */
  metric?: ImportanceMetric;
  featureNames?: readonly string[];
}

export interface FeatureImportance {
  /** One weight per feature, ≥ 0, summing to 1. */
  weights: number[];
  /** Mean score loss per feature (can be negative: permuting helped, i.e. the feature is noise). */
  importances: number[];
  /** Standard deviation of the score loss over the repeats. */
  std: number[];
  /** Score on the unpermuted samples. */
  baseline: number;
  metric: ImportanceMetric;
  repeats: number;
  featureNames: string[] | null;
}

function score(metric: ImportanceMetric, probs: Float32Array, y: Uint8Array): number {
  if (metric === 'nll') {
    // nllAtTemperature takes logits; log-probabilities are valid logits of the same distribution.
    const logp = Float32Array.from(probs, (p) => Math.log(Math.max(p, 1e-12)));
    return nllAtTemperature(logp, y, 1, NUM_CLASSES);
  }
  const pred = argmaxRows(probs, NUM_CLASSES);
  if (metric === 'accuracy') {
    let ok = 0;
    for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
    return ok / y.length;
  }
  return macroF1(y, pred);
}

export function permutationImportance(predictProba: ProbaFn, samples: Samples, shape: InputShape, opts: ImportanceOptions = {}): FeatureImportance {
  const { timeSteps: T, features: F } = shape;
  const { x, y, n } = samples;
  const repeats = opts.repeats ?? 3;
  const metric = opts.metric ?? 'nll';
  if (x.length !== n * T * F) throw new Error(`importance: x has ${x.length} values; expected ${n}·${T}·${F}`);
  if (opts.featureNames && opts.featureNames.length !== F) throw new Error(`importance: ${opts.featureNames.length} feature names for ${F} features`);
  if (n < 2) throw new Error('importance: needs at least 2 samples');
  const lossOf = (s: number, base: number) => (metric === 'nll' ? s - base : base - s);
  const baseline = score(metric, predictProba(x, n), y);
  const xp = new Float32Array(x.length);
  const importances: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < F; f++) {
    const rng = createRng(opts.seed ?? 7, 1000 + f);
    const losses: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const perm = permutation(n, rng);
      xp.set(x);
      for (let i = 0; i < n; i++) {
        const src = perm[i] * T * F;
        const dst = i * T * F;
        for (let t = 0; t < T; t++) xp[dst + t * F + f] = x[src + t * F + f];
      }
      losses.push(lossOf(score(metric, predictProba(xp, n), y), baseline));
    }
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    importances.push(mean);
    std.push(Math.sqrt(losses.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, losses.length - 1)));
  }
  const pos = importances.map((v) => (v > 0 && Number.isFinite(v) ? v : 0));
  const total = pos.reduce((a, b) => a + b, 0);
  const weights = total > 0 ? pos.map((v) => v / total) : pos.map(() => 1 / F);
  return { weights, importances, std, baseline, metric, repeats, featureNames: opts.featureNames ? [...opts.featureNames] : null };
}
