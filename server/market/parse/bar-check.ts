/**
 * The value checks every bar passes before it is stored, whatever it came from (a CSV row, a JSON bar): positive
 * prices, non-negative volume, high ≥ max(open, close), low ≤ min(open, close). One function, so a file import and
 * an append reject the same bars with the same reasons.
 */
export type BarValueField = 'open' | 'high' | 'low' | 'close' | 'volume';

export interface BarProblem {
  field: BarValueField;
  reason: string;
}

const PRICES = ['open', 'high', 'low', 'close'] as const;

/**
 * The first problem of a bar's values, or null. `label` names a field in the reason the way the caller's input names
 * it (a CSV header such as `<HIGH>`, or the JSON key).
 */
export function barProblem(
  v: { open: number; high: number; low: number; close: number; volume: number },
  label: (field: BarValueField) => string = (f) => f,
): BarProblem | null {
  for (const f of PRICES) {
    if (v[f] <= 0) return { field: f, reason: `non-positive price: ${label(f)} = ${v[f]}` };
  }
  if (v.volume < 0) return { field: 'volume', reason: `negative volume: ${label('volume')} = ${v.volume}` };
  const top = Math.max(v.open, v.close);
  if (v.high < top) return { field: 'high', reason: `high ${v.high} < max(open, close) ${top}` };
  const bottom = Math.min(v.open, v.close);
  if (v.low > bottom) return { field: 'low', reason: `low ${v.low} > min(open, close) ${bottom}` };
  return null;
}
