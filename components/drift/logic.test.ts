import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_POLICY, ZDriftPolicy, type IndicatorResult } from '@/server/drift/shapes';
import { abRows, accuracyRows, binLabels, edgeText, edgeTexts, logTicks, timeDomain, timeTick, histogramRows, mixRows, niceTop, policyDirty, policyDraftOf, policyOf, policyText, shareSeries, statRows, verdictOf, windowText } from './logic';

const indicator = (over: Partial<IndicatorResult>): IndicatorResult => ({
  name: 'atr_rel',
  test: 'wasserstein',
  statistic: 0.3,
  pValue: 0.001,
  threshold: 0.1,
  effective: { reference: 300, current: 40, tau: 8 },
  windowBars: 500,
  drifted: true,
  psi: 0.4,
  psiBand: 'drift',
  nReference: 2400,
  nCurrent: 500,
  excluded: 0,
  edges: [0.001, 0.002, 0.003],
  referenceShares: [0.25, 0.25, 0.25, 0.25],
  currentShares: [0, 0.1, 0.2, 0.7],
  ...over,
});

describe('verdicts and windows in words', () => {
  it('names the three statuses with their tone', () => {
    expect(verdictOf('drift')).toEqual({ tone: 'bad', text: 'drift' });
    expect(verdictOf('ok')).toEqual({ tone: 'ok', text: 'no drift' });
    expect(verdictOf('insufficient_data')).toEqual({ tone: 'warn', text: 'not enough data' });
  });

  it('says what a window compared, in UTC', () => {
    expect(windowText({ kind: 'requests', hours: 24, from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' })).toBe('requests of the last 24 h (2026-01-01 00:00 → 2026-01-02 00:00 UTC)');
    expect(windowText({ kind: 'dataset', dataset: 'eur-h1', bars: 1500, from: '2020-05-01T10:00:00.000Z', to: '2020-06-02T09:00:00.000Z' })).toBe('latest 1,500 bars of eur-h1 (2020-05-01 10:00 → 2020-06-02 09:00 UTC)');
    expect(windowText({ kind: 'dataset', dataset: 'empty', bars: 500, from: null, to: null })).toBe('latest 500 bars of empty');
  });
});

describe('histogram bins', () => {
  it('labels the bins the inner edges make, with few digits', () => {
    expect(edgeText(0.000123456)).toBe('0.00012');
    expect(edgeText(12.3456)).toBe('12.3');
    expect(edgeText(-0.5)).toBe('−0.5');
    expect(edgeText(12345.6)).toBe('12,346');
    expect(binLabels([0.1, 0.2])).toEqual(['≤ 0.1', '0.1 – 0.2', '> 0.2']);
    // Close deciles get the digits that tell them apart.
    expect(binLabels([0.00301, 0.00312, 0.00318])).toEqual(['≤ 0.00301', '0.00301 – 0.00312', '0.00312 – 0.00318', '> 0.00318']);
    expect(edgeTexts([1.5, 2.5, 3.5])).toEqual(['1.5', '2.5', '3.5']);
    expect(binLabels([])).toEqual(['all values']);
  });

  it('gives reference and current shares per bin in percent; no current values → null, not 0', () => {
    expect(histogramRows(indicator({}))).toEqual([
      { bin: '≤ 0.001', reference: 25, current: 0 },
      { bin: '0.001 – 0.002', reference: 25, current: 10 },
      { bin: '0.002 – 0.003', reference: 25, current: 20 },
      { bin: '> 0.003', reference: 25, current: 70 },
    ]);
    expect(histogramRows(indicator({ nCurrent: 0, currentShares: [0, 0, 0, 0] })).map((r) => r.current)).toEqual([null, null, null, null]);
  });
});

describe('statistic bars', () => {
  it('one common threshold (Wasserstein) is one line; KS limits per input are marks per row', () => {
    const w = statRows([indicator({}), indicator({ name: 'rsi', statistic: 0.05, drifted: false })]);
    expect(w).toMatchObject({ commonThreshold: 0.1, measured: 2, drifted: 1 });
    expect(w.top).toBeGreaterThanOrEqual(0.3);
    const ks = statRows([indicator({ test: 'ks', threshold: 0.21 }), indicator({ test: 'ks', name: 'rsi', threshold: 0.19, statistic: null, drifted: false })]);
    expect(ks).toMatchObject({ commonThreshold: null, measured: 1, drifted: 1 });
    expect(ks.top).toBeGreaterThanOrEqual(0.3);
  });

  it('rounds the axis end up to 1, 2, 2.5 or 5 × a power of ten', () => {
    expect(niceTop(0.3)).toBe(0.5);
    expect(niceTop(0.09)).toBe(0.1);
    expect(niceTop(1.9)).toBe(2.5);
    expect(niceTop(0)).toBe(1);
  });
});

describe('time axes', () => {
  it('pads the domain so end points are not cut, and ticks in the unit the span needs', () => {
    expect(timeDomain([1000], 60_000)).toEqual([-59_000, 61_000]);
    expect(timeDomain([0, 100 * 86_400_000], 60_000)).toEqual([-4 * 86_400_000, 104 * 86_400_000]);
    const t = Date.parse('2026-01-02T03:04:05.000Z');
    expect(timeTick(30_000)(t)).toBe('03:04:05');
    expect(timeTick(3_600_000)(t)).toBe('03:04');
    expect(timeTick(7 * 86_400_000)(t)).toBe('01-02 03:04');
  });

  it('a log p-value axis reaches below the smallest value in whole decades, at most 6 ticks', () => {
    expect(logTicks(0.01)).toEqual([1, 0.1, 0.01]);
    expect(logTicks(0.03)).toEqual([1, 0.1, 0.01]);
    expect(logTicks(1.8e-7)).toEqual([1, 0.01, 0.0001, 1e-6, 1e-8]);
    expect(logTicks(0)).toEqual([1, 0.001, 1e-6, 1e-9, 1e-12]);
  });
});

describe('series', () => {
  it('drift share over time: oldest first, percent, null without a verdict', () => {
    const rows = [
      { id: 3, createdAt: '2026-01-03T00:00:00.000Z', driftShare: 0.4, status: 'drift', version: 1 },
      { id: 1, createdAt: '2026-01-01T00:00:00.000Z', driftShare: null, status: 'insufficient_data', version: 1 },
    ];
    expect(shareSeries(rows)).toEqual([
      { id: 1, t: Date.parse('2026-01-01T00:00:00.000Z'), share: null, status: 'insufficient_data', version: 1 },
      { id: 3, t: Date.parse('2026-01-03T00:00:00.000Z'), share: 40, status: 'drift', version: 1 },
    ]);
  });

  it('class mix: shares of each side; an empty side is null', () => {
    expect(mixRows({ reference: [1, 2, 1], current: [0, 0, 0] })).toEqual({
      nReference: 4,
      nCurrent: 0,
      rows: [
        { cls: 'SELL', reference: 25, current: null },
        { cls: 'HOLD', reference: 50, current: null },
        { cls: 'BUY', reference: 25, current: null },
      ],
    });
  });

  it('live accuracy: cumulative with its interval as a band; the A/B looks', () => {
    const day = { day: 0, n: 10, accuracy: 0.5, winRate: null, cumN: 10, cumAccuracy: 0.5, cumAccuracyCi: [0.2, 0.8] as [number, number], cumMacroF1: 0.4, cumReturn: 0 };
    expect(accuracyRows([day, { ...day, day: 86_400_000, cumAccuracy: null, cumAccuracyCi: null, accuracy: null }])).toEqual([
      { day: 0, n: 10, cumN: 10, cum: 50, band: [20, 80], daily: 50 },
      { day: 86_400_000, n: 10, cumN: 10, cum: null, band: null, daily: null },
    ]);
    expect(abRows([{ day: 1, nA: 3, nB: 4, difference: 0.1, pValue: 0.6 }])).toEqual([{ day: 1, pValue: 0.6, difference: 0.1, n: 7 }]);
  });
});

describe('the drift policy as a form', () => {
  it('round-trips the default policy, and what it builds is what the server accepts', () => {
    const d = policyDraftOf(DEFAULT_DRIFT_POLICY);
    expect(d.datasetSharePct).toBe('50');
    expect(d.trainingBars).toBe('');
    expect(policyDirty(d, DEFAULT_DRIFT_POLICY)).toBe(false);
    const r = policyOf(d);
    expect(r).toEqual({ policy: DEFAULT_DRIFT_POLICY });
    expect(ZDriftPolicy.parse((r as { policy: unknown }).policy)).toEqual(DEFAULT_DRIFT_POLICY);
  });

  it('turns the percent share into a fraction and training bars into a number; says every problem', () => {
    const d = { ...policyDraftOf(DEFAULT_DRIFT_POLICY), datasetSharePct: '30', retrainOn: 'dataset_drift' as const, trainingBars: '3000', hourUtc: '6' };
    const r = policyOf(d);
    expect(r).toMatchObject({ policy: { thresholds: { datasetShare: 0.3 }, schedule: { hourUtc: 6 }, retrain: { on: 'dataset_drift', trainingBars: 3000 } } });
    expect(ZDriftPolicy.safeParse((r as { policy: unknown }).policy).success).toBe(true);
    expect(policyDirty(d, DEFAULT_DRIFT_POLICY)).toBe(true);
    const bad = policyOf({ ...d, ksPValue: '0', minSamples: '5.5', trainingBars: '100', hourUtc: '' });
    expect(bad).toEqual({
      errors: ['KS p-value: above 0 and at most 0.5', 'minimum samples: a whole number', 'hour (UTC): enter a number', 'training bars: at least 500 and at most 10,000,000'],
    });
  });

  it('says the policy in one sentence', () => {
    expect(policyText(DEFAULT_DRIFT_POLICY)).toBe(
      'daily at 00:00 UTC over the last 24 h of requests; dataset drift when ≥ 50 % of inputs drift (KS p < 0.05 or Wasserstein ≥ 0.1), class mix at JS ≥ 0.1, at least 200 samples; no retraining on drift',
    );
    expect(policyText({ ...DEFAULT_DRIFT_POLICY, retrain: { on: 'any', cooldownHours: 12, maxPerDay: 2, trainingBars: 3000 } })).toMatch(/retrain on dataset or live-accuracy drift \(cool-down 12 h, at most 2 a day, on the latest 3,000 bars\)$/);
  });
});
