/** Issue 10, model comparison: registration keeps the test labels and bar times; compareVersions pairs versions tested on the same bars. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { loadCandleColumns } from '../market/store';
import { buildSamples } from '../market/samples';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { argmaxRows } from '../ml/probs';
import { accuracy } from '../ml/metrics';
import { blockLengthFor } from '../ml/evaluate';
import { modelArtifacts } from '../../drizzle/schema';
import { getVersion, loadTestSamples } from './versions';
import { compareVersions, versionParamsScatter } from './compare';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';

const log = logger().child({ test: 'compare' });
const P = { dataset: 'planted', modelName: 'cmp', modelType: 'logreg', window: 8, epochs: 4, batchSize: 64, seed: 3 } as TrainRequestInput;

describe('model comparison', () => {
  let db: Db;
  const train = async (input: TrainRequestInput) => {
    const r = await startRun(db, input, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log });
    if (out.status !== 'succeeded') throw new Error(out.error);
    return out.version!;
  };

  beforeAll(async () => {
    db = (await createTestDb()).db;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(2500, 3), 'mt-comma')), dataset: 'planted', symbol: 'PLNT', actor: 'test' });
    await train(P); // cmp v1
    await train({ ...P, window: 12, modelType: 'mlp', units: 8, seed: 4 }); // cmp v2: another architecture, a longer window (its test part starts later)
    await train({ ...P, force: true }); // cmp v3: bit-identical to v1
    await train({ ...P, modelName: 'cmp-h6', horizon: 6 }); // another label rule on the same bars
    await train({ ...P, modelName: 'cmp-old', seed: 9 }); // its test labels are removed below, as for a version registered before they were kept
    const old = await getVersion(db, 'cmp-old', 1);
    await db.update(modelArtifacts).set({ testLabels: null, testTimes: null }).where(eq(modelArtifacts.versionId, old.id));
  }, 300_000);
  afterAll(() => closeProducerBosses());

  it('registration stores the test part’s labels and bar times beside its predictions', async () => {
    const v = await getVersion(db, 'cmp', 1);
    const t = (await loadTestSamples(db, [v.id])).get(v.id)!;
    const s = buildSamples(await loadCandleColumns(db, 'planted'), { window: 8, label: v.lineage.dataset.params.label });
    expect(Array.from(t.labels!)).toEqual(Array.from(s.test.y));
    expect(Array.from(t.times!)).toEqual(Array.from(s.test.times));
    expect(t.probs.length).toBe(3 * s.test.n);
    // The stored predictions reproduce the stored accuracy: the paired figures are about the same predictions.
    expect(accuracy(t.labels!, argmaxRows(t.probs, 3))).toBeCloseTo(v.metrics.accuracy!, 12);
  });

  it('two versions on the same bars: the paired difference over the shared samples, B − A, and accuracy intervals', async () => {
    const c = await compareVersions(db, [
      { model: 'cmp', version: 'v1' },
      { model: 'cmp', version: 2 },
    ]);
    expect(c.versions.map((v) => [v.key, v.label, v.modelType, v.pairable])).toEqual([
      ['A', 'v1', 'logreg', true],
      ['B', 'v2', 'mlp', true],
    ]);
    const [a, b] = c.versions;
    for (const v of c.versions) {
      expect(v.accuracyCI!.estimate).toBeCloseTo(v.metrics.accuracy!, 12);
      expect(v.accuracyCI!.lower).toBeLessThan(v.accuracyCI!.estimate);
      expect(v.accuracyCI!.upper).toBeGreaterThan(v.accuracyCI!.estimate);
    }
    expect(c.pairs).toHaveLength(1);
    const p = c.pairs[0];
    expect(p).toMatchObject({ a: 0, b: 1, available: true });
    if (!p.available) return;
    // v2's longer window drops its first samples: the shared bars are v2's test part, fewer than v1's.
    const tests = await loadTestSamples(db, [a.id, b.id]);
    const tb = new Set(tests.get(b.id)!.times!);
    const shared = Array.from(tests.get(a.id)!.times!).filter((t) => tb.has(t)).length;
    expect(p.shared).toBe(shared);
    expect(p.shared).toBeGreaterThan(30);
    expect(p.shared).toBeLessThanOrEqual(Math.min(a.testSamples, b.testSamples));
    expect(p.blockLength).toBe(blockLengthFor(12, p.shared)); // three horizons of 12 bars, at most a tenth of the samples
    expect(p.accuracy.diff.estimate).toBeCloseTo(p.accuracy.b - p.accuracy.a, 12);
    expect(p.macroF1.diff.estimate).toBeCloseTo(p.macroF1.b - p.macroF1.a, 12);
    expect(p.accuracy.diff.lower).toBeLessThanOrEqual(p.accuracy.diff.estimate);
    expect(p.accuracy.diff.upper).toBeGreaterThanOrEqual(p.accuracy.diff.estimate);
    expect(p.accuracy.diff.resamples).toBe(1000);
    expect(Date.parse(p.from)).toBeLessThan(Date.parse(p.to));
  });

  it('a bit-identical version: a difference of exactly 0 with an interval of width 0', async () => {
    const c = await compareVersions(db, [
      { model: 'cmp', version: 1 },
      { model: 'cmp', version: 3 },
    ]);
    const p = c.pairs[0];
    expect(p).toMatchObject({ available: true, shared: c.versions[0].testSamples });
    if (!p.available) return;
    for (const d of [p.accuracy.diff, p.macroF1.diff]) expect([d.estimate, d.lower, d.upper]).toEqual([0, 0, 0]);
  });

  it('says why there is no paired figure: another label rule, or test labels not stored', async () => {
    const c = await compareVersions(db, [
      { model: 'cmp', version: 1 },
      { model: 'cmp-h6', version: 1 },
      { model: 'cmp-old', version: 1 },
    ]);
    expect(c.pairs.map((p) => [p.a, p.b, p.available])).toEqual([
      [0, 1, false],
      [0, 2, false],
      [1, 2, false],
    ]);
    const [h6, old] = c.pairs;
    expect(!h6.available && h6.reason).toMatch(/true labels differ on \d+ of \d+ shared bars/);
    expect(!old.available && old.reason).toMatch(/cmp-old v1 was registered before test labels and bar times were kept/);
    expect(c.versions[2]).toMatchObject({ pairable: false, accuracyCI: null });
    // The old version is still compared on everything it has.
    expect(c.versions[2].metrics.macroF1).toBeGreaterThan(0);
  });

  it('the lineage diff marks what differs and what does not', async () => {
    const c = await compareVersions(db, [
      { model: 'cmp', version: 1 },
      { model: 'cmp', version: 2 },
    ]);
    const row = (k: string) => c.diff.find((r) => r.key === k)!;
    expect(row('window')).toMatchObject({ group: 'parameters', values: ['8', '12'], differs: true });
    expect(row('modelType')).toMatchObject({ values: ['logreg', 'mlp'], differs: true });
    expect(row('dataset')).toMatchObject({ group: 'data', values: ['planted', 'planted'], differs: false });
    expect(row('gate.minAccuracy').differs).toBe(false);
    expect(row('label rule')).toMatchObject({ values: ['12 bars ahead, ±1 × ATR', '12 bars ahead, ±1 × ATR'], differs: false });
    expect(c.diff.some((r) => r.key === 'force' || r.key === 'modelName')).toBe(false);
  });

  it('bad input names the field; unknown models and versions are named', async () => {
    const err = (refs: Parameters<typeof compareVersions>[1]) => compareVersions(db, refs).then(() => null, (e) => e);
    expect(await err([{ model: 'cmp', version: 1 }])).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'versions' } });
    expect((await err([{ model: 'cmp', version: 1 }])).message).toMatch(/versions: pick at least 2/);
    const five = [1, 2, 3, 1, 2].map((v, i) => ({ model: i < 3 ? 'cmp' : 'cmp-h6', version: v }));
    expect((await err(five)).message).toMatch(/versions: compare at most 4/);
    expect(
      await err([
        { model: 'cmp', version: 1 },
        { model: 'cmp', version: 'v1' },
      ]),
    ).toMatchObject({ code: 'BAD_REQUEST', message: 'versions.1: cmp v1 is picked twice' });
    expect(
      await err([
        { model: 'cmp', version: 1 },
        { model: 'cmp', version: 'latest' },
      ]),
    ).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'versions.1.version' } });
    expect(
      await err([
        { model: 'cmp', version: 1 },
        { model: 'nope', version: 1 },
      ]),
    ).toMatchObject({ code: 'NOT_FOUND', message: "No model 'nope'." });
    expect(
      await err([
        { model: 'cmp', version: 1 },
        { model: 'cmp', version: 9 },
      ]),
    ).toMatchObject({ code: 'NOT_FOUND', message: "Model 'cmp' has no version v9." });
    expect(await err([{ model: '', version: 1 }, { model: 'cmp', version: 1 }])).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'versions.0.model' } });
  });

  it('through tRPC as an analyst: the responses pass their output schemas', async () => {
    // Imported here: the router tree is not what this file tests, only that these two procedures answer in shape.
    const { userCaller } = await import('../trpc/test-helpers');
    const api = await userCaller(db, 'analyst');
    const c = await api.registry.compare({
      versions: [
        { model: 'cmp', version: 'v1' },
        { model: 'cmp', version: 'v2' },
        { model: 'cmp-old', version: 'v1' },
      ],
    });
    expect(c.versions.map((v) => v.key)).toEqual(['A', 'B', 'C']);
    expect(c.pairs.map((p) => p.available)).toEqual([true, false, false]);
    const s = await api.registry.paramsScatter({ model: 'cmp' });
    expect(s.points).toHaveLength(3);
    await expect(api.registry.compare({ versions: [{ model: 'cmp', version: 1 }] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.registry.paramsScatter({ model: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: "No model 'nope'." });
  });

  it('parameters against test macro-F1 for every version of a model, varying parameters first', async () => {
    const s = await versionParamsScatter(db, 'cmp');
    expect(s.points.map((p) => p.label)).toEqual(['v1', 'v2', 'v3']);
    for (const p of s.points) {
      expect(p.macroF1).toBeGreaterThan(0);
      expect(p.macroF1CI!.lower).toBeLessThanOrEqual(p.macroF1!);
      expect(p.macroF1CI!.upper).toBeGreaterThanOrEqual(p.macroF1!);
    }
    expect(s.points[1].params).toMatchObject({ window: 12, seed: 4, modelType: 'mlp', units: 8 });
    const varying = s.params.filter((p) => p.distinct > 1).map((p) => p.key);
    expect(varying.sort()).toEqual(['modelType', 'seed', 'units', 'window']);
    expect(s.params.slice(0, varying.length).every((p) => p.distinct > 1)).toBe(true);
    expect(s.params.find((p) => p.key === 'window')!.kind).toBe('number');
    expect(s.params.find((p) => p.key === 'modelType')!.kind).toBe('category');
    expect(s.params.some((p) => p.key.startsWith('gate.') || p.key === 'costBps')).toBe(false);
    await expect(versionParamsScatter(db, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND', message: "No model 'nope'." });
    await expect(versionParamsScatter(db, '')).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { field: 'model' } });
  });
});
