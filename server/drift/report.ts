/**
 * Drift reports for a served version: its reference profile against what it sees now — the last N hours of the
 * model's requests (prediction_log, read in pages: bounded memory) or the latest N bars of a dataset — per model
 * input: PSI (bands 0.1 / 0.25) and the test Evidently would pick (KS p < 0.05 when the reference has ≤ 1,000 rows,
 * else Wasserstein / reference std ≥ 0.1); dataset drift when ≥ 50 % of the inputs drift; prediction drift on the
 * class mix (Jensen–Shannon ≥ 0.1, from the monitoring roll-ups); live-accuracy drift from outcomes. Too few samples
 * is "not enough data", never a verdict.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { driftReports, driftPolicies, models, modelAliases, modelVersions, datasets } from '../../drizzle/schema';
import { DomainError, badRequest, notFound } from '../errors';
import { FEATURE_COUNT, computeFeatures } from '../market/indicators';
import { readCandleColumns } from '../market/store';
import { TRANSFORMED_COUNT, transformInto } from '../market/transform';
import { createRng } from '../ml/random';
import { readSeries, emptyCounts, addCounts } from '../monitoring/query';
import { wilsonInterval } from '../outcomes/live';
import { referenceOf, modelInputs } from './profile';
import type { CandleColumns } from '../market/types';
import { jensenShannon, ks2, ksCritical, ksPValue, psi, sortedFinite, wasserstein1 } from './stats';
import { DEFAULT_DRIFT_POLICY, ZDriftPolicy, ZDriftThresholds, type DriftPolicy, type DriftProfile, type DriftReportBody, type DriftThresholds, type IndicatorResult } from './shapes';

const RESERVOIR = 5000;

/** The current sample of each model input: bin counts against the reference edges and a bounded uniform sample. */
export class CurrentSample {
  readonly counts: number[][];
  readonly reservoir: number[][];
  readonly seen: number[];
  readonly excluded: number[];
  rows = 0;
  private readonly rng = createRng(17, 5);
  constructor(private readonly profile: DriftProfile) {
    this.counts = profile.inputs.map((r) => new Array(r.edges.length + 1).fill(0));
    this.reservoir = profile.inputs.map(() => []);
    this.seen = profile.inputs.map(() => 0);
    this.excluded = profile.inputs.map(() => 0);
  }
  /** Adds one bar of model inputs (TRANSFORMED order; NaN = unknown/imputed). */
  add(x: ArrayLike<number>, offset = 0) {
    this.rows++;
    for (let j = 0; j < this.profile.inputs.length; j++) {
      const v = x[offset + j];
      if (!Number.isFinite(v)) {
        this.excluded[j]++;
        continue;
      }
      const e = this.profile.inputs[j].edges;
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= e[mid]) hi = mid;
        else lo = mid + 1;
      }
      this.counts[j][lo]++;
      const k = ++this.seen[j];
      const res = this.reservoir[j];
      if (res.length < RESERVOIR) res.push(v);
      else {
        const r = this.rng.int(k);
        if (r < RESERVOIR) res[r] = v;
      }
    }
  }
}

/**
 * Per-input verdicts from a reference and a current sample spanning `windowBars` bars (pure). The test is the one
 * Evidently picks — KS (reference ≤ 1,000 rows: drift when p < ksPValue) or Wasserstein / std ≥ 0.1 (larger
 * references) — and every verdict must also be significant under KS with effective sample sizes (n / τ), because
 * consecutive bars are not independent draws: without it a stationary market "drifts" most days.
 */
