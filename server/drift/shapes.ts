/**
 * Drift as data: a version's reference profile, a drift report, a model's drift policy (thresholds, schedule,
 * retraining). The zod schemas validate input; drizzle/schema/shapes.ts takes the jsonb types from here.
 */
import { z } from 'zod';

export interface InputReference {
  name: string;
  /** Finite training-part values of this model input. */
  n: number;
  /** Inner decile edges (quantiles of the training part) and the training shares per bin. */
  edges: number[];
  shares: number[];
  /** Sorted training values when n ≤ 1,000 (the KS reference); else 1,001 quantiles q0 … q1 (the Wasserstein reference). */
  sample: number[];
  sampleIsQuantiles: boolean;
  /** Population standard deviation of the training values (Wasserstein is divided by it). */
  std: number;
  /**
   * Integrated autocorrelation time of the input in training (bars): market inputs persist, so n bars carry about
   * n / τ independent values — the drift test's p-value uses these effective sizes.
   */
  tau: number;
}

export interface DriftProfile {
  version: 1;
  /** Model inputs in the model's own (scale-free) space: prices relative to the reference EMA, scaled oscillators, log volume. */
  inputs: InputReference[];
  /** The test part's predicted class mix [SELL, HOLD, BUY] and confidence deciles (10 bins, counts). */
  predictions: { classes: number[]; confidence: number[]; n: number };
  /** Test-part accuracy (what live accuracy is held against). */
  testAccuracy: number | null;
  testN: number;
  /** Where the reference came from. */
  source: { dataset: string | null; from: string | null; to: string | null; bars: number; barMs: number | null };
}

export const ZDriftThresholds = z.strictObject({
  /** KS p-value below this → the indicator drifted (reference ≤ 1,000 rows). */
  ksPValue: z.number().gt(0).max(0.5).default(0.05),
  /** Wasserstein distance / reference std at or above this → drifted (reference > 1,000 rows). */
  wasserstein: z.number().gt(0).max(10).default(0.1),
  /** Share of indicators that must drift for dataset drift. */
  datasetShare: z.number().gt(0).max(1).default(0.5),
  /** Jensen–Shannon distance of the class mix at or above this → prediction drift. */
  predictionJs: z.number().gt(0).max(1).default(0.1),
  /** Fewer samples than this → "not enough data", never a verdict. */
  minSamples: z.number().int().min(10).max(10_000_000).default(200),
  /** Outcomes needed before live accuracy can drift. */
  minOutcomes: z.number().int().min(10).max(10_000_000).default(100),
});
export type DriftThresholds = z.output<typeof ZDriftThresholds>;

export const ZRetrainPolicy = z.strictObject({
  /** off; on dataset drift; on live-accuracy drift; on either. */
  on: z.enum(['off', 'dataset_drift', 'accuracy_drift', 'any']).default('off'),
  cooldownHours: z.number().min(0).max(24 * 90).default(24),
  maxPerDay: z.number().int().min(1).max(48).default(1),
  /** Train on the most recent N bars of the dataset (a sliding window); null = the whole dataset. */
  trainingBars: z.number().int().min(500).max(10_000_000).nullable().default(null),
});

export const ZDriftPolicy = z.strictObject({
  thresholds: ZDriftThresholds.default(ZDriftThresholds.parse({})),
  /** Daily check (UTC hour, the trading team's 00:00) — off for a model with enabled: false. */
  schedule: z.strictObject({ enabled: z.boolean().default(true), hourUtc: z.number().int().min(0).max(23).default(0) }).default({ enabled: true, hourUtc: 0 }),
  /** Hours of served requests a scheduled report reads. */
  windowHours: z.number().int().min(1).max(24 * 90).default(24),
  retrain: ZRetrainPolicy.default(ZRetrainPolicy.parse({})),
});
export type DriftPolicy = z.output<typeof ZDriftPolicy>;
export const DEFAULT_DRIFT_POLICY: DriftPolicy = ZDriftPolicy.parse({});

export interface IndicatorResult {
  name: string;
  test: 'ks' | 'wasserstein';
  statistic: number | null;
  /**
   * KS p-value of the current window against the reference with effective sample sizes (n / τ on both sides): the
   * significance part of every verdict.
   */
  pValue: number | null;
  /** The statistic's limit: KS — the D at p = ksPValue with the effective sizes; Wasserstein — the distance (0.1). */
  threshold: number;
  /** Effective sizes (reference, current) and τ. */
  effective: { reference: number; current: number; tau: number };
  /** The window's length in bars. */
  windowBars: number;
  drifted: boolean;
  psi: number | null;
  psiBand: 'stable' | 'moderate' | 'drift' | null;
  nReference: number;
  nCurrent: number;
  /** Excluded from the current sample: imputed or non-finite. */
  excluded: number;
  edges: number[];
  referenceShares: number[];
  currentShares: number[];
}

export interface DriftReportBody {
  window: { kind: 'requests'; hours: number; from: string; to: string } | { kind: 'dataset'; dataset: string; bars: number; from: string | null; to: string | null };
  thresholds: DriftThresholds;
  /** A sentence a person can act on. */
  summary: string;
  indicators: IndicatorResult[];
  prediction: { js: number | null; threshold: number; drifted: boolean; reference: number[]; current: number[]; n: number };
  accuracy: { live: number | null; liveCi: [number, number] | null; test: number | null; outcomes: number; drifted: boolean; note: string };
  /** What happened next (retraining started, skipped and why). */
  retraining?: { started: boolean; runId?: string; reason: string };
}
