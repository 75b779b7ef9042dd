import { CLASS_KEYS } from './schemas';

/**
 * Today's signal semantics, from calibrated class probabilities [SELL, HOLD, BUY] (0–1):
 * confidence = max probability × 100; recommendation STRONG_x ≥ 80, x ≥ 70, WEAK_x ≥ 60, else AVOID;
 * position multiplier HOLD → 0, ≥ 85 → 2.0, ≥ 75 → 1.5, ≥ 65 → 1.0, else 0.5;
 * risk level HOLD → LOW, ≥ 80 LOW, ≥ 70 MEDIUM, else HIGH.
 */
export function toSignal(p: ArrayLike<number>) {
  let best = 0;
  for (let c = 1; c < 3; c++) if (p[c] > p[best]) best = c;
  const direction = CLASS_KEYS[best];
  const confidence = round2(p[best] * 100);
  const recommendation = confidence >= 80 ? `STRONG_${direction}` : confidence >= 70 ? direction : confidence >= 60 ? `WEAK_${direction}` : 'AVOID';
  const position_multiplier = direction === 'HOLD' ? 0 : confidence >= 85 ? 2 : confidence >= 75 ? 1.5 : confidence >= 65 ? 1 : 0.5;
  const risk_level = direction === 'HOLD' ? 'LOW' : confidence >= 80 ? 'LOW' : confidence >= 70 ? 'MEDIUM' : 'HIGH';
  return {
    direction,
    confidence,
    probabilities: { BUY: round2(p[2] * 100), HOLD: round2(p[1] * 100), SELL: round2(p[0] * 100) },
    recommendation,
    position_multiplier,
    risk_level: risk_level as 'LOW' | 'MEDIUM' | 'HIGH',
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;
