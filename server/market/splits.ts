import { z } from 'zod';
import { badRequest } from '../errors';

/**
 * Chronological train / validation / test split with a purge gap. Samples are identified by the bar index t of
 * their last step; the label of sample t looks at bars t..t+h. Between two parts, samples are dropped from the start
 * of the later part until its first sample t' satisfies t' ≥ t_last + purge + 1, so with purge ≥ h no label of an
 * earlier part reaches a bar of a later part's labels (no overlap, no leakage across the boundary).
 */
export const SplitFractionsSchema = z
  .object({
    train: z.number().gt(0).lt(1),
    val: z.number().min(0).lt(1),
    test: z.number().min(0).lt(1),
  })
  .refine((s) => s.train + s.val + s.test <= 1 + 1e-9, { message: 'train + val + test must be at most 1' });
export type SplitFractions = z.infer<typeof SplitFractionsSchema>;
export const DEFAULT_SPLIT: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 };

export interface SplitIndices {
  /** Bar index (last step) of each sample, ascending. */
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Samples dropped at each boundary by the purge. */
  purged: { trainVal: number; valTest: number };
}

/**
 * Splits eligible sample end indices (ascending) by fraction, then purges each boundary. Fractions that sum to
 * less than 1 leave the latest samples unused.
 */
export function chronologicalSplit(ends: ArrayLike<number>, fractions: SplitFractions, purge: number): SplitIndices {
  const n = ends.length;
  const sum = fractions.train + fractions.val + fractions.test;
  if (!(sum <= 1 + 1e-9) || fractions.train <= 0 || fractions.val < 0 || fractions.test < 0) {
    throw badRequest(`split: fractions must be ≥ 0 with train > 0 and sum to at most 1 (got ${fractions.train}/${fractions.val}/${fractions.test})`, { field: 'split' });
  }
  const nTrain = Math.floor(n * fractions.train);
  const nVal = Math.min(n - nTrain, Math.floor(n * fractions.val));
  const nTest = Math.abs(sum - 1) < 1e-9 ? n - nTrain - nVal : Math.min(n - nTrain - nVal, Math.floor(n * fractions.test));
  const slice = (a: number, b: number) => Int32Array.from({ length: Math.max(0, b - a) }, (_, i) => ends[a + i]);
  const train = slice(0, nTrain);
  const purgeFrom = (part: Int32Array, prevLast: number | undefined): Int32Array => {
    if (prevLast === undefined) return part;
    let k = 0;
    while (k < part.length && part[k] < prevLast + purge + 1) k++;
    return part.subarray(k);
  };
  const valRaw = slice(nTrain, nTrain + nVal);
  const val = purgeFrom(valRaw, train.length ? train[train.length - 1] : undefined);
  const testRaw = slice(nTrain + nVal, nTrain + nVal + nTest);
  const lastBefore = val.length ? val[val.length - 1] : train.length ? train[train.length - 1] : undefined;
  const test = purgeFrom(testRaw, lastBefore);
  return { train, val, test, purged: { trainVal: valRaw.length - val.length, valTest: testRaw.length - test.length } };
}
