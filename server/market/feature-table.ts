import type { Db } from '../db/client';
import { badRequest } from '../errors';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES, type FeatureName } from './indicators';
import { CLASS_NAMES, classBalance, computeLabels, NO_LABEL, type ClassBalance, type ClassName, type LabelRule } from './labels';
import { parseDateOrUnix } from './parse/fields';
import { getDataset, loadCandleColumns } from './store';
import { toColumns, type Candle, type CandleColumns } from './types';

export interface FeatureTableRow {
  /** Bar open time, ISO. */
  ts: string;
  /** The 16 features in FEATURE_NAMES order. */
  values: number[];
  /** With labels: the class, or null for the last `horizon` bars. */
  label?: ClassName | null;
}

export interface FeatureTable {
  featureNames: readonly FeatureName[];
  labelRule: LabelRule | null;
  rows: FeatureTableRow[];
  /** Bars before the range and warm-up bars are computed but not listed. */
  warmupBars: number;
  classBalance: ClassBalance | null;
}

/** Epoch ms from a CLI/API date (`2020-01-01`, ISO, epoch ms); BAD_REQUEST naming the field otherwise. */
export function parseDateParam(v: string | number | Date | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : parseDateOrUnix(v);
  if (!Number.isFinite(ms)) throw badRequest(`${field}: not a date: '${String(v)}' (use YYYY-MM-DD or an ISO timestamp)`, { field });
  return ms;
}

/**
 * The 16 features (and optionally labels) of every valid bar in [from, to]. Indicators are computed over the whole
 * series, so bars right after `from` are not warm-up bars; warm-up bars at the start of the series are left out.
 */
export function featureRows(candles: readonly Candle[] | CandleColumns, opts: { from?: number; to?: number; labels?: LabelRule } = {}): FeatureTable {
  const c = toColumns(candles);
  const m = computeFeatures(c);
  let labels: Uint8Array | null = null;
  if (opts.labels) {
    const atr = new Float64Array(c.n);
    for (let i = 0; i < c.n; i++) atr[i] = m.values[i * FEATURE_COUNT + FEATURE_INDEX.atr_value];
    labels = computeLabels(c.close, opts.labels, atr).labels;
  }
  const rows: FeatureTableRow[] = [];
  const listed: number[] = [];
  for (let i = 0; i < c.n; i++) {
    if (!m.valid[i]) continue;
    const ts = c.ts[i];
    if (opts.from !== undefined && ts < opts.from) continue;
    if (opts.to !== undefined && ts > opts.to) continue;
    const row: FeatureTableRow = { ts: new Date(ts).toISOString(), values: Array.from(m.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)) };
    if (labels) row.label = labels[i] === NO_LABEL ? null : CLASS_NAMES[labels[i]];
    rows.push(row);
    listed.push(i);
  }
  return {
    featureNames: FEATURE_NAMES,
    labelRule: opts.labels ?? null,
    rows,
    warmupBars: m.warmupBars,
    classBalance: labels ? classBalance(labels, listed) : null,
  };
}

/** featureRows over a stored dataset. */
export async function datasetFeatures(
  db: Db,
  params: { dataset: string; from?: string | number | Date; to?: string | number | Date; labels?: LabelRule },
): Promise<FeatureTable & { dataset: string }> {
  const from = parseDateParam(params.from, 'from');
  const to = parseDateParam(params.to, 'to');
  if (from !== undefined && to !== undefined && from > to) throw badRequest('from: must not be after to', { field: 'from' });
  const d = await getDataset(db, params.dataset);
  const cols = await loadCandleColumns(db, d.name);
  return { dataset: d.name, ...featureRows(cols, { from, to, labels: params.labels }) };
}
