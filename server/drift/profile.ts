/**
 * Reference profiles: what a version saw in training, in the model's own scale-free input space (the transform the
 * model reads — prices relative to the reference EMA, scaled oscillators, log volume), built from the version's
 * lineage (its dataset and training part) and its test predictions. Built right after registration (the worker) and,
 * for versions registered before, on their first drift report.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { driftReferences, modelVersions, datasets } from '../../drizzle/schema';
import { readCandleColumns } from '../market/store';
import { computeFeatures, FEATURE_COUNT } from '../market/indicators';
import { TRANSFORMED_COUNT, TRANSFORMED_FEATURE_NAMES, transformInto } from '../market/transform';
import { loadVersionArtifact } from '../registry/versions';
import type { CandleColumns } from '../market/types';
import { notFound } from '../errors';
import { binShares, quantileEdges, quantileSorted, sortedFinite, stdDev } from './stats';
import type { DriftProfile, InputReference } from './shapes';

const KS_MAX_REFERENCE = 1000;

/**
 * Integrated autocorrelation time τ = 1 + 2 Σ ρ_k of a series (Geyer's initial positive sequence: sums of adjacent
 * pairs of autocorrelations while positive; at most lag 1,000; on the last 20,000 values). n / τ is the number of
 * effectively independent values: market inputs persist (a trend lasts), so 500 hourly bars of a trend indicator
 * carry far less evidence than 500 independent draws.
 */
export function autocorrelationTime(series: ArrayLike<number>): number {
  const x = Array.from(series).slice(-20_000);
  const n = x.length;
  if (n < 10) return 1;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  let v = 0;
  for (const a of x) v += (a - mean) ** 2;
  if (!(v > 0)) return 1;
  const rho = (k: number) => {
    let c = 0;
    for (let i = 0; i + k < n; i++) c += (x[i] - mean) * (x[i + k] - mean);
    return c / v;
  };
  let tau = 1;
  for (let k = 1; k + 1 < Math.min(n / 2, 1000); k += 2) {
    const pair = rho(k) + rho(k + 1);
    if (pair <= 0) break;
    tau += 2 * pair;
  }
  return Math.max(1, tau);
}

/**
 * One input's reference from its training values in time order (pure): deciles and shares, the KS sample or the
 * quantile function, and the autocorrelation time.
 */
export function inputReference(name: string, values: ArrayLike<number>): InputReference {
  const series = Array.from(values).filter(Number.isFinite);
  const s = sortedFinite(series);
  const edges = quantileEdges(s, 10);
  const small = s.length <= KS_MAX_REFERENCE;
  return {
    name,
    n: s.length,
    edges,
    shares: binShares(s, edges).shares,
    sample: small ? Array.from(s) : Array.from({ length: 1001 }, (_, k) => quantileSorted(s, k / 1000)),
    sampleIsQuantiles: !small,
    std: stdDev(s),
    tau: autocorrelationTime(series),
  };
}

/** Model inputs per bar (n × F, NaN where invalid) of raw 16-feature rows. */
export function modelInputs(raw: Float64Array, n: number, valid?: Uint8Array): Float64Array {
  const out = new Float64Array(n * TRANSFORMED_COUNT).fill(NaN);
  for (let i = 0; i < n; i++) if (!valid || valid[i]) transformInto(raw, i * FEATURE_COUNT, out, i * TRANSFORMED_COUNT);
  return out;
}

export function column(m: Float64Array, n: number, j: number): Float64Array {
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = m[i * TRANSFORMED_COUNT + j];
  return c;
}

/** Class mix and confidence deciles of n × 3 probabilities. */
export function predictionMix(probs: Float32Array): { classes: number[]; confidence: number[]; n: number } {
  const n = probs.length / 3;
  const classes = [0, 0, 0];
  const confidence = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let c = 1; c < 3; c++) if (probs[i * 3 + c] > probs[i * 3 + k]) k = c;
    classes[k]++;
    confidence[Math.min(9, Math.floor(probs[i * 3 + k] * 10))]++;
  }
  return { classes, confidence, n };
}

/** Input references from candles: the model inputs of the bars `keep` selects (pure; used by training profiles and tests). */
export function referenceInputs(c: CandleColumns, keep: (i: number) => boolean, warmupBars?: number): { inputs: InputReference[]; bars: number } {
  const f = computeFeatures(c, { warmupBars });
  const mask = new Uint8Array(c.n);
  let bars = 0;
  for (let i = 0; i < c.n; i++) {
    if (f.valid[i] && keep(i)) {
      mask[i] = 1;
      bars++;
    }
  }
  const m = modelInputs(f.values, c.n, mask);
  return { inputs: TRANSFORMED_FEATURE_NAMES.map((name, j) => inputReference(name, column(m, c.n, j))), bars };
}

/** Builds and stores the profile of a version (idempotent: replaces an earlier one). */
export async function buildReference(db: Db, versionId: string): Promise<DriftProfile> {
  const [v] = await db.select().from(modelVersions).where(eq(modelVersions.id, versionId));
  if (!v) throw notFound(`No version ${versionId}.`);
  const snap = v.lineage?.dataset;
  const barMs = snap?.candles?.barMs ?? 0;
  const train = snap?.parts?.train;
  const inputs: InputReference[] = [];
  let bars = 0;
  const [d] = snap?.dataset?.name ? await db.select().from(datasets).where(eq(datasets.name, snap.dataset.name)) : [];
  if (d && train?.from && train.to) {
    const c = await readCandleColumns(db.$client, d.id);
    const from = Date.parse(train.from);
    const to = Date.parse(train.to);
    // Training windows end at bars whose close time lies in [from, to]; the profile uses those bars' inputs.
    const r = referenceInputs(c, (i) => c.ts[i] + barMs >= from && c.ts[i] + barMs <= to, snap.params.warmupBars);
    inputs.push(...r.inputs);
    bars = r.bars;
  }
  const { testPredictions } = await loadVersionArtifact(db, versionId);
  const acc = (v.metrics as { accuracy?: number | null }).accuracy;
  const profile: DriftProfile = {
    version: 1,
    inputs,
    predictions: predictionMix(testPredictions),
    testAccuracy: typeof acc === 'number' && Number.isFinite(acc) ? acc : null,
    testN: testPredictions.length / 3,
    source: { dataset: d?.name ?? null, from: train?.from ?? null, to: train?.to ?? null, bars, barMs: barMs || null },
  };
  await db.insert(driftReferences).values({ versionId, profile }).onConflictDoUpdate({ target: driftReferences.versionId, set: { profile, createdAt: new Date() } });
  return profile;
}

/** The stored profile, built now if the version has none yet. */
export async function referenceOf(db: Db, versionId: string): Promise<DriftProfile> {
  const [r] = await db.select().from(driftReferences).where(eq(driftReferences.versionId, versionId));
  return r?.profile ?? buildReference(db, versionId);
}
