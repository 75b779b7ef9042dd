/**
 * The Drift page's logic as pure functions (tested in logic.test.ts): verdicts and windows in words, chart rows from
 * a report (statistic bars, quantile-bin histograms, class mix), series from the report history and the outcomes,
 * and the drift policy as an editable draft and back. The server validates the policy again; these checks only say
 * early what it would say.
 */
import type { Tone } from '@/components/ui/Badge';
import { CLASS_LABELS, dateTime, hourMinute, monthDayTime, timeOfDay } from '@/components/charts/format';
import type { AbLook, DriftPolicy, IndicatorResult, LiveDay, PredictionPart, ReportListRow, ReportWindow, RetrainOn } from './types';

/** A report's status as a badge: drift, no drift, or not enough data (never a verdict). */
export function verdictOf(status: string): { tone: Tone; text: string } {
  if (status === 'drift') return { tone: 'bad', text: 'drift' };
  if (status === 'ok') return { tone: 'ok', text: 'no drift' };
  if (status === 'insufficient_data') return { tone: 'warn', text: 'not enough data' };
  return { tone: 'neutral', text: status };
}

/** What a report compared: "requests of the last 24 h" or "latest 500 bars of eur-h1 (… → …)". */
export function windowText(w: ReportWindow): string {
  if (w.kind === 'requests') return `requests of the last ${w.hours} h (${dateTime(w.from)} → ${dateTime(w.to)} UTC)`;
  const span = w.from && w.to ? ` (${dateTime(w.from)} → ${dateTime(w.to)} UTC)` : '';
  return `latest ${w.bars.toLocaleString('en')} bars of ${w.dataset}${span}`;
}

/** A number in `digits` significant digits (at least 3 from 1 up): 0.000123 → "0.00012", 12.3456 → "12.3", −0.5 → "−0.5". */
export function edgeText(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1000 ? Math.round(a).toLocaleString('en') : String(Number(a.toPrecision(Math.max(digits, a >= 1 ? 3 : 1))));
  return `${v < 0 ? '−' : ''}${s}`;
}

/**
 * The edges in as few digits as keep each one's rounding within a quarter of the gap to its neighbours (deciles of a
 * narrow input sit close together: 0.00312 and 0.00318 must not both read 0.0031–0.0032).
 */
export function edgeTexts(edges: readonly number[]): string[] {
  const gaps = edges.slice(1).map((e, i) => e - edges[i]).filter((g) => g > 0);
  if (!gaps.length) return edges.map((e) => edgeText(e));
  // One number of decimals for all edges (they share a scale): the fewest that round within a quarter of the smallest gap.
  const decimals = Math.min(12, Math.max(0, Math.ceil(-Math.log10(Math.min(...gaps) / 2))));
  return edges.map((e) => {
    const t = Math.abs(e).toFixed(decimals).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    const big = Math.abs(e) >= 1000 ? Number(t).toLocaleString('en', { maximumFractionDigits: decimals }) : t;
    return Number(t) === 0 ? '0' : `${e < 0 ? '−' : ''}${big}`;
  });
}

/** Labels of the bins the inner edges make: "≤ e0", "e0 – e1", …, "> eₖ". */
export function binLabels(edges: readonly number[]): string[] {
  if (!edges.length) return ['all values'];
  const t = edgeTexts(edges);
  const out = [`≤ ${t[0]}`];
  for (let i = 1; i < t.length; i++) out.push(`${t[i - 1]} – ${t[i]}`);
  out.push(`> ${t[t.length - 1]}`);
  return out;
}

/** A time-axis tick for points `spanMs` apart in all: seconds within minutes, then hours, then days (UTC). */
export function timeTick(spanMs: number): (t: number) => string {
  if (spanMs < 10 * 60_000) return (t) => timeOfDay(t);
  if (spanMs < 86_400_000) return (t) => hourMinute(t);
  return (t) => monthDayTime(t);
}

/** A time axis's domain around the points, padded so that end points are not cut (one point gets ± `minPad`). */
export function timeDomain(ts: readonly number[], minPad: number): [number, number] {
  if (!ts.length) return [0, 1];
  const lo = Math.min(...ts);
  const hi = Math.max(...ts);
  const pad = Math.max(minPad, (hi - lo) * 0.04);
  return [lo - pad, hi + pad];
}

/**
 * Reference vs current shares per quantile bin of the training part, in percent. The bins are the training deciles,
 * so the reference is about 10 % in each and a shift shows as bins that fill or empty. `current` is null when the
 * window had no value of this input.
 */
export function histogramRows(ind: Pick<IndicatorResult, 'edges' | 'referenceShares' | 'currentShares' | 'nCurrent'>) {
  const labels = binLabels(ind.edges);
  return labels.map((bin, i) => ({
    bin,
    reference: (ind.referenceShares[i] ?? 0) * 100,
    current: ind.nCurrent > 0 ? (ind.currentShares[i] ?? 0) * 100 : null,
  }));
}

