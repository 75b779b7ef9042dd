/**
 * Every promotion change a person, an API key, the trading app or a rule can make — split, promote, aliases,
 * new-version policy, shadow, canary, rollback — each a pure transition (state.ts) stored with its history
 * (store.ts). Input schemas are shared by tRPC, REST and the CLI.
 */
import { z } from 'zod';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db, DbLike } from '../db/client';
import { models, modelVersions } from '../../drizzle/schema';
import { DomainError, badRequest, badRequestFromZod } from '../errors';
import { parseVersionLabel } from '../registry/versions';
import { keepIncumbentDefaults } from './traffic';
import { changeModel, historyEntry, loadModel, readHistory, versionOf, type ChangeResult, type LoadedModel } from './store';
import {
  withAlias,
  withCanaryAbort,
  withCanaryPause,
  withCanaryResume,
  withCanaryStart,
  withNewVersion,
  withPromotion,
  withRestored,
  withShadow,
  withSplit,
  withoutAlias,
  DEFAULT_CANARY,
  champion,
} from './state';
import { CHAMPION, ZAliasName, ZCanaryConfig, ZNewVersionPolicy, type PromotionSnapshot } from './shapes';

const ZModelName = z.string().min(1, 'give a model name').max(200, 'at most 200 characters');
const ZVersion = z.union([z.string().max(20, 'too long'), z.number().int()]);
const ZComment = z.string().max(2000, 'at most 2,000 characters');
/** Every change: the model, why (required from people), and optionally the revision the caller saw. */
const base = { model: ZModelName, comment: ZComment.optional(), revision: z.number().int().min(0).max(2_147_483_647).optional() };

