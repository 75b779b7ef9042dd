import crypto from 'node:crypto';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbLike, Tx } from '../db/client';
import { models, modelVersions, modelArtifacts, type VersionStatus } from '../../drizzle/schema';
import { DomainError, notFound } from '../errors';
import { INT4_MAX } from '../validation';
import { normalSymbol } from '../market/symbol';
import { recordAudit } from '../auth/audit';
import { splitArtifact, joinArtifact, loadArtifact, type ModelArtifact, type Predictor } from '../ml/artifact';
import type { VersionGate, VersionIndicatorWeights, VersionLineage, VersionMetrics } from '../../drizzle/schema/shapes';

export type VersionRow = typeof modelVersions.$inferSelect;

/** `v3` → 3; a bare number too. Versions are PostgreSQL integers: above 2^31−1 is not a version (a 400, not SQL's 22003). */
export function parseVersionLabel(v: string | number): number {
  const n = typeof v === 'number' ? v : Number(String(v).replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1) throw new DomainError('BAD_REQUEST', `version: '${String(v).slice(0, 40)}' is not a version (use v1, v2, …)`, { field: 'version' });
  if (n > INT4_MAX) throw new DomainError('BAD_REQUEST', `version: '${String(v).slice(0, 40)}' is out of range (at most v${INT4_MAX})`, { field: 'version' });
  return n;
}
export const versionLabel = (n: number) => `v${n}`;

/**
 * Registers a version and its artifact in the caller's transaction: both rows or neither. Version numbers are
 * per model and never reused (the model row is locked while the next number is taken).
 */
export async function registerVersion(
  tx: Tx,
  v: {
    modelName: string;
    status: VersionStatus;
    modelType: string;
    metrics: VersionMetrics;
    gate: VersionGate;
    indicatorWeights: VersionIndicatorWeights;
    lineage: VersionLineage;
    runId: string | null;
    createdBy: string;
    artifact: ModelArtifact;
    testPredictions: Float32Array;
    /**
     * The test part's true labels (0 SELL, 1 HOLD, 2 BUY) and bar times (epoch ms), one per test sample, in the order
     * of `testPredictions`: what a paired comparison with another version tested on the same bars needs.
     */
    testSamples: { labels: Uint8Array; times: Float64Array };
    /** The training dataset's symbol: the model serves it from now on (added to the model's symbols). */
    symbol?: string | null;
  },
): Promise<{ id: string; version: number; duplicateOf: string | null }> {
  await tx.insert(models).values({ name: v.modelName, createdBy: v.createdBy }).onConflictDoNothing();
  const [m] = await tx.select().from(models).where(eq(models.name, v.modelName)).for('update');
  const symbol = v.symbol ? normalSymbol(v.symbol) : null;
  if (symbol && !m.symbols.includes(symbol)) {
    await tx.update(models).set({ symbols: [...m.symbols, symbol].sort() }).where(eq(models.id, m.id));
  }
  const [{ next }] = await tx
    .select({ next: sql<number>`coalesce(max(${modelVersions.version}), 0) + 1` })
    .from(modelVersions)
    .where(eq(modelVersions.modelId, m.id));
  const { meta, weights } = splitArtifact(v.artifact);
  const sha256 = crypto.createHash('sha256').update(weights).digest('hex');
  // Bit-identical weights to an earlier version of this model (e.g. retrained with `force` on unchanged inputs):
  // registered all the same, marked in its lineage.
  const [twin] = await tx
    .select({ version: modelVersions.version })
    .from(modelArtifacts)
    .innerJoin(modelVersions, eq(modelVersions.id, modelArtifacts.versionId))
    .where(and(eq(modelVersions.modelId, m.id), eq(modelArtifacts.sha256, sha256)))
    .orderBy(asc(modelVersions.version))
    .limit(1);
  const duplicateOf = twin ? versionLabel(twin.version) : null;
  const lineage = duplicateOf && v.lineage && typeof v.lineage === 'object' ? { ...v.lineage, duplicateOf } : v.lineage;
  const [row] = await tx
    .insert(modelVersions)
    .values({
      modelId: m.id,
      version: next,
      status: v.status,
      modelType: v.modelType,
      metrics: v.metrics,
      gate: v.gate,
      indicatorWeights: v.indicatorWeights,
      lineage,
      runId: v.runId,
      createdBy: v.createdBy,
    })
    .returning({ id: modelVersions.id, version: modelVersions.version });
  const n = v.testSamples.labels.length;
  if (v.testSamples.times.length !== n || v.testPredictions.length !== n * 3) {
    throw new Error(`registerVersion: ${v.testPredictions.length / 3} test predictions, ${n} test labels and ${v.testSamples.times.length} test times`);
  }
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const preds = bytes(v.testPredictions);
  await tx.insert(modelArtifacts).values({
    versionId: row.id,
    format: meta.format,
    meta,
    weights,
    testPredictions: preds,
    testLabels: bytes(v.testSamples.labels),
    testTimes: bytes(v.testSamples.times),
    sizeBytes: weights.byteLength + Buffer.byteLength(JSON.stringify(meta)),
    sha256,
  });
  return { ...row, duplicateOf };
}

