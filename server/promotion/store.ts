/**
 * Reads a model's promotion state and writes a transition: split rows, aliases, policy/shadow/canary and the
 * revision, one append-only history row (before and after), an audit entry and the serving NOTIFY — all in one
 * transaction under the model's row lock, so concurrent changes serialise and a stale revision is refused.
 */
import { and, asc, desc, eq, lt } from 'drizzle-orm';
import type { Db, DbLike } from '../db/client';
import { models, modelVersions, trafficSplits, modelAliases, promotionStates, promotionHistory } from '../../drizzle/schema';
import { DomainError, badRequest, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { notifyServing } from '../db/notify';
import { DEFAULT_POLICY, ZNewVersionPolicy, type AutomaticReason, type HistoryAction, type PromotionSnapshot } from './shapes';
import { checkInvariants, type VersionInfo } from './state';

export interface LoadedModel {
  model: { id: number; name: string };
  revision: number;
  snapshot: PromotionSnapshot;
  /** Every version of the model by id and by number. */
  byId: Map<string, VersionInfo>;
  byNumber: Map<number, VersionInfo>;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The model's state; `lock` takes the model row FOR UPDATE (inside a transaction). Unknown model → 404. */
export async function loadModel(db: DbLike, modelName: string, lock = false): Promise<LoadedModel> {
  const q = db.select({ id: models.id, name: models.name }).from(models).where(eq(models.name, modelName));
  const [m] = lock ? await q.for('update') : await q;
  if (!m) throw notFound(`No model named '${modelName}'.`);
  // One after another: inside a transaction the queries share one connection.
  const versions = await db.select({ id: modelVersions.id, version: modelVersions.version, status: modelVersions.status }).from(modelVersions).where(eq(modelVersions.modelId, m.id)).orderBy(asc(modelVersions.version));
  const split = await db
      .select({ versionId: trafficSplits.versionId, version: modelVersions.version, percent: trafficSplits.percent })
      .from(trafficSplits)
      .innerJoin(modelVersions, eq(modelVersions.id, trafficSplits.versionId))
      .where(eq(trafficSplits.modelName, modelName))
      .orderBy(asc(modelVersions.version));
  const aliases = await db
      .select({ alias: modelAliases.alias, versionId: modelAliases.versionId, version: modelVersions.version })
      .from(modelAliases)
      .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
      .where(eq(modelAliases.modelName, modelName))
      .orderBy(asc(modelAliases.alias));
  const [st] = await db.select().from(promotionStates).where(eq(promotionStates.modelName, modelName));
  const byId = new Map(versions.map((v) => [v.id, v]));
  const byNumber = new Map(versions.map((v) => [v.version, v]));
  const policy = st ? ZNewVersionPolicy.parse(st.policy) : DEFAULT_POLICY;
  return {
    model: m,
    revision: st?.revision ?? 0,
    snapshot: {
      split: split.filter((e) => e.percent > 0),
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, { versionId: a.versionId, version: a.version }])),
      policy,
      shadow: st?.shadow ?? null,
      canary: st?.canary ?? null,
    },
    byId,
    byNumber,
    updatedAt: st?.updatedAt ?? null,
    updatedBy: st?.updatedBy ?? null,
  };
}

/** The version `vN` (or N) of a loaded model, or 404 naming it. */
export function versionOf(m: LoadedModel, n: number): VersionInfo {
  const v = m.byNumber.get(n);
  if (!v) throw notFound(`Model '${m.model.name}' has no version v${n}.`);
  return v;
}

export interface ChangeMeta {
  actor: string;
  action: HistoryAction;
  /** Required for a person's change (400 without one); automatic changes carry `automatic` instead. */
  comment?: string | null;
  automatic?: AutomaticReason;
  /** The revision the caller saw; a different current revision → 409 with the current state. */
  revision?: number;
  /** Extra audit details. */
  details?: Record<string, unknown>;
}

export interface ChangeResult {
  revision: number;
  snapshot: PromotionSnapshot;
  changed: boolean;
  historyId: number | null;
  message?: string;
}

/**
 * Applies `transition` to the model's current state and stores the result with its history row. `transition`
 * returns null (or the same object) for "nothing to change": nothing is written.
 */
