import { z } from 'zod';
import type { Db } from '../db/client';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES, type FeatureMatrix, type FeatureName } from './indicators';
import { classBalance, computeLabels, DEFAULT_LABEL_RULE, LabelRuleSchema, type ClassBalance, type LabelRule } from './labels';
import { getDataset, loadCandleColumns } from './store';
import type { CandleColumns } from './types';
import { parseOrThrow } from './validate';

/**
 * Most points one chart answer carries. A point is ~0.6 kB of JSON (OHLCV + 16 features), so an answer stays under
 * ~1.3 MB however long the dataset (one tRPC batch of 100 charts of 10,000 points once answered 307 MB).
 */
export const MAX_CHART_POINTS = 2000;

/** What the Data page's price chart asks for: the last `bars` bars, bucketed to at most `maxPoints` points. */
export const ZChartRequest = z.object({
  dataset: z.string().min(1),
  bars: z.number().int().min(1).max(1_000_000).default(250),
  maxPoints: z.number().int().min(2).max(MAX_CHART_POINTS, `must be at most ${MAX_CHART_POINTS} (longer windows are bucketed)`).default(1500),
  label: LabelRuleSchema.optional(),
});
export type ChartRequest = z.input<typeof ZChartRequest>;

/** One bar: OHLCV plus the 16 features (null during the warm-up, where an indicator is not defined yet). */
export type ChartPoint = { t: number; open: number; high: number; low: number; close: number; volume: number } & Record<FeatureName, number | null>;

export interface ChartData {
  dataset: string;
  totalBars: number;
  /** Bars in the requested window (before thinning). */
  windowBars: number;
  /**
   * The window in buckets of `barsPerPoint` consecutive bars (the last bucket ends at the last bar), each one OHLC
   * candle of its bars: open of the first, high = max, low = min, close of the last, volume = sum; `t` and the
   * features are those of the bucket's last bar (so the last point is the last bar, as of its close). Highs and lows survive the thinning (a spike is never skipped).
   */
  points: ChartPoint[];
  /** Bars per point (1 = every bar). */
  barsPerPoint: number;
  labelRule: LabelRule;
  /** Label balance over the whole dataset (bars past the warm-up that have a label). */
  classBalance: ClassBalance;
  warmupBars: number;
}

/** Features of recently charted datasets, keyed by id and content hash (an import changes the hash). */
const cache = new Map<string, { cols: CandleColumns; feats: FeatureMatrix }>();
const CACHE_SIZE = 4;

export async function datasetChart(db: Db, input: ChartRequest): Promise<ChartData> {
  const req = parseOrThrow(ZChartRequest, input, 'chart');
  const d = await getDataset(db, req.dataset);
  const key = `${d.id}:${d.contentHash}`;
  let hit = cache.get(key);
  if (!hit) {
    const cols = await loadCandleColumns(db, d.name);
    hit = { cols, feats: computeFeatures(cols) };
    cache.set(key, hit);
    while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  const { cols, feats } = hit;
  const n = cols.n;
  const rule = req.label ?? DEFAULT_LABEL_RULE;
  const atr = new Float64Array(n);
  for (let i = 0; i < n; i++) atr[i] = feats.values[i * FEATURE_COUNT + FEATURE_INDEX.atr_value];
  const labels = computeLabels(cols.close, rule, atr).labels;
  const validIdx: number[] = [];
  for (let i = 0; i < n; i++) if (feats.valid[i]) validIdx.push(i);

  const start = Math.max(0, n - req.bars);
  const windowBars = n - start;
  const stride = Math.max(1, Math.ceil(windowBars / req.maxPoints));
  const points: ChartPoint[] = [];
  for (let i = n - 1; i >= start; i -= stride) {
    const first = Math.max(start, i - stride + 1);
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    for (let j = first; j <= i; j++) {
      if (cols.high[j] > high) high = cols.high[j];
      if (cols.low[j] < low) low = cols.low[j];
      volume += cols.volume[j];
    }
    const p: Record<string, number | null> = {
      t: cols.ts[i],
      open: cols.open[first],
      high,
      low,
      close: cols.close[i],
      volume,
    };
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const v = feats.values[i * FEATURE_COUNT + f];
      p[FEATURE_NAMES[f]] = Number.isFinite(v) ? v : null;
    }
    points.push(p as ChartPoint);
  }
  points.reverse();
  return { dataset: d.name, totalBars: n, windowBars, points, barsPerPoint: stride, labelRule: rule, classBalance: classBalance(labels, validIdx), warmupBars: feats.warmupBars };
}
