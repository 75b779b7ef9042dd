/**
 * Model comparison: 2–4 versions of any models side by side (the Compare page, `registry.compare`), and the
 * parameters of every version of one model against its test macro-F1 (`registry.paramsScatter`).
 *
 * What is computed here rather than read back: the accuracy interval of each version (moving-block bootstrap over its
 * stored test labels and predictions, the same block length, resamples, level and seed as its stored macro-F1
 * interval) and, for each pair tested on the same bars, the paired bootstrap interval of the difference B − A in
 * accuracy and macro-F1 (server/ml/paired.ts). Versions registered before test labels and bar times were kept cannot
 * be paired: the pair says so instead of guessing.
 */
import { z } from 'zod';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbLike } from '../db/client';
import { models, modelVersions, type VersionStatus } from '../../drizzle/schema';
import { badRequest, notFound } from '../errors';
import { parseOrThrow } from '../market/validate';
import { argmaxRows } from '../ml/probs';
import { accuracyInterval, comparePaired } from '../ml/paired';
import { blockLengthFor } from '../ml/evaluate';
import type { Interval } from '../ml/metrics';
import { canonical, getVersion, loadTestSamples, parseVersionLabel, versionLabel } from './versions';

// --- input ------------------------------------------------------------------------------------------------------------

export const ZVersionRefInput = z
  .object({
    model: z.string().min(1, 'a model name').max(64, 'a model name has at most 64 characters'),
    version: z.union([z.string().min(1).max(16), z.number().int()]),
  })
  .strict();

export const MAX_COMPARED = 4;
export const ZCompareInput = z
  .object({
    versions: z.array(ZVersionRefInput).min(2, 'pick at least 2 versions to compare').max(MAX_COMPARED, `compare at most ${MAX_COMPARED} versions at once`),
  })
  .strict();
export type CompareRef = z.input<typeof ZVersionRefInput>;

export const ZParamsScatterInput = z.object({ model: ZVersionRefInput.shape.model }).strict();

/** Letters the page and the charts name the versions by, in the order they were picked. */
export const COMPARE_KEYS = ['A', 'B', 'C', 'D'] as const;

// --- output shapes ----------------------------------------------------------------------------------------------------

/** B − A for one pair of the compared versions (`a`, `b` index `versions`), or why there is no paired figure. */
export type ComparedPair = { a: number; b: number } & (
  | {
      available: true;
      /** Test samples at the same bar times in both, with identical true labels. */
      shared: number;
      /** First and last shared bar (ISO). */
      from: string;
      to: string;
      blockLength: number;
      accuracy: { a: number; b: number; diff: Interval };
      macroF1: { a: number; b: number; diff: Interval };
    }
  | { available: false; shared: number | null; reason: string }
);

export interface DiffRow {
  group: 'data' | 'parameters' | 'training' | 'code';
  key: string;
  /** One value per compared version (null: not recorded for that version). */
  values: (string | null)[];
  differs: boolean;
}

// --- helpers ----------------------------------------------------------------------------------------------------------

type Version = Awaited<ReturnType<typeof getVersion>>;

