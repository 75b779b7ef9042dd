import { z } from 'zod';
import { DomainError, badRequest } from '../errors';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES, FIRST_DEFINED_BAR, INDICATOR_PERIODS, WARMUP_BARS } from './indicators';
import { CLASS_NAMES, classBalance, computeLabels, DEFAULT_LABEL_RULE, LabelRuleSchema, NO_LABEL, type ClassBalance, type LabelRule } from './labels';
import { applyScalerInPlace, fitScalerMatrix, type Scaler } from './scaler';
import { chronologicalSplit, DEFAULT_SPLIT, SplitFractionsSchema, type SplitFractions } from './splits';
import { hashCandles } from './hash';
import { inferBarMs, timeframeToMs } from './timeframe';
import { TRANSFORM_ID, TRANSFORMED_COUNT, TRANSFORMED_FEATURE_NAMES, transformInto } from './transform';
import { toColumns, type Candle, type CandleColumns, type DatasetRef } from './types';
import { parseOrThrow } from './validate';

/**
 * Samples for training: sliding windows of T steps over the model inputs (transform.ts, then the standard scaler
 * fitted on the training part only), labelled by the label rule at the window's last bar, split chronologically
 * with a purge gap (splits.ts). Windows never include warm-up bars; bars without a label are never samples.
 */
export const SampleParamsSchema = z.object({
  /** T: steps per window. */
  window: z.number().int().min(1).max(1000).default(30),
  label: LabelRuleSchema.default(DEFAULT_LABEL_RULE),
  split: SplitFractionsSchema.default(DEFAULT_SPLIT),
  /** Bars purged between parts; at least the label horizon (the default). */
  purge: z.number().int().min(0).max(100_000).optional(),
  warmupBars: z.number().int().min(FIRST_DEFINED_BAR + 1).max(100_000).default(WARMUP_BARS),
});
export type SampleParams = z.input<typeof SampleParamsSchema>;

export interface SampleSet {
  /** [n, T, F] row-major. */
  x: Float32Array;
  /** Class id per sample (CLASS_NAMES order: 0 = SELL, 1 = HOLD, 2 = BUY). */
  y: Uint8Array;
  n: number;
  /** Close time (epoch ms) of the last bar of each window: when the prediction could be made. */
  times: Float64Array;
  /** Candle index of the last bar of each window (for backtests: close[endIndex], close[endIndex + h]). */
  endIndex: Int32Array;
  /** Forward return over the horizon at each sample (for backtests). */
  forwardReturn: Float64Array;
}

export interface PartRange {
  n: number;
  from: string | null;
  to: string | null;
  firstIndex: number;
  lastIndex: number;
}

/** Everything needed to rebuild the same samples: stored by training as lineage. */
export interface SampleSnapshot {
  version: 1;
  dataset: DatasetRef | null;
  candles: { count: number; from: string | null; to: string | null; hash: string; barMs: number | null };
  params: { window: number; label: LabelRule; split: SplitFractions; purge: number; warmupBars: number };
  features: {
    names: readonly string[];
    periods: typeof INDICATOR_PERIODS;
    transform: string;
    inputNames: readonly string[];
  };
  classNames: readonly string[];
  parts: { train: PartRange; val: PartRange; test: PartRange };
}

export interface BuiltSamples {
  train: SampleSet;
  val: SampleSet;
  test: SampleSet;
  /** T */
  window: number;
  /** F: model inputs per step. */
  featureCount: number;
  /** Model input names (TRANSFORMED_FEATURE_NAMES). */
  featureNames: readonly string[];
  /** The 16 raw feature names the transform reads (FEATURE_NAMES). */
  rawFeatureNames: readonly string[];
  classNames: readonly string[];
  labelRule: LabelRule;
  scaler: Scaler;
  snapshot: SampleSnapshot;
  classBalance: { train: ClassBalance; val: ClassBalance; test: ClassBalance };
}

const iso = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? null : new Date(ms).toISOString());

