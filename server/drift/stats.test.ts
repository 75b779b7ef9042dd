import { describe, it, expect } from 'vitest';
import { binShares, jensenShannon, ks2, ksPValue, psi, quantileEdges, sortedFinite, stdDev, wasserstein1 } from './stats';

/**
 * Reference values computed independently with scipy 1.17 / numpy (python3, on the same deterministic samples):
 *   a = [sin(1.3 i)·2 for i < 200], b = [sin(0.7 i)·2.5 + 0.3 for i < 150]
 *   stats.ks_2samp(a, b, method='asymp') → D 0.32, p 2.4720410204299934e-08
 *   near the decision threshold, stats.kstwo.sf(d, round(nm/(n+m))) (what ks_2samp's asymp evaluates):
 *     n 200, m 150, d 0.15 → 0.03736987116715204; n 1000, m 300, d 0.1 → 0.018323905884641504;
 *     n 1000, m 50, d 0.2 → 0.03694780717225743
 *   stats.wasserstein_distance(a, b) → 0.42929861162298844; np.std(a) → 1.4130298772844285
 *   PSI over np.quantile(a, k/10) edges, shares with eps 1e-4 → 2.379528068404894
 *   jensenshannon([.2,.5,.3], [.4,.4,.2], base=2) → 0.1891807977644295
 *   c = [sin(0.37 i) for i < 3000], d = [sin(0.41 i)·1.1 + 0.05 for i < 2000]: D 0.1695, p 1.309906137899652e-30, W1 0.07279100421925654
 */
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const a = sortedFinite(seq(200, (i) => Math.sin(i * 1.3) * 2));
const b = sortedFinite(seq(150, (i) => Math.sin(i * 0.7) * 2.5 + 0.3));

describe('drift statistics against scipy', () => {
  it('KS two-sample: statistic and asymptotic p-value', () => {
    const r = ks2(a, b);
    expect(r.statistic).toBeCloseTo(0.32, 12);
    expect(r.pValue).toBeLessThan(1e-6);
    expect(Math.log(r.pValue) / Math.log(2.4720410204299934e-8)).toBeCloseTo(1, 1);
    // Where decisions are made (p ≈ 0.05) the p-value is within 5 % of scipy's.
    expect(ksPValue(0.15, 200, 150) / 0.03736987116715204).toBeCloseTo(1, 1);
    expect(Math.abs(ksPValue(0.15, 200, 150) / 0.03736987116715204 - 1)).toBeLessThan(0.05);
    expect(Math.abs(ksPValue(0.1, 1000, 300) / 0.018323905884641504 - 1)).toBeLessThan(0.05);
    expect(Math.abs(ksPValue(0.2, 1000, 50) / 0.03694780717225743 - 1)).toBeLessThan(0.05);
    const c = sortedFinite(seq(3000, (i) => Math.sin(i * 0.37)));
    const d = sortedFinite(seq(2000, (i) => Math.sin(i * 0.41) * 1.1 + 0.05));
    const big = ks2(c, d);
    expect(big.statistic).toBeCloseTo(0.1695, 12);
    expect(Math.log(big.pValue) / Math.log(1.309906137899652e-30)).toBeCloseTo(1, 1);
    expect(wasserstein1(c, d)).toBeCloseTo(0.07279100421925654, 10);
  });

  it('Wasserstein-1 (exact) and the population standard deviation', () => {
    expect(wasserstein1(a, b)).toBeCloseTo(0.42929861162298844, 12);
    expect(stdDev(a)).toBeCloseTo(1.4130298772844285, 12);
  });

  it('PSI over the reference deciles, with empty bins smoothed', () => {
    const edges = quantileEdges(a, 10);
    expect(edges[0]).toBeCloseTo(-1.868370117040357, 12);
    expect(edges[8]).toBeCloseTo(1.927163811007765, 12);
    expect(psi(binShares(a, edges).shares, binShares(b, edges).shares)).toBeCloseTo(2.379528068404894, 10);
    expect(psi(binShares(a, edges).shares, binShares(a, edges).shares)).toBe(0);
  });

  it('Jensen–Shannon distance (base 2), and non-finite values are not counted', () => {
    expect(jensenShannon([0.2, 0.5, 0.3], [0.4, 0.4, 0.2])).toBeCloseTo(0.1891807977644295, 12);
    expect(jensenShannon([1, 0, 0], [1, 0, 0])).toBe(0);
    expect(sortedFinite([3, NaN, 1, Infinity, 2])).toEqual(new Float64Array([1, 2, 3]));
    expect(binShares([1, NaN, 5], [2]).n).toBe(2);
  });
});