/** Nested parameters as dotted keys (`gate.minAccuracy`), leaves as they are. */
export function flattenParams(p: unknown, prefix = ''): [string, unknown][] {
  if (!p || typeof p !== 'object' || Array.isArray(p)) return prefix ? [[prefix, p]] : [];
  return Object.entries(p as Record<string, unknown>).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? flattenParams(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

/** Parameters in a stable order a person can scan (jsonb keeps keys by length): alphabetical, the gate's last. */
const sortedParams = (p: unknown) => flattenParams(p).sort(([a], [b]) => Number(a.startsWith('gate.')) - Number(b.startsWith('gate.')) || a.localeCompare(b));

const text = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : typeof v === 'object' ? canonical(v) : String(v));

/** A version's parameters as the training request recorded them, without what only steers the run. */
const PARAMS_LEFT_OUT = new Set(['force', 'modelName', 'dataset']);

/** `2024-01-05T04:00:00.000Z` → `2024-01-05 04:00` (UTC), as the pages write times. */
const minute = (iso: string | null | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '?');

/** `{ kind: 'atr', horizon: 12, k: 1 }` → `12 bars ahead, ±1 × ATR`; `pct` → `12 bars ahead, ±0.5%`. */
function labelRuleText(rule: unknown): string | null {
  const r = rule as { kind?: string; horizon?: number; k?: number; threshold?: number } | null | undefined;
  if (!r?.kind) return r ? canonical(r) : null;
  return r.kind === 'atr' ? `${r.horizon} bars ahead, ±${r.k} × ATR` : `${r.horizon} bars ahead, ±${+((r.threshold ?? 0) * 100).toFixed(4)}%`;
}

function part(p: { n: number; from: string | null; to: string | null } | undefined): string | null {
  return p ? `${p.n} windows, ${minute(p.from)} → ${minute(p.to)}` : null;
}

/** Every fact of lineage, parameters and artifact as one row per key, values per version, differences marked. */
export function lineageDiff(vs: Version[]): DiffRow[] {
  const rows = new Map<string, { group: DiffRow['group']; values: (string | null)[] }>();
  const put = (group: DiffRow['group'], key: string, i: number, v: unknown) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { group, values: vs.map(() => null) }));
    r.values[i] = text(v);
  };
  vs.forEach((v, i) => {
    const l = v.lineage;
    const snap = l?.dataset;
    const ds = snap?.dataset;
    put('data', 'dataset', i, ds?.name);
    put('data', 'symbol', i, ds?.symbol);
    put('data', 'timeframe', i, ds?.timeframe);
    put('data', 'content hash', i, ds?.contentHash);
    put('data', 'candles', i, snap ? `${snap.candles.count} bars, ${minute(snap.candles.from)} → ${minute(snap.candles.to)}` : null);
    put('data', 'snapshot hash', i, snap?.candles.hash);
    put('data', 'train part', i, part(snap?.parts.train));
    put('data', 'validation part', i, part(snap?.parts.val));
    put('data', 'test part', i, part(snap?.parts.test));
    put('data', 'window T', i, snap?.params.window ?? v.artifact?.window);
    put('data', 'label rule', i, labelRuleText(snap?.params.label ?? v.artifact?.labelRule));
    put('data', 'purge gap', i, snap?.params.purge);
    put('data', 'warm-up bars', i, snap?.params.warmupBars);
    put('data', 'input transform', i, v.artifact?.inputTransform ?? snap?.features.transform);
    put('data', 'inputs', i, v.artifact?.featureOrder.length ?? snap?.features.inputNames.length);
    put('parameters', 'modelType', i, v.modelType);
    for (const [k, val] of sortedParams(l?.params)) if (!PARAMS_LEFT_OUT.has(k)) put('parameters', k, i, val);
    put('training', 'model config', i, v.artifact?.modelConfig);
    put('training', 'epochs run', i, l?.training?.epochsRun);
    put('training', 'best epoch', i, l?.training?.bestEpoch);
    put('training', 'stopped early', i, l?.training?.stoppedEarly);
    put('training', 'temperature', i, v.artifact?.temperature?.toFixed(4));
    put('training', 'train stage', i, l?.durationsMs?.train != null ? `${(l.durationsMs.train / 1000).toFixed(1)} s` : null);
    put('training', 'bit-identical to', i, l?.duplicateOf);
    put('training', 'started by', i, l ? `${l.trigger} · ${l.startedBy}` : null);
    put('code', 'SignalOps', i, l?.code?.app);
    put('code', 'commit', i, l?.code?.commit);
    put('code', 'TensorFlow.js', i, l?.tensorflow ? `${l.tensorflow.backend} · tfjs ${l.tensorflow.version}` : null);
    put('code', 'worker host', i, l?.worker?.host);
    put('code', 'artifact', i, v.artifact ? `${v.artifact.format} · ${v.artifact.sha256.slice(0, 16)}` : null);
  });
  return [...rows].map(([key, r]) => ({ group: r.group, key, values: r.values, differs: new Set(r.values).size > 1 }));
}