const versionSummary = {
  id: modelVersions.id,
  version: modelVersions.version,
  status: modelVersions.status,
  modelType: modelVersions.modelType,
  createdAt: modelVersions.createdAt,
  createdBy: modelVersions.createdBy,
  runId: modelVersions.runId,
  accuracy: sql<number | null>`(${modelVersions.metrics}->>'accuracy')::float8`,
  macroF1: sql<number | null>`(${modelVersions.metrics}->>'macroF1')::float8`,
  winRate: sql<number | null>`(${modelVersions.metrics}->'winRate'->>'winRate')::float8`,
  sharpe: sql<number | null>`(${modelVersions.metrics}->'backtest'->>'sharpe')::float8`,
  gatePassed: sql<boolean>`(${modelVersions.gate}->>'passed')::boolean`,
  dataset: sql<string | null>`${modelVersions.lineage}->'dataset'->'dataset'->>'name'`,
};

/** Models with their versions (newest first), for the Models page, `registry.list`, REST and the CLI. */
export async function listModels(db: DbLike) {
  const rows = await db
    .select({ model: models.name, modelCreatedAt: models.createdAt, symbols: models.symbols, anySymbol: models.anySymbol, v: versionSummary })
    .from(models)
    .leftJoin(modelVersions, eq(modelVersions.modelId, models.id))
    .orderBy(asc(models.name), desc(modelVersions.version));
  type V = NonNullable<(typeof rows)[number]['v']> & { id: string; version: number };
  const out = new Map<string, { name: string; createdAt: Date; symbols: string[]; anySymbol: boolean; versions: V[] }>();
  for (const r of rows) {
    let m = out.get(r.model);
    if (!m) out.set(r.model, (m = { name: r.model, createdAt: r.modelCreatedAt, symbols: r.symbols, anySymbol: r.anySymbol, versions: [] }));
    if (r.v?.id) m.versions.push(r.v as V);
  }
  return [...out.values()].map((m) => ({
    ...m,
    versions: m.versions.map((v) => ({ ...v, label: versionLabel(v.version) })),
  }));
}

async function findVersionRow(db: DbLike, modelName: string, version: number) {
  const [r] = await db
    .select({ v: modelVersions, model: models.name })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(models.name, modelName), eq(modelVersions.version, version)));
  if (!r) throw notFound(`Model '${modelName}' has no version v${version}.`);
  return r;
}

/** One version with everything but the weights (metrics, gate, weights per indicator, lineage, artifact summary). */
export async function getVersion(db: DbLike, modelName: string, version: string | number) {
  const n = parseVersionLabel(version);
  const { v, model } = await findVersionRow(db, modelName, n);
  const [a] = await db
    .select({ format: modelArtifacts.format, sizeBytes: modelArtifacts.sizeBytes, sha256: modelArtifacts.sha256, meta: modelArtifacts.meta })
    .from(modelArtifacts)
    .where(eq(modelArtifacts.versionId, v.id));
  const meta = a?.meta;
  return {
    ...v,
    model,
    label: versionLabel(v.version),
    artifact: a
      ? {
          format: a.format,
          sizeBytes: a.sizeBytes,
          sha256: a.sha256,
          window: meta?.shape.timeSteps ?? null,
          featureOrder: meta?.featureOrder ?? [],
          inputTransform: meta?.inputTransform ?? null,
          temperature: meta?.temperature ?? null,
          labelRule: meta?.labelRule ?? null,
          modelConfig: meta?.model ?? null,
        }
      : null,
  };
}

/** The newest version of a model (any status), or null: for "change against the previous version". */
export async function latestVersion(db: DbLike, modelName: string): Promise<VersionRow | null> {
  const [r] = await db
    .select({ v: modelVersions })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(eq(models.name, modelName))
    .orderBy(desc(modelVersions.version))
    .limit(1);
  return r?.v ?? null;
}

/** Archives a version: kept (immutable, comparable), never given traffic. */
export async function archiveVersion(db: Db, modelName: string, version: string | number, actor: string) {
  const n = parseVersionLabel(version);
  const { v } = await findVersionRow(db, modelName, n);
  if (v.status === 'archived') throw new DomainError('CONFLICT', `${modelName} v${n} is already archived.`);
  return db.transaction(async (tx) => {
    const [row] = await tx.update(modelVersions).set({ status: 'archived', archivedAt: new Date() }).where(eq(modelVersions.id, v.id)).returning();
    await recordAudit(tx, { actor, action: 'registry.archive', target: `${modelName}@v${n}`, details: { previousStatus: v.status, from: { status: v.status }, to: { status: 'archived' } } });
    return { ...row, label: versionLabel(row.version) };
  });
}