export function compareInputs(profile: DriftProfile, cur: CurrentSample, t: DriftThresholds, windowBars: number): IndicatorResult[] {
  return profile.inputs.map((ref, j) => {
    const n = cur.seen[j];
    const curShares = n ? cur.counts[j].map((c) => c / n) : cur.counts[j].map(() => 0);
    const p = n ? psi(ref.shares, curShares) : null;
    const sample = sortedFinite(cur.reservoir[j]);
    const tau = Math.max(1, ref.tau ?? 1);
    const effective = { reference: Math.max(1, ref.n / tau), current: Math.max(1, Math.min(n, windowBars) / tau), tau };
    const base = {
      name: ref.name,
      nReference: ref.n,
      nCurrent: n,
      excluded: cur.excluded[j],
      edges: ref.edges,
      referenceShares: ref.shares,
      currentShares: curShares,
      psi: p,
      psiBand: p === null ? null : p < 0.1 ? ('stable' as const) : p < 0.25 ? ('moderate' as const) : ('drift' as const),
      effective,
      windowBars,
    };
    const usable = n >= t.minSamples && ref.n > 0 && ref.std > 0;
    const d = n && ref.n ? ks2(Float64Array.from(ref.sample), sample).statistic : null;
    const pValue = d === null ? null : ksPValue(d, effective.reference, effective.current);
    const significant = pValue !== null && pValue < t.ksPValue;
    if (!ref.sampleIsQuantiles) {
      return { ...base, test: 'ks' as const, statistic: d, pValue, threshold: ksCritical(t.ksPValue, effective.reference, effective.current), drifted: usable && significant };
    }
    const w = n && ref.std > 0 ? wasserstein1(Float64Array.from(ref.sample), sample) / ref.std : null;
    return { ...base, test: 'wasserstein' as const, statistic: w, pValue, threshold: t.wasserstein, drifted: w !== null && usable && significant && w >= t.wasserstein };
  });
}

export const ZDriftRunRequest = z.strictObject({
  model: z.string().min(1).max(200),
  /** Default: the champion. */
  version: z.union([z.number().int().min(1).max(2_147_483_647), z.string().regex(/^v?\d{1,9}$/)]).optional(),
  /** Hours of the model's requests (default: the model's policy, 24). */
  hours: z.number().int().min(1).max(24 * 90).optional(),
  /** Or: the latest `bars` bars of a dataset. */
  dataset: z.string().min(1).max(64).optional(),
  bars: z.number().int().min(10).max(1_000_000).optional(),
});

export async function driftPolicyOf(db: Db, model: string): Promise<DriftPolicy> {
  const [p] = await db.select().from(driftPolicies).where(eq(driftPolicies.modelName, model));
  return p ? ZDriftPolicy.parse(p.policy) : DEFAULT_DRIFT_POLICY;
}

async function versionFor(db: Db, model: string, version?: number | string) {
  const [m] = await db.select().from(models).where(eq(models.name, model));
  if (!m) throw notFound(`No model named '${model}'.`);
  if (version !== undefined) {
    const n = Number(String(version).replace(/^v/, ''));
    const [v] = await db.select().from(modelVersions).where(and(eq(modelVersions.modelId, m.id), eq(modelVersions.version, n)));
    if (!v) throw notFound(`Model '${model}' has no version v${n}.`);
    return v;
  }
  const [a] = await db.select().from(modelAliases).where(and(eq(modelAliases.modelName, model), eq(modelAliases.alias, 'champion')));
  const id = a?.versionId;
  if (!id) throw new DomainError('CONFLICT', `Model '${model}' has no champion (nothing is served): name a version.`);
  const [v] = await db.select().from(modelVersions).where(eq(modelVersions.id, id));
  return v;
}

/** Streams the model's logged requests in [from, to) into a CurrentSample, a page at a time. */
async function sampleRequests(db: Db, model: string, profile: DriftProfile, from: number, to: number): Promise<CurrentSample> {
  const cur = new CurrentSample(profile);
  const x = new Float64Array(TRANSFORMED_COUNT);
  let last = 0;
  for (;;) {
    const r = await db.$client.query({
      // Features as one string (much cheaper to read than pg's array parser: a measured third of the report's time).
      text: `select id, array_to_string(features, ',', 'NaN') as f from prediction_log where model_name = $1 and not shadow and at >= to_timestamp($2 / 1000.0) and at < to_timestamp($3 / 1000.0) and id > $4 and features is not null order by id limit 5000`,
      values: [model, from, to, last],
    });
    for (const row of r.rows as { id: string; f: string }[]) {
      const raw = Float64Array.from(row.f.split(','), Number);
      if (raw.length !== FEATURE_COUNT) continue;
      x.fill(NaN);
      transformInto(raw, 0, x, 0);
      cur.add(x);
      last = Number(row.id);
    }
    if (r.rows.length < 5000) return cur;
  }
}

/** The model inputs of the last `bars` candles as a current sample (indicators warm up on the bars before them). */
export function sampleCandles(c: CandleColumns, bars: number, profile: DriftProfile): CurrentSample {
  const f = computeFeatures(c);
  const m = modelInputs(f.values, c.n, f.valid);
  const cur = new CurrentSample(profile);
  for (let i = Math.max(0, c.n - bars); i < c.n; i++) if (f.valid[i]) cur.add(m, i * TRANSFORMED_COUNT);
  return cur;
}

