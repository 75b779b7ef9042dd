/**
 * Linked traffic sliders as pure functions: moving one slider rebalances the others so the total stays 100, in whole
 * percents, deterministically. The others share what is left in proportion to their values *when the drag began*
 * (the anchor), so a slider dragged back and forth returns the others to where they were — no rounding drift.
 */

const clampInt = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(Number.isFinite(v) ? v : 0)));

/**
 * Splits `total` whole units over `weights` in proportion (largest remainder; ties go to the lower index). All-zero
 * weights share equally.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  if (!weights.length) return [];
  const w = weights.some((x) => x > 0) ? weights.map((x) => Math.max(0, x)) : weights.map(() => 1);
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (total * x) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k].i]++;
  return out;
}

/**
 * The split after slider `index` is set to `value`: it gets `value` (a whole percent, at most what the locked sliders
 * leave), the other unlocked sliders share the rest in proportion to `anchor`, locked ones keep theirs. The result
 * always sums to 100 (given an anchor whose locked entries sum to at most 100). With nothing else free to move, the
 * slider keeps what the others leave it.
 */
export function rebalance(anchor: readonly number[], index: number, value: number, locked: ReadonlySet<number> = new Set()): number[] {
  const n = anchor.length;
  if (n === 0) return [];
  if (n === 1) return [100];
  const base = anchor.map((x) => clampInt(x, 0, 100));
  const lockedSum = base.reduce((a, x, j) => a + (j !== index && locked.has(j) ? x : 0), 0);
  const room = Math.max(0, 100 - lockedSum);
  const free = base.map((_, j) => j).filter((j) => j !== index && !locked.has(j));
  const out = [...base];
  if (!free.length) {
    out[index] = room;
    return out;
  }
  const v = clampInt(value, 0, room);
  out[index] = v;
  const shares = apportion(room - v, free.map((j) => base[j]));
  free.forEach((j, k) => (out[j] = shares[k]));
  return out;
}

export const total = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export interface SplitChange {
  version: number;
  from: number;
  to: number;
}

/** Per version, its percent before and after (versions in either), lowest version first. */
export function splitChanges(before: readonly { version: number; percent: number }[], after: readonly { version: number; percent: number }[]): SplitChange[] {
  const versions = [...new Set([...before.map((e) => e.version), ...after.map((e) => e.version)])].sort((a, b) => a - b);
  const of = (s: readonly { version: number; percent: number }[], v: number) => s.find((e) => e.version === v)?.percent ?? 0;
  return versions.map((version) => ({ version, from: of(before, version), to: of(after, version) }));
}

export const sameSplit = (a: readonly { version: number; percent: number }[], b: readonly { version: number; percent: number }[]) => splitChanges(a, b).every((c) => c.from === c.to);

/** "v1 75 % · v2 25 %" (versions with traffic only; "no traffic" for an empty split). */
export function splitText(split: readonly { version: number; percent: number }[]): string {
  const s = split.filter((e) => e.percent > 0).sort((a, b) => a.version - b.version);
  return s.length ? s.map((e) => `v${e.version} ${e.percent} %`).join(' · ') : 'no traffic';
}
