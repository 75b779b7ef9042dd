/**
 * Request and response schemas of inference — one set for tRPC, REST (/api/v1/*), the root paths today's clients
 * use (/predict, …) and the lean serve process. Bad input is a 400 naming the field.
 */
import { z } from 'zod';
import { FEATURE_NAMES, type FeatureName } from '../market/indicators';
import { ZSymbol } from '../market/symbol';
import { ALIAS_RE } from '../promotion/shapes';
import { MAX_DATE_MS } from '../validation';

export { ZSymbol };

/**
 * Magnitudes an indicator can have: 0, or between 1e-18 and 1e18. Beyond them a value is not a market's (5e-324,
 * 1e308), it would not survive float32 (the model's input and the prediction log's `real` columns), and it made
 * confident answers out of nothing (issue 12).
 */
export const MAX_INDICATOR_MAGNITUDE = 1e18;
export const MIN_INDICATOR_MAGNITUDE = 1e-18;
const plausible = (v: number) => v === 0 || (Math.abs(v) >= MIN_INDICATOR_MAGNITUDE && Math.abs(v) <= MAX_INDICATOR_MAGNITUDE);

const finite = (name: string) =>
  z
    .number({ error: (i) => (i.input === undefined ? `${name} is required` : `${name} must be a number, got ${JSON.stringify(i.input)}`) })
    .refine(Number.isFinite, `${name} must be finite`)
    .refine(plausible, `${name} must be 0 or between 1e-18 and 1e18 in magnitude`);

/** Plausible ranges: a value outside them is a client bug, answered with a 400 rather than a confident signal. */
const RANGES: Record<FeatureName, { min?: number; max?: number; exclusiveMin?: boolean }> = {
  adx_value: { min: 0, max: 100 },
  rsi_value: { min: 0, max: 100 },
  ema_12: { min: 0, exclusiveMin: true },
  ema_21: { min: 0, exclusiveMin: true },
  ema_50: { min: 0, exclusiveMin: true },
  vwap: { min: 0, exclusiveMin: true },
  atr_value: { min: 0 },
  bollinger_upper: { min: 0, exclusiveMin: true },
  bollinger_lower: { min: 0 },
  stoch_k: { min: 0, max: 100 },
  stoch_d: { min: 0, max: 100 },
  macd_line: {},
  macd_signal: {},
  volume_ma: { min: 0 },
  price_change_pct: { min: -100, max: 10_000 },
  volatility: { min: 0, max: 10 },
};

function indicator(name: FeatureName) {
  const r = RANGES[name];
  let s = finite(name);
  if (r.min !== undefined) {
    const min = r.min;
    s = s.refine((v) => (r.exclusiveMin ? v > min : v >= min), `${name} must be ${r.exclusiveMin ? '>' : '≥'} ${min}`);
  }
  if (r.max !== undefined) {
    const max = r.max;
    s = s.refine((v) => v <= max, `${name} must be ≤ ${max}`);
  }
  return s;
}

/** The 16 indicators; each optional (missing ones are imputed and listed, or refused with `strict`). */
export const ZIndicators = z
  .object(Object.fromEntries(FEATURE_NAMES.map((n) => [n, indicator(n).optional()])) as Record<FeatureName, z.ZodOptional<ReturnType<typeof indicator>>>)
  .strict();
export type Indicators = z.infer<typeof ZIndicators>;
const ZFullIndicators = z.object(Object.fromEntries(FEATURE_NAMES.map((n) => [n, indicator(n)])) as Record<FeatureName, ReturnType<typeof indicator>>).strict();


export const ZPredictRequest = z
  .object({
    symbol: ZSymbol,
    indicators: ZIndicators,
    /** Pin an alias of the model (`champion`, `challenger`, …) instead of the traffic split. */
    alias: z.string().regex(ALIAS_RE, "alias must be an alias name such as 'champion'").optional(),
    /** Pin a version (`v3`) of the model instead of the traffic split. */
    model_version: z.string().regex(/^v\d{1,6}$/, "model_version must look like 'v3'").optional(),
    /** Which model (default: the model that serves this symbol). */
    model: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'model must be a model name').optional(),
    include_weights: z.boolean().optional(),
    /** Bar close time of the indicators (ISO 8601 or epoch ms); default: now. */
    timestamp: z.union([z.iso.datetime({ offset: true, error: 'timestamp must be ISO 8601 (e.g. 2024-05-01T14:00:00Z) or epoch milliseconds' }), z.number().int().positive().max(MAX_DATE_MS, 'timestamp must be before the year 10000')]).optional(),
    /** The last steps (oldest first, the current bar last): T × 16, as arrays in indicator order or as objects. */
    window: z
      .array(
        z.union([
          z
            .array(z.number().refine(Number.isFinite, 'window values must be finite').refine(plausible, 'window values must be 0 or between 1e-18 and 1e18 in magnitude'))
            .length(16, 'each window step must have the 16 indicators'),
          ZFullIndicators,
        ]),
      )
      .min(1)
      .max(512)
      .optional(),
    /** Refuse (400) instead of imputing missing indicators. */
    strict: z.boolean().optional(),
    /** Sticky routing: the same key always meets the same version while the split is unchanged (default: no stickiness). */
    routing_key: z.string().max(128).optional(),
  })
  .strict()
  .refine((r) => !(r.alias && r.model_version), { message: 'give alias or model_version, not both', path: ['alias'] });
export type PredictRequest = z.infer<typeof ZPredictRequest>;

export const CLASS_KEYS = ['SELL', 'HOLD', 'BUY'] as const;

export const ZPrediction = z.object({
  direction: z.enum(CLASS_KEYS),
  confidence: z.number(),
  probabilities: z.object({ BUY: z.number(), HOLD: z.number(), SELL: z.number() }),
  recommendation: z.string(),
  position_multiplier: z.number(),
  risk_level: z.enum(['LOW', 'MEDIUM', 'HIGH']),
  weights: z.record(z.string(), z.number()).optional(),
});

export const ZPredictResponse = z.object({
  symbol: z.string(),
  prediction: ZPrediction,
  model: z.string(),
  model_version: z.string(),
  timestamp: z.string(),
  processing_time_ms: z.number(),
  cache_hit: z.boolean(),
  /** Indicators the request did not give. */
  imputed: z.array(z.string()),
  /**
   * Where they were filled from: `symbol_history` (this symbol's latest snapshot) or `training_input_medians` (the
   * model inputs that read them take their training medians, which are scale-free); null when nothing was imputed.
   */
  imputed_from: z.enum(['symbol_history', 'training_input_medians']).nullable(),
  /** Window steps that were real data (the rest: padding). */
  steps_real: z.number().int(),
  window: z.number().int(),
  warmup: z.boolean(),
});
export type PredictResponse = z.infer<typeof ZPredictResponse>;

export const ZBatchRequest = z.union([
  z.object({ requests: z.array(z.unknown()).min(1, 'requests must not be empty') }).strict(),
  z.array(z.unknown()).min(1, 'the batch must not be empty'),
]);

export interface BatchResponse {
  total_requests: number;
  successful_predictions: number;
  errors: { index: number; symbol: string | null; error: string; status: number }[];
  results: (PredictResponse | null)[];
  processing_time_ms: number;
}