async function sampleDataset(db: Db, name: string, bars: number, profile: DriftProfile) {
  const [d] = await db.select().from(datasets).where(eq(datasets.name, name));
  if (!d) throw notFound(`No dataset named '${name}'.`);
  const c = await readCandleColumns(db.$client, d.id, { limit: bars + 200 });
  const start = Math.max(0, c.n - bars);
  return { cur: sampleCandles(c, bars, profile), from: c.n ? new Date(c.ts[start]).toISOString() : null, to: c.n ? new Date(c.ts[c.n - 1]).toISOString() : null };
}

/** Runs a drift report and stores it. */
export async function runDrift(db: Db, input: z.input<typeof ZDriftRunRequest>, who: { actor: string; trigger: 'schedule' | 'api' | 'cli' | 'manual' }, now = Date.now()) {
  const parsed = ZDriftRunRequest.safeParse(input);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), { field: parsed.error.issues[0]?.path.join('.') });
  const req = parsed.data;
  if (req.bars !== undefined && !req.dataset) throw badRequest('bars: goes with dataset (the latest N bars of that dataset)', { field: 'bars' });
  const policy = await driftPolicyOf(db, req.model);
  const t = policy.thresholds;
  const v = await versionFor(db, req.model, req.version);
  const profile = await referenceOf(db, v.id);
  if (!profile.inputs.length) throw new DomainError('CONFLICT', `${req.model} v${v.version} has no reference profile (its training dataset is gone); drift cannot be computed.`);
  const hours = req.hours ?? policy.windowHours;
  const from = now - hours * 3_600_000;
  let cur: CurrentSample;
  let window: DriftReportBody['window'];
  if (req.dataset) {
    const s = await sampleDataset(db, req.dataset, req.bars ?? 500, profile);
    cur = s.cur;
    window = { kind: 'dataset', dataset: req.dataset, bars: req.bars ?? 500, from: s.from, to: s.to };
  } else {
    cur = await sampleRequests(db, req.model, profile, from, now);
    window = { kind: 'requests', hours, from: new Date(from).toISOString(), to: new Date(now).toISOString() };
  }
  // The window's length in bars: a dataset window's bars; for requests, the hours they span at the model's bar length.
  const barMs = profile.source.barMs ?? 3_600_000;
  const windowBars = window.kind === 'dataset' ? window.bars : Math.max(1, Math.round((hours * 3_600_000) / barMs));
  const indicators = compareInputs(profile, cur, t, windowBars);
  const evaluated = indicators.filter((r) => r.nCurrent >= t.minSamples);
  const enough = cur.rows >= t.minSamples && evaluated.length > 0;
  const share = enough ? indicators.filter((r) => r.drifted).length / indicators.length : null;
  const datasetDrift = enough && share! >= t.datasetShare;

  // Prediction drift: the version's answered class mix over the window (monitoring roll-ups) vs its test predictions.
  const counts = emptyCounts();
  if (window.kind === 'requests') for (const r of await readSeries(db, { from, to: now, stepSeconds: Math.max(10, hours * 3600), sourceInterval: hours > 24 ? 60 : 10, model: req.model })) if (r.version === v.version) addCounts(counts, r);
  const predN = counts.classes.reduce((a, b) => a + b, 0);
  const js = predN >= t.minSamples ? jensenShannon(profile.predictions.classes, counts.classes) : null;
  const prediction = { js, threshold: t.predictionJs, drifted: js !== null && js >= t.predictionJs, reference: profile.predictions.classes, current: counts.classes, n: predN };

  // Live-accuracy drift: resolved outcomes of bars in the window, significantly below the test accuracy.
  const o = await db.execute(sql`select count(*)::int as n, count(*) filter (where predicted = realised)::int as ok from prediction_outcomes
    where version_id = ${v.id} and realised is not null and bar_ts >= to_timestamp(${window.kind === 'requests' ? from : 0}::float8 / 1000)`);
  const on = Number((o.rows[0] as { n: number }).n);
  const ok = Number((o.rows[0] as { ok: number }).ok);
  const ci = wilsonInterval(ok, on);
  const accDrift = on >= t.minOutcomes && ci !== null && profile.testAccuracy !== null && ci[1] < profile.testAccuracy;
  const accuracy = {
    live: on ? ok / on : null,
    liveCi: ci,
    test: profile.testAccuracy,
    outcomes: on,
    drifted: accDrift,
    note: on < t.minOutcomes ? `${on} outcomes (needs ${t.minOutcomes})` : accDrift ? 'live accuracy is significantly below the test part' : 'live accuracy is consistent with the test part',
  };
  const status = !enough ? 'insufficient_data' : datasetDrift || prediction.drifted || accDrift ? 'drift' : 'ok';
  const drifted = indicators.filter((r) => r.drifted).map((r) => r.name);
  const summary = !enough
    ? `not enough data (n = ${cur.rows} < minimum ${t.minSamples})${window.kind === 'requests' ? ` in the last ${hours} h of requests` : ''}: no verdict`
    : `${drifted.length} of ${indicators.length} inputs drifted${drifted.length ? ` (${drifted.join(', ')})` : ''}: ${datasetDrift ? 'dataset drift' : 'no dataset drift'}; ${prediction.drifted ? `prediction drift (JS ${js!.toFixed(3)})` : 'class mix stable'}; ${accuracy.note}`;
  const body: DriftReportBody = { window, thresholds: t, summary, indicators, prediction, accuracy };
  const [row] = await db
    .insert(driftReports)
    .values({ modelName: req.model, versionId: v.id, version: v.version, status, datasetDrift, predictionDrift: prediction.drifted, accuracyDrift: accDrift, driftShare: share, samples: cur.rows, trigger: who.trigger, actor: who.actor, body })
    .returning();
  return row;
}