export async function changeModel(
  db: Db,
  modelName: string,
  meta: ChangeMeta,
  transition: (m: LoadedModel) => { next: PromotionSnapshot | null; message?: string } | PromotionSnapshot | null,
  opts: { tx?: DbLike } = {},
): Promise<ChangeResult> {
  const comment = meta.comment?.trim() || null;
  if (!meta.automatic && !comment) throw badRequest('comment: say why (every manual promotion change is recorded with a reason)', { field: 'comment' });
  const run = async (tx: DbLike): Promise<ChangeResult> => {
    const m = await loadModel(tx, modelName, true);
    if (meta.revision !== undefined && meta.revision !== m.revision) {
      throw new DomainError('CONFLICT', `${modelName} changed since you loaded it (your revision ${meta.revision}, now ${m.revision}${m.updatedBy ? ` by ${m.updatedBy}` : ''}); reload and apply again.`, {
        field: 'revision',
        revision: m.revision,
        current: m.snapshot,
      });
    }
    const out = transition(m);
    const r = out && 'next' in out ? out : { next: out as PromotionSnapshot | null, message: undefined };
    if (!r.next || r.next === m.snapshot) return { revision: m.revision, snapshot: m.snapshot, changed: false, historyId: null, message: r.message };
    const next = r.next;
    checkInvariants(next, modelName);
    const revision = m.revision + 1;
    await writeSnapshot(tx, modelName, m.snapshot, next, meta.actor);
    await tx
      .insert(promotionStates)
      .values({ modelName, revision, policy: next.policy, shadow: next.shadow, canary: next.canary, updatedBy: meta.actor })
      .onConflictDoUpdate({ target: promotionStates.modelName, set: { revision, policy: next.policy, shadow: next.shadow, canary: next.canary, updatedBy: meta.actor, updatedAt: new Date() } });
    const [h] = await tx
      .insert(promotionHistory)
      .values({ modelName, revision, actor: meta.actor, action: meta.action, comment, automatic: meta.automatic ?? null, before: m.snapshot, after: next })
      .returning({ id: promotionHistory.id });
    await recordAudit(tx, {
      actor: meta.actor,
      action: `promotion.${meta.action}`,
      target: modelName,
      // From → to in brief (the whole snapshots are in promotion_history, row historyId).
      details: { revision, historyId: h.id, comment, automatic: meta.automatic?.rule ?? null, message: r.message ?? null, ...meta.details, from: briefSnapshot(m.snapshot), to: briefSnapshot(next) },
    });
    await notifyServing(tx, `promotion of ${modelName}: ${meta.action}`);
    return { revision, snapshot: next, changed: true, historyId: h.id, message: r.message };
  };
  return opts.tx ? run(opts.tx) : db.transaction(run);
}

/** What an audit row shows of a promotion state: the split, the aliases and the shadow/canary versions. */
function briefSnapshot(s: PromotionSnapshot) {
  return {
    split: s.split.map((e) => ({ version: e.version, percent: e.percent })),
    aliases: Object.fromEntries(Object.entries(s.aliases).map(([a, r]) => [a, r.version])),
    shadow: s.shadow ? { version: s.shadow.version, sample: s.shadow.sample } : null,
    canary: s.canary ? { version: s.canary.version.version, status: s.canary.status } : null,
  };
}

/** Writes the split and aliases of `next` (only what differs from `prev`). */
async function writeSnapshot(tx: DbLike, modelName: string, prev: PromotionSnapshot, next: PromotionSnapshot, actor: string) {
  const key = (s: PromotionSnapshot['split']) => JSON.stringify(s.map((e) => [e.versionId, e.percent]));
  if (key(prev.split) !== key(next.split)) {
    await tx.delete(trafficSplits).where(eq(trafficSplits.modelName, modelName));
    if (next.split.length) await tx.insert(trafficSplits).values(next.split.map((e) => ({ modelName, versionId: e.versionId, percent: e.percent, updatedBy: actor })));
  }
  for (const [alias, ref] of Object.entries(next.aliases)) {
    if (prev.aliases[alias]?.versionId === ref.versionId) continue;
    await tx
      .insert(modelAliases)
      .values({ modelName, alias, versionId: ref.versionId, updatedBy: actor })
      .onConflictDoUpdate({ target: [modelAliases.modelName, modelAliases.alias], set: { versionId: ref.versionId, updatedBy: actor, updatedAt: new Date() } });
  }
  for (const alias of Object.keys(prev.aliases)) {
    if (!next.aliases[alias]) await tx.delete(modelAliases).where(and(eq(modelAliases.modelName, modelName), eq(modelAliases.alias, alias)));
  }
}

export interface HistoryEntry {
  id: number;
  revision: number;
  at: Date;
  actor: string;
  action: string;
  comment: string | null;
  automatic: AutomaticReason | null;
  before: PromotionSnapshot;
  after: PromotionSnapshot;
}

/** A model's history, newest first (`before` = an id to page back from). */
export async function readHistory(db: DbLike, modelName: string, opts: { limit?: number; before?: number } = {}): Promise<HistoryEntry[]> {
  const where = opts.before ? and(eq(promotionHistory.modelName, modelName), lt(promotionHistory.id, opts.before)) : eq(promotionHistory.modelName, modelName);
  return db
    .select()
    .from(promotionHistory)
    .where(where)
    .orderBy(desc(promotionHistory.id))
    .limit(Math.min(opts.limit ?? 50, 500));
}

export async function historyEntry(db: DbLike, modelName: string, id: number): Promise<HistoryEntry> {
  const [h] = await db.select().from(promotionHistory).where(and(eq(promotionHistory.modelName, modelName), eq(promotionHistory.id, id)));
  if (!h) throw notFound(`${modelName} has no history entry #${id}.`);
  return h;
}
