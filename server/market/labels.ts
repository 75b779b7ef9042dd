import { z } from 'zod';
import { badRequest } from '../errors';

/** Class ids: index into CLASS_NAMES. Models output probabilities in this order. */
export const CLASS_NAMES = ['SELL', 'HOLD', 'BUY'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];
export const SELL = 0;
export const HOLD = 1;
export const BUY = 2;
/** Marks a bar without a label (the last `horizon` bars, or no ATR yet). */
export const NO_LABEL = 255;

/**
 * Label rule. The forward return over `horizon` bars, r = close[t + h] / close[t] − 1, against a threshold:
 *   atr: threshold = k × ATR14[t] / close[t]   (adapts to volatility; default)
 *   pct: threshold = a fixed fraction (0.002 = 0.2 %)
 * BUY when r > threshold, SELL when r < −threshold, HOLD otherwise. The last h bars have no label.
 */
export const LabelRuleSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('atr'),
    horizon: z.number().int().min(1).max(1000),
    k: z.number().positive().max(100),
  }),
  z.object({
    kind: z.literal('pct'),
    horizon: z.number().int().min(1).max(1000),
    threshold: z.number().positive().max(10),
  }),
]);
export type LabelRule = z.infer<typeof LabelRuleSchema>;

/** 12 bars ahead, ±1 ATR: roughly a third of the bars in each class on hourly FX and crypto. */
export const DEFAULT_LABEL_RULE: LabelRule = { kind: 'atr', horizon: 12, k: 1 };

export interface Labels {
  /** Per bar: SELL/HOLD/BUY id, or NO_LABEL. */
  labels: Uint8Array;
  /** Per bar: close[t + h] / close[t] − 1 (NaN when there is no label). */
  forwardReturn: Float64Array;
  /** Per bar: the threshold used (NaN when there is no label). */
  threshold: Float64Array;
  labelled: number;
}

/**
 * Labels every bar. `atr` (per bar, NaN where undefined) is needed for the atr rule. Label t uses close[t],
 * close[t + h] and atr[t] only.
 */
export function computeLabels(close: ArrayLike<number>, rule: LabelRule, atr?: ArrayLike<number>): Labels {
  const n = close.length;
  if (rule.kind === 'atr' && (!atr || atr.length !== n)) throw badRequest('label: the atr rule needs an ATR value per bar');
  const labels = new Uint8Array(n).fill(NO_LABEL);
  const forwardReturn = new Float64Array(n).fill(NaN);
  const threshold = new Float64Array(n).fill(NaN);
  const h = rule.horizon;
  let labelled = 0;
  for (let t = 0; t + h < n; t++) {
    const thr = rule.kind === 'atr' ? (rule.k * atr![t]) / close[t] : rule.threshold;
    if (!Number.isFinite(thr)) continue;
    const r = close[t + h] / close[t] - 1;
    forwardReturn[t] = r;
    threshold[t] = thr;
    labels[t] = r > thr ? BUY : r < -thr ? SELL : HOLD;
    labelled++;
  }
  return { labels, forwardReturn, threshold, labelled };
}

export interface ClassBalance {
  total: number;
  counts: Record<ClassName, number>;
  /** Shares in [0, 1] (0 when total is 0). */
  shares: Record<ClassName, number>;
  /** The most frequent class (ties: HOLD, then SELL, then BUY order by id). */
  majority: ClassName;
}

/** Class counts over labels (NO_LABEL ignored); optionally only at the given bar indices. */
export function classBalance(labels: ArrayLike<number>, at?: ArrayLike<number>): ClassBalance {
  const counts = [0, 0, 0];
  const len = at ? at.length : labels.length;
  for (let i = 0; i < len; i++) {
    const y = labels[at ? at[i] : i];
    if (y <= 2) counts[y]++;
  }
  const total = counts[0] + counts[1] + counts[2];
  let majority = HOLD;
  for (const c of [SELL, BUY]) if (counts[c] > counts[majority]) majority = c;
  return {
    total,
    counts: { SELL: counts[0], HOLD: counts[1], BUY: counts[2] },
    shares: { SELL: total ? counts[0] / total : 0, HOLD: total ? counts[1] / total : 0, BUY: total ? counts[2] / total : 0 },
    majority: CLASS_NAMES[majority],
  };
}
