/** Bar durations: `15m`, `1h`, `4h`, `1d`, `1w` ↔ milliseconds. */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const TIMEFRAME_RE = /^([1-9]\d{0,3})(s|m|h|d|w)$/;

/** `1h` → 3,600,000; null for anything else. */
export function timeframeToMs(tf: string): number | null {
  const m = TIMEFRAME_RE.exec(tf.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

/** 3,600,000 → `1h`; the largest unit that divides the duration. */
export function msToTimeframe(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[u] && ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  }
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/**
 * The bar spacing of a series: the median of the positive gaps between consecutive timestamps (weekends and
 * holidays are the long tail, so the median is the bar size). Null with fewer than two distinct timestamps.
 */
export function inferBarMs(ts: ArrayLike<number>, maxGaps = 500): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < ts.length && gaps.length < maxGaps; i++) {
    const d = Math.abs(ts[i] - ts[i - 1]);
    if (d > 0) gaps.push(d);
  }
  if (!gaps.length) return null;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}
