import { FEATURE_NAMES } from '../market/indicators';
import type { VersionIndicatorWeights } from '../../drizzle/schema/shapes';

/**
 * Model input → the indicator it comes from (server/market/transform.ts). `ema_12` is the price reference the
 * price-level inputs are divided by; it has no input of its own, so its weight is 0 by construction (marked as such).
 */
export const INPUT_SOURCE: Record<string, (typeof FEATURE_NAMES)[number]> = {
  adx: 'adx_value',
  rsi: 'rsi_value',
  ema21_rel: 'ema_21',
  ema50_rel: 'ema_50',
  vwap_rel: 'vwap',
  atr_rel: 'atr_value',
  bb_upper_rel: 'bollinger_upper',
  bb_lower_rel: 'bollinger_lower',
  stoch_k: 'stoch_k',
  stoch_d: 'stoch_d',
  macd_rel: 'macd_line',
  macd_signal_rel: 'macd_signal',
  log_volume_ma: 'volume_ma',
  price_change_pct: 'price_change_pct',
  volatility: 'volatility',
};

export interface IndicatorWeight {
  indicator: string;
  /**
   * Normalised permutation importance (all 16 sum to 1): max(0, importance) / the sum over the inputs, so a negative
   * importance gives weight 0 (uniform weights when no importance is positive; server/ml/importance.ts).
   */
  weight: number;
  /**
   * Signed Δ NLL: mean validation NLL with the indicator's input shuffled minus the unshuffled NLL. Negative means
   * shuffling improved the loss (the input is noise for this model); the UI shows it beside the clipped weight.
   */
  importance: number;
  std: number;
  /** Change against the previous version of the same model (null for the first). */
  change: number | null;
  note?: string;
}

export interface IndicatorWeights {
  method: string;
  weights: IndicatorWeight[];
  /** Test macro-F1 minus the previous version's (null for the first version). */
  improvementScore: number | null;
  previousVersion: number | null;
}

export function indicatorWeights(
  inputNames: readonly string[],
  imp: { weights: number[]; importances: number[]; std: number[]; metric: string; repeats: number },
  /** The previous version's stored weights (a non-finite weight was stored as null and counts as 0). */
  previous: { version: number; weights: VersionIndicatorWeights; macroF1: number | null } | null,
  macroF1: number,
): IndicatorWeights {
  const byIndicator = new Map<string, { weight: number; importance: number; std: number }>();
  inputNames.forEach((name, i) => {
    const ind = INPUT_SOURCE[name];
    if (!ind) throw new Error(`no indicator for model input '${name}'`);
    const cur = byIndicator.get(ind) ?? { weight: 0, importance: 0, std: 0 };
    byIndicator.set(ind, { weight: cur.weight + imp.weights[i], importance: cur.importance + imp.importances[i], std: Math.hypot(cur.std, imp.std[i]) });
  });
  const prev = new Map(previous?.weights.weights.map((w) => [w.indicator, w.weight]) ?? []);
  return {
    method: `permutation importance on the validation part (${imp.metric}, ${imp.repeats} repeats)`,
    weights: FEATURE_NAMES.map((ind) => {
      const w = byIndicator.get(ind);
      return {
        indicator: ind,
        weight: w?.weight ?? 0,
        importance: w?.importance ?? 0,
        std: w?.std ?? 0,
        change: previous ? (w?.weight ?? 0) - (prev.get(ind) ?? 0) : null,
        ...(w ? {} : { note: 'price reference of the relative inputs; no input of its own' }),
      };
    }),
    improvementScore: previous?.macroF1 != null ? macroF1 - previous.macroF1 : null,
    previousVersion: previous?.version ?? null,
  };
}