/** A round upper end for an axis holding `max` (with room for the label). */
export function niceTop(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const m = max * 1.08;
  const p = 10 ** Math.floor(Math.log10(m));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * p >= m)! * p;
  return Number(step.toPrecision(6));
}

/**
 * The per-indicator statistic bars: statistic and its threshold per input, whether it drifted, and the axis end. One
 * common threshold (Wasserstein's 0.1, or equal KS limits) is drawn as a single line; otherwise each row gets its own
 * mark (KS limits depend on each input's effective sample sizes).
 */
export function statRows(indicators: readonly IndicatorResult[]) {
  const rows = indicators.map((r) => ({
    name: r.name,
    test: r.test,
    statistic: r.statistic,
    threshold: r.threshold,
    drifted: r.drifted,
    pValue: r.pValue,
    psi: r.psi,
  }));
  const values = rows.flatMap((r) => [r.statistic ?? 0, Number.isFinite(r.threshold) ? r.threshold : 0]);
  const thresholds = [...new Set(rows.map((r) => Number(r.threshold.toPrecision(6))))];
  return {
    rows,
    top: niceTop(Math.max(0, ...values)),
    commonThreshold: thresholds.length === 1 ? thresholds[0] : null,
    measured: rows.filter((r) => r.statistic !== null).length,
    drifted: rows.filter((r) => r.drifted).length,
  };
}

/** The drift share of each report, oldest first, in percent (null: not enough data, no share). */
export function shareSeries(reports: readonly Pick<ReportListRow, 'id' | 'createdAt' | 'driftShare' | 'status' | 'version'>[]) {
  return [...reports]
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id)
    .map((r) => ({ id: r.id, t: Date.parse(r.createdAt), share: r.driftShare === null ? null : r.driftShare * 100, status: r.status, version: r.version }));
}

/** Class mix of the reference (test-part predictions) and the window's answered predictions, in percent of each. */
export function mixRows(p: Pick<PredictionPart, 'reference' | 'current'>) {
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
  const nRef = sum(p.reference);
  const nCur = sum(p.current);
  return {
    nReference: nRef,
    nCurrent: nCur,
    rows: CLASS_LABELS.map((cls, i) => ({ cls, reference: nRef ? ((p.reference[i] ?? 0) / nRef) * 100 : null, current: nCur ? ((p.current[i] ?? 0) / nCur) * 100 : null })),
  };
}

/** Cumulative live accuracy per day with its 95 % interval as a band, in percent. */
export function accuracyRows(daily: readonly LiveDay[]) {
  return daily.map((d) => ({
    day: d.day,
    n: d.n,
    cumN: d.cumN,
    cum: d.cumAccuracy === null ? null : d.cumAccuracy * 100,
    band: d.cumAccuracyCi ? ([d.cumAccuracyCi[0] * 100, d.cumAccuracyCi[1] * 100] as [number, number]) : null,
    daily: d.accuracy === null ? null : d.accuracy * 100,
  }));
}

/** Ticks of a log p-value axis from 1 down to the power of ten at or below `min` (at most 6, whole decades). */
export function logTicks(min: number): number[] {
  const decades = Math.min(12, Math.max(1, Math.ceil(-Math.log10(Math.max(1e-12, min)))));
  const every = Math.ceil(decades / 5);
  const n = Math.ceil(decades / every);
  return Array.from({ length: n + 1 }, (_, i) => Number((10 ** -(i * every)).toPrecision(1)));
}

/** The A/B's looks (one a day, cumulative): the always-valid p-value and the difference B − A. */
export function abRows(looks: readonly AbLook[]) {
  return looks.map((l) => ({ day: l.day, pValue: l.pValue, difference: l.difference, n: l.nA + l.nB }));
}

// --- the drift policy as a form ------------------------------------------------------------------------------------

export interface PolicyDraft {
  ksPValue: string;
  wasserstein: string;
  /** Percent of inputs (the policy stores a fraction). */
  datasetSharePct: string;
  predictionJs: string;
  minSamples: string;
  minOutcomes: string;
  scheduleEnabled: boolean;
  hourUtc: string;
  windowHours: string;
  retrainOn: RetrainOn;
  cooldownHours: string;
  maxPerDay: string;
  /** Empty: the whole dataset. */
  trainingBars: string;
}

const fmt = (v: number) => String(Number(v.toPrecision(6)));

export function policyDraftOf(p: DriftPolicy): PolicyDraft {
  const t = p.thresholds;
  return {
    ksPValue: fmt(t.ksPValue),
    wasserstein: fmt(t.wasserstein),
    datasetSharePct: fmt(t.datasetShare * 100),
    predictionJs: fmt(t.predictionJs),
    minSamples: String(t.minSamples),
    minOutcomes: String(t.minOutcomes),
    scheduleEnabled: p.schedule.enabled,
    hourUtc: String(p.schedule.hourUtc),
    windowHours: String(p.windowHours),
    retrainOn: p.retrain.on,
    cooldownHours: fmt(p.retrain.cooldownHours),
    maxPerDay: String(p.retrain.maxPerDay),
    trainingBars: p.retrain.trainingBars === null ? '' : String(p.retrain.trainingBars),
  };
}