export type DriftReportRow = Awaited<ReturnType<typeof runDrift>>;

export async function listReports(db: Db, model: string, limit = 50) {
  return db
    .select({ id: driftReports.id, createdAt: driftReports.createdAt, version: driftReports.version, status: driftReports.status, datasetDrift: driftReports.datasetDrift, predictionDrift: driftReports.predictionDrift, accuracyDrift: driftReports.accuracyDrift, driftShare: driftReports.driftShare, samples: driftReports.samples, trigger: driftReports.trigger, actor: driftReports.actor })
    .from(driftReports)
    .where(eq(driftReports.modelName, model))
    .orderBy(desc(driftReports.id))
    .limit(Math.min(limit, 500));
}

export async function getReport(db: Db, id: number) {
  const [r] = await db.select().from(driftReports).where(eq(driftReports.id, id));
  if (!r) throw notFound(`No drift report #${id}.`);
  return r;
}

const ZTradingDriftBody = z.strictObject({
  model: z.string().min(1).max(200).optional(),
  model_version: z.union([z.string().regex(/^v?\d{1,9}$/, "model_version must look like 'v3'"), z.number().int().min(1)]).optional(),
  hours: z.number().int().min(1).max(24 * 90).optional(),
  dataset: z.string().min(1).max(64).optional(),
  bars: z.number().int().min(10).max(1_000_000).optional(),
});

/** The trading team's body → a drift request; without `model`, the only served model (several → 400 listing them). */
export async function driftRequestFromTrading(db: Db, body: unknown): Promise<z.input<typeof ZDriftRunRequest>> {
  const r = ZTradingDriftBody.safeParse(body ?? {});
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), { field: r.error.issues[0]?.path.join('.') || 'body' });
  let model = r.data.model;
  if (!model) {
    const served = (await db.execute(sql`select distinct model_name from traffic_splits order by 1`)).rows.map((x) => String((x as { model_name: string }).model_name));
    if (served.length !== 1) throw badRequest(served.length ? `model: several models are served (${served.join(', ')}); say which` : 'model: no model is served; name one', { field: 'model', models: served });
    model = served[0];
  }
  return { model, version: r.data.model_version, hours: r.data.hours, dataset: r.data.dataset, bars: r.data.bars };
}

/** The trading team's `POST /drift-detection` answer: `{ status, drift_detected, results }`. */
export function tradingShape(r: DriftReportRow) {
  return {
    status: r.status === 'insufficient_data' ? 'insufficient_data' : 'success',
    drift_detected: r.status === 'drift',
    results: {
      report_id: r.id,
      model: r.modelName,
      model_version: `v${r.version}`,
      summary: r.body.summary,
      dataset_drift: r.datasetDrift,
      drift_share: r.driftShare,
      prediction_drift: r.predictionDrift,
      accuracy_drift: r.accuracyDrift,
      samples: r.samples,
      features: Object.fromEntries(r.body.indicators.map((i) => [i.name, { drift_detected: i.drifted, test: i.test, statistic: i.statistic, p_value: i.pValue, threshold: i.threshold, psi: i.psi, psi_band: i.psiBand, effective_samples: Math.round(i.effective.current) }])),
    },
  };
}

export { ZDriftThresholds };