export const ZSetSplitRequest = z.strictObject({
  ...base,
  split: z
    .array(z.strictObject({ version: ZVersion, percent: z.number().int('a whole number').min(0, '≥ 0').max(100, '≤ 100') }))
    .min(1, 'give at least one version')
    .max(100, 'at most 100 versions')
    // v1 and 1 are one version: listed twice is a 400 here, before any version is looked up.
    .superRefine((entries, ctx) => {
      const seen = new Map<string, number>();
      entries.forEach((e, i) => {
        const k = String(e.version).trim().replace(/^v/i, '');
        const first = seen.get(k);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'version'], message: `v${k} is listed twice (also at split.${first})` });
        else seen.set(k, i);
      });
    }),
});
export const ZPromoteRequest = z.strictObject({ ...base, version: ZVersion, percent: z.number().int('a whole number').min(0).max(100) });
export const ZSetAliasRequest = z.strictObject({ ...base, alias: ZAliasName, version: ZVersion });
export const ZRemoveAliasRequest = z.strictObject({ ...base, alias: ZAliasName });
export const ZSetPolicyRequest = z.strictObject({ ...base, policy: ZNewVersionPolicy });
export const ZSetShadowRequest = z.strictObject({ ...base, version: ZVersion.nullable(), sample: z.number().gt(0, '> 0').max(1, '≤ 1').default(1) });
export const ZCanaryStartRequest = z.strictObject({ ...base, version: ZVersion, config: ZCanaryConfig.optional() });
export const ZCanaryControlRequest = z.strictObject({ ...base });
export const ZRollbackRequest = z.strictObject({ ...base, to: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
export const ZHistoryRequest = z.strictObject({ model: ZModelName, limit: z.number().int().min(1).max(500).default(50), before: z.number().int().min(1).optional() });

type In<S extends z.ZodType> = z.input<S>;
const parse = <S extends z.ZodType>(s: S, input: unknown): z.output<S> => {
  const r = s.safeParse(input);
  if (!r.success) throw badRequestFromZod(r.error);
  return r.data;
};
const meta = (req: { comment?: string; revision?: number }, actor: string, action: Parameters<typeof changeModel>[2]['action']) => ({ actor, action, comment: req.comment, revision: req.revision });

/** When a model starts serving, symbols other models already serve stay with them (traffic.ts). */
async function afterFirstTraffic(db: DbLike, model: string, prev: LoadedModel['snapshot'] | null, r: ChangeResult, actor: string) {
  if (r.changed && prev && !prev.split.length && r.snapshot.split.length) await keepIncumbentDefaults(db, model, actor);
}

/** Runs a change and, in the same transaction, keeps incumbent symbol defaults when the model starts serving. */
function change(db: Db, model: string, m: Parameters<typeof changeModel>[2], transition: Parameters<typeof changeModel>[3]): Promise<ChangeResult> {
  return db.transaction(async (tx) => {
    let prev: LoadedModel['snapshot'] | null = null;
    const r = await changeModel(db, model, m, (lm) => {
      prev = lm.snapshot;
      return transition(lm);
    }, { tx });
    await afterFirstTraffic(tx, model, prev, r, m.actor);
    return r;
  });
}

export async function setSplit(db: Db, input: In<typeof ZSetSplitRequest>, actor: string) {
  const req = parse(ZSetSplitRequest, input);
  return change(db, req.model, meta(req, actor, 'split'), (m) =>
    withSplit(m.snapshot, req.model, req.split.map((e) => ({ v: versionOf(m, parseVersionLabel(e.version)), percent: e.percent }))),
  );
}

export async function promote(db: Db, input: In<typeof ZPromoteRequest>, actor: string) {
  const req = parse(ZPromoteRequest, input);
  return change(db, req.model, meta(req, actor, 'promote'), (m) => withPromotion(m.snapshot, req.model, versionOf(m, parseVersionLabel(req.version)), req.percent));
}

export async function setAlias(db: Db, input: In<typeof ZSetAliasRequest>, actor: string) {
  const req = parse(ZSetAliasRequest, input);
  return change(db, req.model, meta(req, actor, 'alias.set'), (m) => withAlias(m.snapshot, req.model, req.alias, versionOf(m, parseVersionLabel(req.version))));
}

export async function removeAlias(db: Db, input: In<typeof ZRemoveAliasRequest>, actor: string) {
  const req = parse(ZRemoveAliasRequest, input);
  return change(db, req.model, meta(req, actor, 'alias.remove'), (m) => withoutAlias(m.snapshot, req.model, req.alias));
}

export async function setPolicy(db: Db, input: In<typeof ZSetPolicyRequest>, actor: string) {
  const req = parse(ZSetPolicyRequest, input);
  return change(db, req.model, meta(req, actor, 'policy'), (m) => ({ ...m.snapshot, policy: req.policy }));
}

export async function setShadow(db: Db, input: In<typeof ZSetShadowRequest>, actor: string) {
  const req = parse(ZSetShadowRequest, input);
  return change(db, req.model, meta(req, actor, req.version === null ? 'shadow.stop' : 'shadow.set'), (m) =>
    withShadow(m.snapshot, req.model, req.version === null ? null : versionOf(m, parseVersionLabel(req.version)), req.sample),
  );
}

export async function canaryStart(db: Db, input: In<typeof ZCanaryStartRequest>, actor: string, now = Date.now()) {
  const req = parse(ZCanaryStartRequest, input);
  return change(db, req.model, meta(req, actor, 'canary.start'), (m) =>
    withCanaryStart(m.snapshot, req.model, versionOf(m, parseVersionLabel(req.version)), req.config ?? m.snapshot.policy.canary ?? DEFAULT_CANARY, now, actor),
  );
}

export async function canaryControl(db: Db, action: 'pause' | 'resume' | 'abort', input: In<typeof ZCanaryControlRequest>, actor: string, now = Date.now()) {
  const req = parse(ZCanaryControlRequest, input);
  return change(db, req.model, meta(req, actor, `canary.${action}`), (m) =>
    action === 'pause'
      ? withCanaryPause(m.snapshot, req.model)
      : action === 'resume'
        ? withCanaryResume(m.snapshot, req.model, now)
        : withCanaryAbort(m.snapshot, req.model, now, `aborted by ${actor}: ${req.comment ?? ''}`.trim()),
  );
}

/** Returns the model to the state right after history entry `to` (the rollback is itself a history entry). */
export async function rollback(db: Db, input: In<typeof ZRollbackRequest>, actor: string, now = Date.now()) {
  const req = parse(ZRollbackRequest, input);
  const target = await historyEntry(db, req.model, req.to);
  return change(db, req.model, { ...meta(req, actor, 'rollback'), details: { to: req.to } }, (m) => ({
    next: withRestored(req.model, target.after, m.byId, now),
    message: `restored the state after #${req.to} (${target.action} by ${target.actor})`,
  }));
}

export async function history(db: DbLike, input: In<typeof ZHistoryRequest>) {
  const req = parse(ZHistoryRequest, input);
  await loadModel(db, req.model); // 404 for an unknown model
  return readHistory(db, req.model, { limit: req.limit, before: req.before });
}

/**
 * What the model's policy does with a newly registered version (training jobs, schedules, drift retraining, CLI):
 * recorded as an automatic change. Returns whether anything changed.
 */
export async function applyNewVersionPolicy(db: Db, v: { modelName: string; versionId: string; status: string; actor: string; trigger?: string }, now = Date.now()): Promise<boolean> {
  if (v.status !== 'candidate') return false;
  const r = await change(
    db,
    v.modelName,
    { actor: v.actor, action: 'new_version', automatic: { rule: 'new_version_policy', message: 'a new version was registered', figures: { trigger: v.trigger ?? 'manual' } } },
    (m) => {
      const info = m.byId.get(v.versionId);
      if (!info) throw new DomainError('NOT_FOUND', `Model '${v.modelName}' has no version ${v.versionId}.`);
      return withNewVersion(m.snapshot, v.modelName, info, now, v.actor);
    },
  );
  return r.changed;
}

// --- reading --------------------------------------------------------------------------------------------------------

export interface VersionCard {
  versionId: string;
  version: number;
  status: string;
  modelType: string;
  createdAt: Date;
  accuracy: number | null;
  macroF1: number | null;
  winRate: number | null;
  percent: number;
  aliases: string[];
  shadow: boolean;
}

export interface PromotionView {
  model: string;
  revision: number;
  updatedAt: Date | null;
  updatedBy: string | null;
  snapshot: PromotionSnapshot;
  champion: number | null;
  versions: VersionCard[];
}

const numOrNull = (v: unknown) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));

