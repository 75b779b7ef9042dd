/** Side-by-side comparisons of repeated phases (bench/shadow.ts): on/off ratios and the between-round spread. */

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const finite = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * `ratio`: mean(on) / mean(off); `paired`: on[i] / off[i] per round (round i's two phases ran back to back).
 * null where a side has no finite value.
 */
export function pairedStats(off: (number | null)[], on: (number | null)[]): { ratio: number | null; paired: (number | null)[] } {
  const a = finite(off);
  const b = finite(on);
  const ratio = a.length && b.length && mean(a) !== 0 ? r3(mean(b) / mean(a)) : null;
  const paired = off.map((x, i) => {
    const y = on[i];
    return x === null || y === null || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) || x === 0 ? null : r3(y / x);
  });
  return { ratio, paired };
}

/** (max − min) / mean × 100 of repeated measurements of one kind: the noise between rounds; null under 2 values. */
export function spreadPct(xs: (number | null)[]): number | null {
  const v = finite(xs);
  if (v.length < 2) return null;
  const m = mean(v);
  if (m === 0) return null;
  return Math.round((10000 * (Math.max(...v) - Math.min(...v))) / Math.abs(m)) / 100;
}
