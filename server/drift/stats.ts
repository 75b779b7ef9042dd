/**
 * Drift statistics as plain functions over arrays (tested against scipy in stats.test.ts): quantile bin edges and
 * shares, PSI, the two-sample Kolmogorov–Smirnov test, the Wasserstein-1 distance (normalised by the reference's
 * standard deviation, as Evidently does), Jensen–Shannon distance between class mixes. Non-finite values are
 * dropped by the callers (and counted), never silently turned into numbers.
 */

/** Ascending copy of the finite values. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[j++] = values[i];
  return out.sort();
}

/** Quantile of sorted data by linear interpolation (numpy's default, type 7). */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  if (!s.length) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/**
 * Inner bin edges at the reference's quantiles 1/bins … (bins−1)/bins, duplicates removed (a discrete input gives
 * fewer bins). Bins are (−∞, e0], (e0, e1], …, (e_last, ∞).
 */
export function quantileEdges(sortedRef: ArrayLike<number>, bins = 10): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sortedRef, k / bins);
    if (!edges.length || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Share of values per bin of `edges` (length edges.length + 1), over finite values. */
export function binShares(values: ArrayLike<number>, edges: readonly number[]): { shares: number[]; n: number } {
  const counts = new Array(edges.length + 1).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= edges[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
    n++;
  }
  return { shares: counts.map((c) => (n ? c / n : 0)), n };
}

/**
 * Population stability index Σ (cur − ref) · ln(cur / ref) over bins; empty bins take `eps` (Evidently uses 1e-4) so
 * the index stays finite. Bands: < 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 drift.
 */
export function psi(refShares: readonly number[], curShares: readonly number[], eps = 1e-4): number {
  if (refShares.length !== curShares.length) throw new Error('psi: bins differ');
  let s = 0;
  for (let i = 0; i < refShares.length; i++) {
    const r = Math.max(refShares[i], eps);
    const c = Math.max(curShares[i], eps);
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** The Kolmogorov distribution's survival function Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²). */
export function kolmogorovQ(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.2) return 1; // the series converges badly here and Q is 1 to 15 digits
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    s += t;
    if (Math.abs(t) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * Two-sample Kolmogorov–Smirnov test on sorted samples: D = sup |F_a − F_b| and the p-value Q((√nₑ + 0.12 +
 * 0.11/√nₑ) · D), nₑ = nm/(n+m) — Stephens' correction of the asymptotic formula, within a few % of scipy's
 * `ks_2samp(method='asymp')` (which evaluates the exact one-sample distribution at nₑ) where decisions are made
 * (p ≈ 0.01–0.1).
 */
export function ks2(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): { statistic: number; pValue: number } {
  const n = sortedA.length;
  const m = sortedB.length;
  if (!n || !m) return { statistic: NaN, pValue: NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(sortedA[i], sortedB[j]);
    while (i < n && sortedA[i] <= x) i++;
    while (j < m && sortedB[j] <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return { statistic: d, pValue: ksPValue(d, n, m) };
}

/** The two-sample KS p-value of statistic `d` for sample sizes n and m (see ks2). */
export function ksPValue(d: number, n: number, m: number): number {
  const se = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((se + 0.12 + 0.11 / se) * d);
}

/** The KS statistic at which the p-value (ksPValue) falls to `alpha`, for sample sizes n and m. */
export function ksCritical(alpha: number, n: number, m: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (ksPValue(mid, n, m) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Wasserstein-1 distance between two samples (sorted): ∫ |F_a(x) − F_b(x)| dx, exactly (as scipy computes it). */
export function wasserstein1(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  if (!n || !m) return NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(sortedA[0], sortedB[0]);
  let s = 0;
  while (i < n || j < m) {
    const x = j >= m || (i < n && sortedA[i] <= sortedB[j]) ? sortedA[i] : sortedB[j];
    s += Math.abs(i / n - j / m) * (x - prev);
    while (i < n && sortedA[i] <= x) i++;
    while (j < m && sortedB[j] <= x) j++;
    prev = x;
  }
  return s;
}

export function stdDev(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return Math.sqrt(ss / n); // population std (numpy's default), as Evidently normalises with np.std
}

/** Jensen–Shannon distance (base 2, in [0, 1]) between two discrete distributions (counts or shares). */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  if (!(sp > 0) || !(sq > 0)) return NaN;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log2(a / m);
    if (b > 0) js += 0.5 * b * Math.log2(b / m);
  }
  return Math.sqrt(Math.max(0, js));
}