/** One model's promotion state with its versions' key test figures (the Promotion page, `promotion.state`). */
export async function promotionView(db: DbLike, modelName: string): Promise<PromotionView> {
  const m = await loadModel(db, modelName);
  const rows = await db
    .select({
      id: modelVersions.id,
      version: modelVersions.version,
      status: modelVersions.status,
      modelType: modelVersions.modelType,
      createdAt: modelVersions.createdAt,
      accuracy: sql<unknown>`${modelVersions.metrics}->'accuracy'`,
      macroF1: sql<unknown>`${modelVersions.metrics}->'macroF1'`,
      winRate: sql<unknown>`${modelVersions.metrics}->'backtest'->'winRate'`,
    })
    .from(modelVersions)
    .where(eq(modelVersions.modelId, m.model.id))
    .orderBy(asc(modelVersions.version));
  const s = m.snapshot;
  return {
    model: modelName,
    revision: m.revision,
    updatedAt: m.updatedAt,
    updatedBy: m.updatedBy,
    snapshot: s,
    champion: champion(s)?.version ?? null,
    versions: rows.map((r) => ({
      versionId: r.id,
      version: r.version,
      status: r.status,
      modelType: r.modelType,
      createdAt: r.createdAt,
      accuracy: numOrNull(r.accuracy),
      macroF1: numOrNull(r.macroF1),
      winRate: numOrNull(r.winRate),
      percent: s.split.find((e) => e.versionId === r.id)?.percent ?? 0,
      aliases: Object.entries(s.aliases)
        .filter(([, a]) => a.versionId === r.id)
        .map(([n]) => n)
        .sort((a, b) => (a === CHAMPION ? -1 : b === CHAMPION ? 1 : a.localeCompare(b))),
      shadow: s.shadow?.versionId === r.id,
    })),
  };
}

