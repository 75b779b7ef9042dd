import { z } from 'zod';
import { MODEL_TYPES } from '../ml/models';
import { DatasetNameSchema } from '../market/import';

export const ZModelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model name is 1-64 lowercase letters, digits, dots, dashes or underscores');

/**
 * Gate thresholds on the untouched test part. The directional-edge test and the baseline comparisons are always on
 * and not configurable (server/training/evaluate.ts explains each check). `minSharpe`: an optional minimum annualised
 * backtest Sharpe ratio after costs; null or absent = off (the default — a statistical edge is what the gate
 * certifies; whether it pays after a venue's costs is the trading app's call, and the backtest is shown either way).
 */
export const ZGateThresholds = z.object({
  minAccuracy: z.number().min(0).max(1).default(0.34),
  minMacroF1: z.number().min(0).max(1).default(0.3),
  minWinRate: z.number().min(0).max(1).default(0.5),
  minSharpe: z.number().min(-100).max(100).nullable().optional(),
});
export type GateThresholds = z.output<typeof ZGateThresholds>;

/**
 * A training request: from the Training page, tRPC `training.start`, REST `POST /api/v1/train` and the CLI.
 * Defaults are the sensible first try on hourly or daily bars.
 */
export const ZTrainRequest = z
  .object({
    dataset: DatasetNameSchema,
    modelType: z.enum(MODEL_TYPES).default('lstm'),
    /** Registry name; default `<dataset>-<modelType>`. */
    modelName: ZModelName.optional(),
    /** Train on the most recent N bars of the dataset only (a sliding window, e.g. for drift-triggered retraining). */
    recentBars: z.number().int().min(500).max(100_000_000).optional(),
    /** Hidden units (lstm, gru) or hidden layer width (mlp). */
    units: z.number().int().min(4).max(512).default(64),
    /** Window T: bars per sample. */
    window: z.number().int().min(1).max(256).default(30),
    /** Label horizon h in bars. */
    horizon: z.number().int().min(1).max(500).default(12),
    /** `atr`: threshold = k × ATR/close; `pct`: fixed fraction. */
    labelKind: z.enum(['atr', 'pct']).default('atr'),
    k: z.number().positive().max(20).default(1),
    threshold: z.number().positive().max(1).default(0.005),
    epochs: z.number().int().min(1).max(500).default(30),
    batchSize: z.number().int().min(8).max(4096).default(128),
    learningRate: z.number().positive().max(1).default(0.001),
    patience: z.number().int().min(0).max(100).default(5),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    /** `balanced` weighs classes by inverse frequency (better macro-F1 on skewed labels). */
    classWeights: z.enum(['balanced', 'none']).default('balanced'),
    /** Backtest cost per side, basis points. */
    costBps: z.number().min(0).max(1000).default(2),
    gate: ZGateThresholds.default({ minAccuracy: 0.34, minMacroF1: 0.3, minWinRate: 0.5 }),
    /** Cancel the model's active run first instead of answering CONFLICT. */
    force: z.boolean().default(false),
  })
  .strict();

export type TrainRequest = z.output<typeof ZTrainRequest>;
export type TrainRequestInput = z.input<typeof ZTrainRequest>;

export function modelNameOf(req: TrainRequest): string {
  return req.modelName ?? `${req.dataset}-${req.modelType}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 64);
}

export function labelRuleOf(req: TrainRequest) {
  return req.labelKind === 'atr'
    ? ({ kind: 'atr', horizon: req.horizon, k: req.k } as const)
    : ({ kind: 'pct', horizon: req.horizon, threshold: req.threshold } as const);
}

export const STAGES = ['collect data', 'features', 'labels and samples', 'train', 'evaluate', 'indicator weights', 'gate', 'register', 'clean up'] as const;
export type StageName = (typeof STAGES)[number];