const finiteOr = (v: number | null | undefined, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

// --- compare ----------------------------------------------------------------------------------------------------------

/**
 * 2–4 versions side by side: each with its stored evaluation, an accuracy interval (when its test labels are stored),
 * the paired difference of every later-picked version against every earlier one (B − A), and the lineage diff.
 */
export async function compareVersions(db: DbLike, refs: CompareRef[]) {
  const input = parseOrThrow(ZCompareInput, { versions: refs }, 'versions');
  const wanted = input.versions.map((r, i) => {
    try {
      return { model: r.model, version: parseVersionLabel(r.version) };
    } catch {
      throw badRequest(`versions.${i}.version: '${r.version}' is not a version (use v1, v2, …)`, { field: `versions.${i}.version` });
    }
  });
  const seen = new Set<string>();
  for (const [i, r] of wanted.entries()) {
    const k = `${r.model}@${r.version}`;
    if (seen.has(k)) throw badRequest(`versions.${i}: ${r.model} ${versionLabel(r.version)} is picked twice`, { field: `versions.${i}` });
    seen.add(k);
  }
  const names = [...new Set(wanted.map((r) => r.model))];
  const known = new Set((await db.select({ name: models.name }).from(models).where(inArray(models.name, names))).map((m) => m.name));
  const missing = names.find((n) => !known.has(n));
  if (missing) throw notFound(`No model '${missing}'.`);

  const rows: Version[] = [];
  for (const r of wanted) rows.push(await getVersion(db, r.model, r.version));
  const tests = await loadTestSamples(
    db,
    rows.map((v) => v.id),
  );
  const sets = rows.map((v) => {
    const t = tests.get(v.id);
    const pred = t ? argmaxRows(t.probs, 3) : null;
    const paired = t?.labels && t.times && pred && t.labels.length === pred.length && t.times.length === pred.length ? { labels: t.labels, times: t.times, pred } : null;
    return { samples: pred?.length ?? 0, paired };
  });
  const horizonOf = (v: Version) => v.lineage?.dataset?.params.label.horizon ?? v.lineage?.params?.horizon ?? 1;

  const versions = rows.map((v, i) => {
    const s = sets[i];
    const boot = v.metrics.bootstrap;
    const accuracyCI: Interval | null = s.paired
      ? accuracyInterval(s.paired.labels, s.paired.pred, {
          resamples: finiteOr(boot?.resamples, 1000),
          level: finiteOr(boot?.level, 0.95),
          blockLength: finiteOr(boot?.blockLength, blockLengthFor(horizonOf(v), s.samples)),
          seed: v.lineage?.seed ?? 42,
        })
      : null;
    return { ...v, key: COMPARE_KEYS[i], testSamples: s.samples, pairable: s.paired !== null, accuracyCI };
  });

  const pairs: ComparedPair[] = [];
  for (let a = 0; a < rows.length; a++) {
    for (let b = a + 1; b < rows.length; b++) {
      const [va, vb] = [rows[a], rows[b]];
      const [pa, pb] = [sets[a].paired, sets[b].paired];
      const name = (v: Version) => `${v.model} ${v.label}`;
      if (!pa || !pb) {
        const old = [pa ? null : name(va), pb ? null : name(vb)].filter((x) => x !== null);
        pairs.push({
          a,
          b,
          available: false,
          shared: null,
          reason: `${old.join(' and ')} ${old.length > 1 ? 'were' : 'was'} registered before test labels and bar times were kept with the artifact, so there is no paired figure (retrain to get one)`,
        });
        continue;
      }
      const sa = va.lineage?.dataset?.dataset?.symbol ?? null;
      const sb = vb.lineage?.dataset?.dataset?.symbol ?? null;
      if (sa && sb && sa.toUpperCase() !== sb.toUpperCase()) {
        pairs.push({ a, b, available: false, shared: null, reason: `tested on different symbols (${sa} and ${sb})` });
        continue;
      }
      const c = comparePaired(pa, pb, { horizon: Math.max(horizonOf(va), horizonOf(vb)), seed: va.lineage?.seed ?? 42 });
      if (!c.available) {
        pairs.push({ a, b, available: false, shared: c.shared, reason: c.reason });
        continue;
      }
      pairs.push({
        a,
        b,
        available: true,
        shared: c.shared,
        from: new Date(c.from).toISOString(),
        to: new Date(c.to).toISOString(),
        blockLength: c.blockLength,
        accuracy: { a: c.a.accuracy, b: c.b.accuracy, diff: c.accuracy },
        macroF1: { a: c.a.macroF1, b: c.b.macroF1, diff: c.macroF1 },
      });
    }
  }
  return { versions, pairs, diff: lineageDiff(rows) };
}

// --- parameters against macro-F1 ---------------------------------------------------------------------------------------

/** Parameters that do not change what the model predicts (the gate's thresholds, the backtest's costs) are left out. */
const SCATTER_LEFT_OUT = (k: string) => PARAMS_LEFT_OUT.has(k) || k.startsWith('gate.') || k === 'costBps';

export interface ScatterPoint {
  version: number;
  label: string;
  status: VersionStatus;
  modelType: string;
  accuracy: number | null;
  macroF1: number | null;
  macroF1CI: { lower: number; upper: number } | null;
  params: Record<string, number | string | null>;
}

/** Every version of a model: its training parameters and its test macro-F1 (with interval), oldest first. */
export async function versionParamsScatter(db: DbLike, model: string) {
  const { model: name } = parseOrThrow(ZParamsScatterInput, { model }, 'model');
  const [m] = await db.select({ id: models.id }).from(models).where(eq(models.name, name));
  if (!m) throw notFound(`No model '${name}'.`);
  const rows = await db
    .select({
      version: modelVersions.version,
      status: modelVersions.status,
      modelType: modelVersions.modelType,
      accuracy: sql<number | null>`(${modelVersions.metrics}->>'accuracy')::float8`,
      macroF1: sql<number | null>`(${modelVersions.metrics}->>'macroF1')::float8`,
      lower: sql<number | null>`(${modelVersions.metrics}->'macroF1CI'->>'lower')::float8`,
      upper: sql<number | null>`(${modelVersions.metrics}->'macroF1CI'->>'upper')::float8`,
      params: sql<unknown>`${modelVersions.lineage}->'params'`,
    })
    .from(modelVersions)
    .where(eq(modelVersions.modelId, m.id))
    .orderBy(asc(modelVersions.version));
  const points: ScatterPoint[] = rows.map((r) => {
    const params: Record<string, number | string | null> = { modelType: r.modelType };
    for (const [k, v] of sortedParams(r.params)) {
      if (SCATTER_LEFT_OUT(k)) continue;
      params[k] = typeof v === 'number' && Number.isFinite(v) ? v : v === null || v === undefined ? null : text(v);
    }
    return {
      version: r.version,
      label: versionLabel(r.version),
      status: r.status,
      modelType: r.modelType,
      accuracy: r.accuracy,
      macroF1: r.macroF1,
      macroF1CI: r.lower != null && r.upper != null ? { lower: r.lower, upper: r.upper } : null,
      params,
    };
  });
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.params)))];
  const params = keys
    .map((key) => {
      const vals = points.map((p) => p.params[key] ?? null).filter((v) => v !== null);
      return { key, kind: vals.every((v) => typeof v === 'number') ? ('number' as const) : ('category' as const), distinct: new Set(vals).size };
    })
    // Parameters that vary first: those are the ones a scatter can say something about.
    .sort((x, y) => Number(y.distinct > 1) - Number(x.distinct > 1));
  return { model: name, params, points };
}