/** Every model with its champion, split, canary and shadow in one line (the Promotion page's model list). */
export async function promotionOverview(db: DbLike) {
  const names = await db.select({ name: models.name }).from(models).orderBy(asc(models.createdAt), asc(models.id));
  const out = [];
  for (const { name } of names) {
    const m = await loadModel(db, name);
    out.push({
      model: name,
      revision: m.revision,
      champion: champion(m.snapshot)?.version ?? null,
      split: m.snapshot.split.map((e) => ({ version: e.version, percent: e.percent })),
      canary: m.snapshot.canary ? { version: m.snapshot.canary.version.version, status: m.snapshot.canary.status, step: m.snapshot.canary.step, percent: m.snapshot.canary.config.steps[m.snapshot.canary.step] } : null,
      shadow: m.snapshot.shadow ? { version: m.snapshot.shadow.version, sample: m.snapshot.shadow.sample } : null,
      versions: m.byId.size,
      candidates: [...m.byId.values()].filter((v) => v.status === 'candidate').length,
    });
  }
  return out;
}

/** The model and version a bare `vN` means: the only model with that version, else `model` must be given. */
export async function resolveBareVersion(db: DbLike, label: string, model?: string | null): Promise<{ model: string; version: number }> {
  const n = parseVersionLabel(label);
  if (model) return { model, version: n };
  const rows = await db.select({ name: models.name }).from(models).orderBy(asc(models.name));
  if (rows.length === 1) return { model: rows[0].name, version: n };
  if (!rows.length) throw new DomainError('NOT_FOUND', 'No model exists yet: train one first.');
  throw badRequest(`model: several models exist (${rows.map((r) => r.name).join(', ')}); say which with ?model=<name>`, { field: 'model', models: rows.map((r) => r.name) });
}

/** The trading team's `POST /models/{model_version}/promote?traffic_percentage=N` (and /api/v1/models/{model}/{version}/promote). */
export const ZRestPromoteQuery = z.strictObject({
  traffic_percentage: z
    .string({ error: 'required: the percent of traffic to give the version (0–100; 100 makes it champion)' })
    .regex(/^\d{1,3}$/, 'must be a whole number from 0 to 100')
    .transform(Number)
    .refine((n) => n <= 100, 'must be a whole number from 0 to 100'),
  model: ZModelName.optional(),
  comment: ZComment.optional(),
  revision: z.string().regex(/^\d{1,9}$/, 'must be a revision number').transform(Number).optional(),
});

export async function promoteFromRest(db: Db, path: { model?: string; version: string }, query: Record<string, string>, actor: string) {
  const q = parse(ZRestPromoteQuery, query);
  const { model, version } = path.model ? { model: path.model, version: parseVersionLabel(path.version) } : await resolveBareVersion(db, path.version, q.model);
  const r = await promote(
    db,
    { model, version, percent: q.traffic_percentage, revision: q.revision, comment: q.comment ?? `POST /models/v${version}/promote?traffic_percentage=${q.traffic_percentage} (no comment given)` },
    actor,
  );
  const champ = r.snapshot.aliases[CHAMPION];
  return {
    status: 'success',
    message: r.message ?? `${model} v${version} has ${q.traffic_percentage} % of traffic`,
    result: {
      model_version: `v${version}`,
      traffic_percentage: q.traffic_percentage,
      status: 'promoted' as const,
      model,
      champion: champ ? `v${champ.version}` : null,
      split: r.snapshot.split.map((e) => ({ model_version: `v${e.version}`, traffic_percentage: e.percent })),
      revision: r.revision,
      history_id: r.historyId,
    },
  };
}