export function buildSamples(
  candles: readonly Candle[] | CandleColumns,
  params: SampleParams & { dataset?: DatasetRef; barMs?: number } = {},
): BuiltSamples {
  const p = parseOrThrow(SampleParamsSchema, params, 'samples');
  const h = p.label.horizon;
  const purge = p.purge ?? h;
  if (purge < h) throw badRequest(`purge: must be at least the label horizon (${h} bars), got ${purge}`, { field: 'purge' });
  const T = p.window;
  const c = toColumns(candles);
  const n = c.n;
  const name = params.dataset?.name ? `dataset '${params.dataset.name}'` : 'the series';

  // 1. Features → model inputs per bar (NaN rows where invalid).
  const feats = computeFeatures(c, { warmupBars: p.warmupBars });
  const F = TRANSFORMED_COUNT;
  const inputs = new Float64Array(n * F).fill(NaN);
  for (let i = 0; i < n; i++) if (feats.valid[i]) transformInto(feats.values, i * FEATURE_COUNT, inputs, i * F);

  // 2. Labels.
  const lab = labelsFromFeatures(c, feats, p.label);

  // 3. Eligible samples: T valid bars ending at t, and a label at t.
  const ends: number[] = [];
  let run = 0;
  for (let t = 0; t < n; t++) {
    run = feats.valid[t] ? run + 1 : 0;
    if (run >= T && lab.labels[t] !== NO_LABEL) ends.push(t);
  }
  const split = chronologicalSplit(ends, p.split, purge);
  const need = (part: 'train' | 'val' | 'test') => p.split[part] > 0 && split[part].length === 0;
  if (need('train') || need('val') || need('test')) {
    throw new DomainError(
      'UNPROCESSABLE_CONTENT',
      `${name} has ${n} bars: after the ${p.warmupBars}-bar warm-up, the ${T}-step window and the ${h}-bar label horizon that leaves ` +
        `${ends.length} samples, too few for a ${Math.round(p.split.train * 100)}/${Math.round(p.split.val * 100)}/${Math.round(p.split.test * 100)} split ` +
        `with a ${purge}-bar purge (train ${split.train.length}, val ${split.val.length}, test ${split.test.length}); import more bars`,
      { bars: n, samples: ends.length },
    );
  }

  // 4. Scaler: fitted on the bars the training windows cover, nothing later.
  const trainFirstBar = split.train[0] - T + 1;
  const trainLastBar = split.train[split.train.length - 1];
  const scaler = fitScalerMatrix(inputs, F, TRANSFORMED_FEATURE_NAMES, { from: trainFirstBar, to: trainLastBar + 1 });
  const scaled = new Float32Array(inputs);
  applyScalerInPlace(scaler, scaled);

  // 5. Windows.
  const barMs = params.barMs ?? (params.dataset?.timeframe ? timeframeToMs(params.dataset.timeframe) : null) ?? inferBarMs(c.ts);
  const makeSet = (idx: Int32Array): SampleSet => {
    const m = idx.length;
    const x = new Float32Array(m * T * F);
    const y = new Uint8Array(m);
    const times = new Float64Array(m);
    const fr = new Float64Array(m);
    for (let s = 0; s < m; s++) {
      const t = idx[s];
      x.set(scaled.subarray((t - T + 1) * F, (t + 1) * F), s * T * F);
      y[s] = lab.labels[t];
      times[s] = c.ts[t] + (barMs ?? 0);
      fr[s] = lab.forwardReturn[t];
    }
    return { x, y, n: m, times, endIndex: Int32Array.from(idx), forwardReturn: fr };
  };
  const train = makeSet(split.train);
  const val = makeSet(split.val);
  const test = makeSet(split.test);

  const range = (idx: Int32Array): PartRange => ({
    n: idx.length,
    from: iso(idx.length ? c.ts[idx[0] - T + 1] : undefined),
    to: iso(idx.length ? c.ts[idx[idx.length - 1]] : undefined),
    firstIndex: idx.length ? idx[0] : -1,
    lastIndex: idx.length ? idx[idx.length - 1] : -1,
  });
  const snapshot: SampleSnapshot = {
    version: 1,
    dataset: params.dataset ? { ...params.dataset } : null,
    candles: { count: n, from: iso(n ? c.ts[0] : undefined), to: iso(n ? c.ts[n - 1] : undefined), hash: hashCandles(c), barMs: barMs ?? null },
    params: { window: T, label: p.label, split: p.split, purge, warmupBars: p.warmupBars },
    features: { names: FEATURE_NAMES, periods: INDICATOR_PERIODS, transform: TRANSFORM_ID, inputNames: TRANSFORMED_FEATURE_NAMES },
    classNames: CLASS_NAMES,
    parts: { train: range(split.train), val: range(split.val), test: range(split.test) },
  };
  return {
    train,
    val,
    test,
    window: T,
    featureCount: F,
    featureNames: TRANSFORMED_FEATURE_NAMES,
    rawFeatureNames: FEATURE_NAMES,
    classNames: CLASS_NAMES,
    labelRule: p.label,
    scaler,
    snapshot,
    classBalance: { train: classBalance(train.y), val: classBalance(val.y), test: classBalance(test.y) },
  };
}

/** Labels of every bar by `rule`, with ATR14 from the feature matrix (NaN on warm-up bars): exactly as training does. */
export function labelsFromFeatures(c: CandleColumns, feats: ReturnType<typeof computeFeatures>, rule: LabelRule) {
  const atr = new Float64Array(c.n);
  const ai = FEATURE_INDEX.atr_value;
  for (let i = 0; i < c.n; i++) atr[i] = feats.valid[i] ? feats.values[i * FEATURE_COUNT + ai] : NaN;
  return computeLabels(c.close, rule, atr);
}

/** The labels training computed for a dataset's bars (same features, warm-up and rule): outcomes use this. */
export function trainingLabels(c: CandleColumns, rule: LabelRule, warmupBars?: number) {
  return labelsFromFeatures(c, computeFeatures(c, { warmupBars }), rule);
}