/** The stored artifact of a version, whole (weights included). */
export async function loadVersionArtifact(db: DbLike, versionId: string): Promise<{ artifact: ModelArtifact; testPredictions: Float32Array }> {
  const [a] = await db.select().from(modelArtifacts).where(eq(modelArtifacts.versionId, versionId));
  if (!a) throw notFound(`Version ${versionId} has no artifact.`);
  const p = a.testPredictions;
  const testPredictions = new Float32Array(p.byteLength / 4);
  new Uint8Array(testPredictions.buffer).set(p);
  return { artifact: joinArtifact(a.meta, a.weights), testPredictions };
}

/** A copy of a bytea as a typed array (a Buffer from pg may sit at any offset of a shared pool, unaligned). */
function typedCopy<T extends Float32Array | Float64Array | Uint8Array>(b: Buffer, make: (n: number) => T): T {
  const out = make(b.byteLength / make(0).BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/**
 * Per version id: the stored test-part predictions (calibrated probabilities, n × 3) and, for versions registered
 * since they are kept, the true labels and bar times of the same samples (null before). For paired comparisons.
 */
export async function loadTestSamples(
  db: DbLike,
  versionIds: string[],
): Promise<Map<string, { probs: Float32Array; labels: Uint8Array | null; times: Float64Array | null }>> {
  if (!versionIds.length) return new Map();
  const rows = await db
    .select({ id: modelArtifacts.versionId, p: modelArtifacts.testPredictions, y: modelArtifacts.testLabels, t: modelArtifacts.testTimes })
    .from(modelArtifacts)
    .where(inArray(modelArtifacts.versionId, versionIds));
  return new Map(
    rows.map((r) => [
      r.id,
      {
        probs: typedCopy(r.p, (n) => new Float32Array(n)),
        labels: r.y ? typedCopy(r.y, (n) => new Uint8Array(n)) : null,
        times: r.t ? typedCopy(r.t, (n) => new Float64Array(n)) : null,
      },
    ]),
  );
}

/** A ready predictor for a stored version (the caller disposes it). */
export async function loadVersionPredictor(db: DbLike, versionId: string): Promise<Predictor> {
  const { artifact } = await loadVersionArtifact(db, versionId);
  return loadArtifact(artifact);
}

// --- what serving reads ----------------------------------------------------------------------------------------------

/** A version's row as serving needs it: model name, number, status, indicator weights. */
export async function servableVersionRow(db: DbLike, versionId: string) {
  const [row] = await db
    .select({ model: models.name, version: modelVersions.version, status: modelVersions.status, indicatorWeights: modelVersions.indicatorWeights })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(eq(modelVersions.id, versionId));
  if (!row) throw notFound(`No model version ${versionId}.`);
  return row;
}

/** Id and status of `model` vN, or null. */
export async function findVersion(db: DbLike, modelName: string, version: number): Promise<{ id: string; status: VersionStatus } | null> {
  const [v] = await db
    .select({ id: modelVersions.id, status: modelVersions.status })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(models.name, modelName), eq(modelVersions.version, version)));
  return v ?? null;
}

/** Current statuses of versions by id. */
export async function versionStatuses(db: DbLike, ids: string[]): Promise<Map<string, VersionStatus>> {
  if (!ids.length) return new Map();
  const rows = await db.select({ id: modelVersions.id, status: modelVersions.status }).from(modelVersions).where(inArray(modelVersions.id, ids));
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** JSON with object keys sorted, so equal values compare equal whatever the key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Training parameters as compared for identity: what only steers the run (`force`, the model's name) is left out. */
function identityParams(p: unknown): string {
  const { force: _f, modelName: _m, ...rest } = (p ?? {}) as Record<string, unknown>;
  return canonical(rest);
}

/**
 * The version of `modelName` trained on the same data (dataset content hash), with the same parameters and the same
 * code commit — retraining it would register a bit-identical copy (training is seeded and deterministic). Null when
 * there is none, or when the data hash or the commit is unknown (then identity cannot be claimed).
 */
export async function findIdenticalVersion(
  db: DbLike,
  q: { modelName: string; datasetHash: string | null; params: unknown; commit: string | null },
): Promise<{ id: string; version: number; status: VersionStatus } | null> {
  if (!q.datasetHash || !q.commit) return null;
  const rows = await db
    .select({ id: modelVersions.id, version: modelVersions.version, status: modelVersions.status, params: sql<unknown>`${modelVersions.lineage}->'params'` })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(
      and(
        eq(models.name, q.modelName),
        sql`${modelVersions.lineage}->'dataset'->'dataset'->>'contentHash' = ${q.datasetHash}`,
        sql`${modelVersions.lineage}->'code'->>'commit' = ${q.commit}`,
      ),
    )
    .orderBy(asc(modelVersions.version));
  const want = identityParams(q.params);
  const hit = rows.find((r) => identityParams(r.params) === want);
  return hit ? { id: hit.id, version: hit.version, status: hit.status } : null;
}
