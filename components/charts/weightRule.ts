/**
 * How an indicator weight is shown next to its signed permutation importance (Δ NLL: validation NLL with the input
 * shuffled minus without). The training job normalises max(0, Δ NLL) to sum to 1 (server/ml/importance.ts), so an
 * input whose shuffling *improved* the loss shows 0 % — this says why, instead of a bare 0 %. When no input made the
 * loss worse the weights are uniform. Display only: no data access, no business rule beyond naming the stored one.
 */
import { pct, signed } from './format';

export type WeightKind = 'positive' | 'clipped' | 'zero' | 'uniform' | 'reference' | 'unknown';

export interface WeightDisplay {
  kind: WeightKind;
  /** The weight as shown, e.g. "12.3%" or "0% (clipped)". */
  weightText: string;
  /** Signed Δ NLL, e.g. "+0.0123", "−0.0040", or "—" when the version did not store it. */
  deltaText: string;
  /** One sentence for a person, empty for an ordinary positive weight. */
  explanation: string;
}

export const CLIPPED_EXPLANATION = 'negative: shuffling this input improved the loss; weight clipped to 0';
export const ZERO_EXPLANATION = 'zero: shuffling this input did not change the loss; weight 0';
export const UNIFORM_EXPLANATION = 'no input made the loss worse when shuffled, so every input gets the same weight';

type N = number | null | undefined;
const finite = (v: N): v is number => typeof v === 'number' && Number.isFinite(v);

export function weightDisplay(w: { weight: N; importance?: N; note?: string | null }, digits = 4): WeightDisplay {
  const deltaText = !finite(w.importance)
    ? '—'
    : w.importance !== 0 && Math.abs(w.importance) < 0.5 * 10 ** -digits
      ? `${w.importance > 0 ? '+' : '−'}${Math.abs(w.importance).toExponential(1)}`
      : signed(w.importance, digits);
  if (w.note) return { kind: 'reference', weightText: pct(w.weight ?? 0), deltaText, explanation: w.note };
  if (!finite(w.importance)) return { kind: 'unknown', weightText: pct(w.weight), deltaText, explanation: '' };
  if (w.importance > 0) return { kind: 'positive', weightText: pct(w.weight), deltaText, explanation: '' };
  if (finite(w.weight) && w.weight > 0) return { kind: 'uniform', weightText: pct(w.weight), deltaText, explanation: UNIFORM_EXPLANATION };
  if (w.importance < 0) return { kind: 'clipped', weightText: '0% (clipped)', deltaText, explanation: CLIPPED_EXPLANATION };
  return { kind: 'zero', weightText: pct(0), deltaText, explanation: ZERO_EXPLANATION };
}
