/**
 * Fixed histograms that add up across processes and intervals (the roll-ups store counts per bucket). Latency
 * buckets are log-spaced (factor √2 from 0.1 ms to ~13 s), so a merged percentile is within one bucket — about ±20 %
 * in the middle of one — of the exact value, whatever mix of replicas answered.
 */

/** Upper bounds (ms) of the latency buckets; one overflow bucket follows. */
export const LATENCY_BUCKETS_MS: readonly number[] = Array.from({ length: 34 }, (_, k) => Math.round(0.1 * 2 ** (k / 2) * 1e4) / 1e4);
/** Upper bounds of the tensor-batch size buckets; one overflow bucket follows. */
export const BATCH_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** Confidence deciles (percent): 0–10, …, 90–100. */
export const CONFIDENCE_BUCKETS = 10;

/** Index of the bucket holding v: the first bound ≥ v, else the overflow bucket. */
export function bucketOf(v: number, bounds: readonly number[]): number {
  let lo = 0;
  let hi = bounds.length; // overflow
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= bounds[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export const emptyHist = (bounds: readonly number[]) => new Array<number>(bounds.length + 1).fill(0);

export function confidenceBucket(confidencePercent: number): number {
  return Math.min(CONFIDENCE_BUCKETS - 1, Math.max(0, Math.floor(confidencePercent / 10)));
}

/** Adds b into a (same length), returns a. */
export function addInto(a: number[], b: ArrayLike<number>): number[] {
  for (let i = 0; i < a.length && i < b.length; i++) a[i] += b[i];
  return a;
}

/**
 * The q-quantile (0 < q < 1) of a bucketed histogram: the bucket where the cumulative count crosses q·n, interpolated
 * geometrically inside it (the buckets are log-spaced). Null when the histogram is empty. The overflow bucket
 * reports its lower bound (the largest finite one).
 */
export function quantile(hist: ArrayLike<number>, bounds: readonly number[], q: number): number | null {
  let n = 0;
  for (let i = 0; i < hist.length; i++) n += hist[i];
  if (!n) return null;
  const target = q * n;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    const c = hist[i];
    if (c > 0 && acc + c >= target) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const hi = bounds[i];
      const lo = i === 0 ? hi / Math.SQRT2 : bounds[i - 1];
      const f = Math.min(1, Math.max(0, (target - acc) / c));
      return lo * (hi / lo) ** f;
    }
    acc += c;
  }
  return bounds[bounds.length - 1];
}

/** Mean of a bucketed histogram using bucket midpoints (for batch sizes); null when empty. */
export function bucketMean(hist: ArrayLike<number>, bounds: readonly number[]): number | null {
  let n = 0;
  let s = 0;
  for (let i = 0; i < hist.length; i++) {
    if (!hist[i]) continue;
    const hi = i < bounds.length ? bounds[i] : bounds[bounds.length - 1] * 2;
    const lo = i === 0 ? hi : i < bounds.length ? bounds[i - 1] + 1 : bounds[bounds.length - 1] + 1;
    n += hist[i];
    s += hist[i] * ((lo + hi) / 2);
  }
  return n ? s / n : null;
}
