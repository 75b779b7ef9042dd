import crypto from 'node:crypto';

export interface SplitEntry {
  versionId: string;
  version: number;
  percent: number;
}

/**
 * Picks a version by the traffic split. With a routing key the choice is a stable hash of the key (the same symbol
 * meets the same version while the split is unchanged); without one it is random. `u` in [0, 1) may be given (tests).
 */
export function pickVersion(split: readonly SplitEntry[], key?: string | null, u?: number): SplitEntry {
  if (!split.length) throw new Error('empty traffic split');
  const total = split.reduce((a, s) => a + s.percent, 0);
  const x = (key ? keyUnit(key) : (u ?? Math.random())) * total;
  let acc = 0;
  for (const s of split) {
    acc += s.percent;
    if (x < acc) return s;
  }
  return split[split.length - 1];
}

/** A key's position in [0, 1): the first 48 bits of its SHA-256. */
export function keyUnit(key: string): number {
  const h = crypto.createHash('sha256').update(key).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}
