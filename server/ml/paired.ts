/**
 * Paired comparison of two classifiers on the bars both were tested on: align their test samples on bar time, check
 * that the true labels agree there (otherwise they were not scored on the same test), and bootstrap the difference
 * B − A in accuracy and macro-F1 over the shared samples. Plain functions over arrays (no tfjs, no database).
 *
 * Why paired: two versions tested on the same bars share the hard and the easy bars; resampling the bars once and
 * scoring both versions on the same resample cancels that shared variance, so the interval of the difference is much
 * narrower than the two separate intervals suggest (and honest: the separate intervals overlapping says little).
 *
 * Why moving blocks (not i.i.d. resampling): neighbouring test samples are not independent — their labels look h bars
 * ahead and overlap by h − k bars at lag k, their input windows overlap, and a model's right and wrong calls come in
 * runs. Resampling single samples treats those runs as independent draws and gives an interval that is too narrow
 * (see the test with errors in runs). Blocks of three label horizons, as the stored evaluation uses
 * ({@link blockLengthFor}), keep most of that dependence inside a block.
 */
import { accuracy, bootstrap, macroF1, macroF1DiffInterval, type BootstrapOptions, type Interval } from './metrics';
import { blockLengthFor } from './evaluate';

type Labels = ArrayLike<number>;

/** One version's test part: bar time (epoch ms), true label and predicted class per sample. */
export interface TestSet {
  times: ArrayLike<number>;
  labels: Labels;
  pred: Labels;
}

/** Fewer shared samples than this and an interval of the difference means nothing. */
export const MIN_SHARED = 30;

export type Alignment =
  | { ok: true; shared: number; idxA: Int32Array; idxB: Int32Array; from: number; to: number }
  | { ok: false; shared: number; reason: string };

/**
 * The samples of `a` and `b` at the same bar times (in `a`'s order), or why they cannot be paired: no shared bar,
 * fewer than {@link MIN_SHARED}, or true labels that differ at a shared bar (a different label rule or different
 * data for the same times — then it is not the same test).
 */
export function alignOnTimes(a: Pick<TestSet, 'times' | 'labels'>, b: Pick<TestSet, 'times' | 'labels'>, minShared = MIN_SHARED): Alignment {
  if (a.times.length !== a.labels.length || b.times.length !== b.labels.length) throw new Error('paired: one time per label');
  const atB = new Map<number, number>();
  for (let j = 0; j < b.times.length; j++) atB.set(b.times[j], j);
  const ia: number[] = [];
  const ib: number[] = [];
  let mismatches = 0;
  for (let i = 0; i < a.times.length; i++) {
    const j = atB.get(a.times[i]);
    if (j === undefined) continue;
    ia.push(i);
    ib.push(j);
    if (a.labels[i] !== b.labels[j]) mismatches++;
  }
  const shared = ia.length;
  if (shared === 0) return { ok: false, shared, reason: 'their test parts share no bar (different data, dates or timeframe)' };
  if (mismatches > 0)
    return {
      ok: false,
      shared,
      reason: `the true labels differ on ${mismatches.toLocaleString('en')} of ${shared.toLocaleString('en')} shared bars (a different label rule or different data): not the same test`,
    };
  if (shared < minShared) return { ok: false, shared, reason: `only ${shared} shared test samples (at least ${minShared} are needed for an interval)` };
  let from = Infinity;
  let to = -Infinity;
  for (const i of ia) {
    from = Math.min(from, a.times[i]);
    to = Math.max(to, a.times[i]);
  }
  return { ok: true, shared, idxA: Int32Array.from(ia), idxB: Int32Array.from(ib), from, to };
}

/** Bootstrap interval of accuracy (the share of correct predictions). */
export function accuracyInterval(yTrue: Labels, yPred: Labels, opts: BootstrapOptions = {}): Interval {
  if (yTrue.length !== yPred.length) throw new Error(`paired: ${yTrue.length} labels but ${yPred.length} predictions`);
  const correct = Uint8Array.from({ length: yTrue.length }, (_, i) => (yTrue[i] === yPred[i] ? 1 : 0));
  return bootstrap(yTrue.length, (idx) => meanAt(correct, idx), opts);
}

function meanAt(v: ArrayLike<number>, idx: Int32Array): number {
  let s = 0;
  for (let k = 0; k < idx.length; k++) s += v[idx[k]];
  return idx.length ? s / idx.length : NaN;
}

export interface PairedDifference {
  n: number;
  a: { accuracy: number; macroF1: number };
  b: { accuracy: number; macroF1: number };
  /** B − A, with its paired bootstrap interval. */
  accuracy: Interval;
  /** B − A, with its paired bootstrap interval. */
  macroF1: Interval;
  blockLength: number;
}

/**
 * Accuracy and macro-F1 of B minus A on the same samples, each with a paired (moving-block) bootstrap interval. Both
 * intervals come from the same resamples: `bootstrap` draws its index sets from the seed alone, so equal seeds, sample
 * counts and block lengths give equal index sets. Identical predictions give an interval of exactly [0, 0].
 */
export function pairedDifference(yTrue: Labels, predA: Labels, predB: Labels, opts: BootstrapOptions = {}): PairedDifference {
  const n = yTrue.length;
  if (predA.length !== n || predB.length !== n) throw new Error(`paired: ${n} labels but ${predA.length} and ${predB.length} predictions`);
  // Per sample: +1 where only B is right, −1 where only A is; the accuracy difference is their mean.
  const d = Int8Array.from({ length: n }, (_, i) => (yTrue[i] === predB[i] ? 1 : 0) - (yTrue[i] === predA[i] ? 1 : 0));
  const accuracyDiff = bootstrap(n, (idx) => meanAt(d, idx), opts);
  return {
    n,
    a: { accuracy: accuracy(yTrue, predA), macroF1: macroF1(yTrue, predA) },
    b: { accuracy: accuracy(yTrue, predB), macroF1: macroF1(yTrue, predB) },
    accuracy: accuracyDiff,
    macroF1: macroF1DiffInterval(yTrue, predB, predA, opts),
    blockLength: Math.max(1, Math.min(Math.floor(opts.blockLength ?? 1), n)),
  };
}

export type PairedComparison =
  | ({ available: true; shared: number; from: number; to: number } & PairedDifference)
  | { available: false; shared: number; reason: string };

/**
 * Aligns two test sets on bar time and, when they are the same test, bootstraps B − A over the shared samples with
 * blocks of three label horizons ({@link blockLengthFor} of the longer horizon of the two).
 */
export function comparePaired(
  a: TestSet,
  b: TestSet,
  opts: { horizon: number; resamples?: number; level?: number; seed?: number; minShared?: number },
): PairedComparison {
  const al = alignOnTimes(a, b, opts.minShared);
  if (!al.ok) return { available: false, shared: al.shared, reason: al.reason };
  const pick = (src: Labels, idx: Int32Array) => Uint8Array.from(idx, (i) => src[i]);
  const y = pick(a.labels, al.idxA);
  const blockLength = blockLengthFor(opts.horizon, al.shared);
  const diff = pairedDifference(y, pick(a.pred, al.idxA), pick(b.pred, al.idxB), { resamples: opts.resamples ?? 1000, level: opts.level ?? 0.95, seed: opts.seed ?? 12345, blockLength });
  return { available: true, shared: al.shared, from: al.from, to: al.to, ...diff };
}
