import { z } from 'zod';
import { badRequest } from '../errors';
import { parseOrThrow } from './validate';

/**
 * Standard scaler: (x − mean) / std per input, fitted on the TRAINING part only and stored (as JSON) in the model
 * artifact. std is the population standard deviation; a constant input (std ≈ 0) gets std 1 (it is centred only).
 */
export const ScalerSchema = z.object({
  kind: z.literal('standard'),
  version: z.literal(1),
  featureNames: z.array(z.string()).min(1),
  means: z.array(z.number()),
  stds: z.array(z.number().positive()),
  /** Rows it was fitted on. */
  fittedRows: z.number().int().nonnegative(),
});
export type Scaler = z.infer<typeof ScalerSchema>;

/** Fits on `n` rows of `f` values, row-major in `data`, rows [from, to) (default all); rows with a NaN are skipped. */
export function fitScalerMatrix(
  data: ArrayLike<number>,
  f: number,
  featureNames: readonly string[],
  rows?: { from?: number; to?: number; include?: (row: number) => boolean },
): Scaler {
  if (featureNames.length !== f) throw badRequest(`scaler: ${featureNames.length} feature names for ${f} columns`);
  const from = rows?.from ?? 0;
  const to = rows?.to ?? Math.floor(data.length / f);
  const sum = new Float64Array(f);
  let count = 0;
  const usable = (r: number) => {
    if (rows?.include && !rows.include(r)) return false;
    for (let j = 0; j < f; j++) if (!Number.isFinite(data[r * f + j])) return false;
    return true;
  };
  for (let r = from; r < to; r++) {
    if (!usable(r)) continue;
    count++;
    for (let j = 0; j < f; j++) sum[j] += data[r * f + j];
  }
  if (count === 0) throw badRequest('scaler: no rows to fit on');
  const means = Array.from(sum, (s) => s / count);
  const sq = new Float64Array(f);
  for (let r = from; r < to; r++) {
    if (!usable(r)) continue;
    for (let j = 0; j < f; j++) {
      const d = data[r * f + j] - means[j];
      sq[j] += d * d;
    }
  }
  const stds = Array.from(sq, (s, j) => {
    const sd = Math.sqrt(s / count);
    return sd > 1e-12 * Math.max(1, Math.abs(means[j])) ? sd : 1;
  });
  return { kind: 'standard', version: 1, featureNames: [...featureNames], means, stds, fittedRows: count };
}

/** Fits on an array of rows. */
export function fitScaler(rows: readonly (readonly number[])[], featureNames: readonly string[]): Scaler {
  const f = featureNames.length;
  const data = new Float64Array(rows.length * f);
  rows.forEach((r, i) => {
    if (r.length !== f) throw badRequest(`scaler: row ${i} has ${r.length} values, expected ${f}`);
    data.set(r, i * f);
  });
  return fitScalerMatrix(data, f, featureNames);
}

/** One row, scaled. */
export function applyScaler(s: Scaler, row: ArrayLike<number>): number[] {
  if (row.length !== s.means.length) throw badRequest(`features: expected ${s.means.length} inputs (${s.featureNames.join(', ')}), got ${row.length}`);
  const out = new Array<number>(row.length);
  for (let j = 0; j < row.length; j++) out[j] = (row[j] - s.means[j]) / s.stds[j];
  return out;
}

/** Scales a row-major matrix of `s.means.length` columns in place. */
export function applyScalerInPlace(s: Scaler, data: Float32Array | Float64Array): void {
  const f = s.means.length;
  for (let o = 0; o < data.length; o += f) {
    for (let j = 0; j < f; j++) data[o + j] = (data[o + j] - s.means[j]) / s.stds[j];
  }
}

/** A scaler read back from an artifact (validated). */
export function scalerFromJSON(json: unknown): Scaler {
  const s = parseOrThrow(ScalerSchema, typeof json === 'string' ? JSON.parse(json) : json, 'scaler');
  if (s.means.length !== s.featureNames.length || s.stds.length !== s.featureNames.length) {
    throw badRequest(`scaler: ${s.featureNames.length} names, ${s.means.length} means, ${s.stds.length} stds`);
  }
  return s;
}