/** The limits of each number field (the server's zod schema, server/drift/shapes.ts, says the same). */
type Limit = { label: string; lo: number; hi: number; loOpen?: boolean; whole?: boolean };
const LIMITS = {
  ksPValue: { label: 'KS p-value', lo: 0, hi: 0.5, loOpen: true },
  wasserstein: { label: 'Wasserstein distance', lo: 0, hi: 10, loOpen: true },
  datasetSharePct: { label: 'dataset drift share (%)', lo: 0, hi: 100, loOpen: true },
  predictionJs: { label: 'class-mix Jensen–Shannon', lo: 0, hi: 1, loOpen: true },
  minSamples: { label: 'minimum samples', lo: 10, hi: 10_000_000, whole: true },
  minOutcomes: { label: 'minimum outcomes', lo: 10, hi: 10_000_000, whole: true },
  hourUtc: { label: 'hour (UTC)', lo: 0, hi: 23, whole: true },
  windowHours: { label: 'window (hours)', lo: 1, hi: 24 * 90, whole: true },
  cooldownHours: { label: 'cool-down (hours)', lo: 0, hi: 24 * 90 },
  maxPerDay: { label: 'runs per day', lo: 1, hi: 48, whole: true },
  trainingBars: { label: 'training bars', lo: 500, hi: 10_000_000, whole: true },
} satisfies Partial<Record<keyof PolicyDraft, Limit>>;

/** A number in its limits, or the sentence that says what is wrong. */
export function readNumber(text: string, l: Limit): number | string {
  const v = Number(text.trim());
  if (!text.trim() || !Number.isFinite(v)) return `${l.label}: enter a number`;
  if (l.whole && !Number.isInteger(v)) return `${l.label}: a whole number`;
  const low = l.loOpen ? v <= l.lo : v < l.lo;
  if (low || v > l.hi) return `${l.label}: ${l.loOpen ? `above ${l.lo}` : `at least ${l.lo.toLocaleString('en')}`} and at most ${l.hi.toLocaleString('en')}`;
  return v;
}

/** The policy a draft stands for, or every problem with it. */
export function policyOf(d: PolicyDraft): { policy: DriftPolicy } | { errors: string[] } {
  const errors: string[] = [];
  const n = (key: keyof typeof LIMITS, text: string) => {
    const v = readNumber(text, LIMITS[key]);
    if (typeof v === 'string') {
      errors.push(v);
      return NaN;
    }
    return v;
  };
  const policy = {
    thresholds: {
      ksPValue: n('ksPValue', d.ksPValue),
      wasserstein: n('wasserstein', d.wasserstein),
      datasetShare: n('datasetSharePct', d.datasetSharePct) / 100,
      predictionJs: n('predictionJs', d.predictionJs),
      minSamples: n('minSamples', d.minSamples),
      minOutcomes: n('minOutcomes', d.minOutcomes),
    },
    schedule: { enabled: d.scheduleEnabled, hourUtc: n('hourUtc', d.hourUtc) },
    windowHours: n('windowHours', d.windowHours),
    retrain: {
      on: d.retrainOn,
      cooldownHours: n('cooldownHours', d.cooldownHours),
      maxPerDay: n('maxPerDay', d.maxPerDay),
      trainingBars: d.trainingBars.trim() === '' ? null : n('trainingBars', d.trainingBars),
    },
  };
  return errors.length ? { errors } : { policy };
}

/** Whether a draft differs from the stored policy. */
export function policyDirty(d: PolicyDraft, p: DriftPolicy): boolean {
  return JSON.stringify(d) !== JSON.stringify(policyDraftOf(p));
}

/** The policy in one sentence (the panel's "now"). */
export function policyText(p: DriftPolicy): string {
  const t = p.thresholds;
  const when = p.schedule.enabled ? `daily at ${String(p.schedule.hourUtc).padStart(2, '0')}:00 UTC over the last ${p.windowHours} h of requests` : 'no daily check';
  const retrain =
    p.retrain.on === 'off'
      ? 'no retraining on drift'
      : `retrain ${p.retrain.on === 'any' ? 'on dataset or live-accuracy drift' : p.retrain.on === 'dataset_drift' ? 'on dataset drift' : 'on live-accuracy drift'} (cool-down ${fmt(p.retrain.cooldownHours)} h, at most ${p.retrain.maxPerDay} a day, on ${p.retrain.trainingBars === null ? 'the whole dataset' : `the latest ${p.retrain.trainingBars.toLocaleString('en')} bars`})`;
  return `${when}; dataset drift when ≥ ${fmt(t.datasetShare * 100)} % of inputs drift (KS p < ${fmt(t.ksPValue)} or Wasserstein ≥ ${fmt(t.wasserstein)}), class mix at JS ≥ ${fmt(t.predictionJs)}, at least ${t.minSamples.toLocaleString('en')} samples; ${retrain}`;
}
