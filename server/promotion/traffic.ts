/**
 * Promotion owns who gets traffic: each model's traffic split (version → percent), which symbols each model serves,
 * and which model answers a symbol when several serve it. Serving reads this state (and reloads on NOTIFY); training
 * never writes it — a newly registered version is handed to `applyNewVersionPolicy` by the job that trained it.
 */
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbLike } from '../db/client';
import { trafficSplits, modelVersions, models, symbolDefaults } from '../../drizzle/schema';
import { DomainError, badRequest, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { notifyServing } from '../db/notify';
import { parseVersionLabel } from '../registry/versions';
import { ZSymbol, normalSymbol } from '../market/symbol';

export { SERVING_CHANNEL, notifyServing } from '../db/notify';

/** The split of one model with version numbers, oldest version first. */
export async function getSplit(db: DbLike, modelName: string) {
  return db
    .select({ versionId: trafficSplits.versionId, version: modelVersions.version, percent: trafficSplits.percent, status: modelVersions.status })
    .from(trafficSplits)
    .innerJoin(modelVersions, eq(modelVersions.id, trafficSplits.versionId))
    .where(eq(trafficSplits.modelName, modelName))
    .orderBy(asc(modelVersions.version));
}

export interface SplitRow {
  versionId: string;
  version: number;
  percent: number;
}

export async function listSplits(db: DbLike): Promise<Record<string, SplitRow[]>> {
  const rows = await db
    .select({ modelName: trafficSplits.modelName, versionId: trafficSplits.versionId, version: modelVersions.version, percent: trafficSplits.percent })
    .from(trafficSplits)
    .innerJoin(modelVersions, eq(modelVersions.id, trafficSplits.versionId))
    .orderBy(asc(trafficSplits.modelName), asc(modelVersions.version));
  const out: Record<string, SplitRow[]> = {};
  for (const r of rows) (out[r.modelName] ??= []).push({ versionId: r.versionId, version: r.version, percent: r.percent });
  return out;
}

/** Everything serving routes by: splits, the symbols of each model with traffic, and the per-symbol defaults. */
export interface RoutingTable {
  models: { name: string; createdAt: Date; symbols: string[]; anySymbol: boolean; split: SplitRow[] }[];
  symbolDefaults: Record<string, string>;
}

export async function routingTable(db: DbLike): Promise<RoutingTable> {
  const splits = await listSplits(db);
  const names = Object.keys(splits);
  const rows = names.length
    ? await db.select({ name: models.name, createdAt: models.createdAt, symbols: models.symbols, anySymbol: models.anySymbol }).from(models).orderBy(asc(models.createdAt), asc(models.id))
    : [];
  const defaults = await db.select().from(symbolDefaults);
  return {
    models: rows.filter((m) => splits[m.name]).map((m) => ({ ...m, symbols: m.symbols.map(normalSymbol), split: splits[m.name] })),
    symbolDefaults: Object.fromEntries(defaults.map((d) => [d.symbol, d.modelName])),
  };
}

/**
 * Symbol → model for requests that name no model: a symbol's default when set (and the model serves it), else the
 * oldest model with traffic that declares the symbol. `any` is the model for every other symbol (the symbol default
 * among any-symbol models, else the oldest), or null: then an unknown symbol is refused. Pure (tested directly).
 */
export function resolveSymbolRoutes(t: RoutingTable): { bySymbol: Map<string, string>; any: string | null } {
  const bySymbol = new Map<string, string>();
  const serves = (m: RoutingTable['models'][number], s: string) => m.anySymbol || m.symbols.includes(s);
  for (const m of t.models) for (const s of m.symbols) if (!bySymbol.has(s)) bySymbol.set(s, m.name);
  for (const [s, name] of Object.entries(t.symbolDefaults)) {
    const m = t.models.find((x) => x.name === name);
    if (m && serves(m, s)) bySymbol.set(s, name);
  }
  const anyModels = t.models.filter((m) => m.anySymbol);
  return { bySymbol, any: anyModels[0]?.name ?? null };
}

/**
 * When a model starts serving symbols that other models with traffic already serve, requests for those symbols keep
 * going to the incumbent: its default is written down (unless one is set). A new model never silently takes over a
 * symbol; an engineer moves it with `setSymbolDefault`.
 */
async function keepIncumbentDefaults(tx: DbLike, modelName: string, actor: string) {
  const [m] = await tx.select().from(models).where(eq(models.name, modelName));
  if (!m) return;
  const table = await routingTable(tx);
  for (const symbol of m.symbols.map(normalSymbol)) {
    if (table.symbolDefaults[symbol]) continue;
    const incumbent = table.models.find((o) => o.name !== modelName && (o.symbols.includes(symbol) || o.anySymbol));
    if (incumbent) await tx.insert(symbolDefaults).values({ symbol, modelName: incumbent.name, updatedBy: actor }).onConflictDoNothing();
  }
}

/**
 * Today's rule for a new version (the promotion issue replaces it with per-model policies): a model's first version
 * that passes the gate gets 100 % of its traffic. Idempotent; returns whether it changed anything.
 */
export async function applyNewVersionPolicy(db: Db, v: { modelName: string; versionId: string; status: string; actor: string }): Promise<boolean> {
  if (v.status !== 'candidate') return false;
  return db.transaction(async (tx) => {
    // Serialise with concurrent split changes of the same model.
    await tx.select({ id: models.id }).from(models).where(eq(models.name, v.modelName)).for('update');
    const existing = await tx.select({ v: trafficSplits.versionId }).from(trafficSplits).where(eq(trafficSplits.modelName, v.modelName)).limit(1);
    if (existing.length) return false;
    await keepIncumbentDefaults(tx, v.modelName, v.actor);
    await tx.insert(trafficSplits).values({ modelName: v.modelName, versionId: v.versionId, percent: 100, updatedBy: v.actor });
    await recordAudit(tx, { actor: v.actor, action: 'traffic.initial', target: v.modelName, details: { versionId: v.versionId, percent: 100 } });
    await notifyServing(tx, `initial split for ${v.modelName}`);
    return true;
  });
}

export const ZSetSplitRequest = z.object({
  model: z.string().min(1).max(200),
  split: z
    .array(z.object({ version: z.union([z.string().max(20), z.number().int()]), percent: z.number().int().min(0).max(100) }))
    .min(1, 'give at least one version')
    .max(100, 'at most 100 versions in a split'),
});

/** Replaces a model's split (percentages summing to 100; only candidate versions may get traffic). */
export async function setSplit(db: Db, input: z.input<typeof ZSetSplitRequest>, actor: string) {
  const req = ZSetSplitRequest.parse(input);
  const total = req.split.reduce((a, s) => a + s.percent, 0);
  if (total !== 100) throw badRequest(`split: percentages must sum to 100, got ${total}`, { field: 'split' });
  return db.transaction(async (tx) => {
    const [m] = await tx.select().from(models).where(eq(models.name, req.model)).for('update');
    if (!m) throw notFound(`No model named '${req.model}'.`);
    const rows = [];
    const seen = new Set<number>();
    for (const s of req.split) {
      const n = parseVersionLabel(s.version);
      if (seen.has(n)) throw badRequest(`split: v${n} is listed twice`, { field: 'split' });
      seen.add(n);
      const [v] = await tx.select().from(modelVersions).where(and(eq(modelVersions.modelId, m.id), eq(modelVersions.version, n)));
      if (!v) throw notFound(`Model '${req.model}' has no version v${n}.`);
      if (s.percent > 0 && v.status !== 'candidate') throw new DomainError('CONFLICT', `${req.model} v${n} is ${v.status}; only candidate versions get traffic.`);
      if (s.percent > 0) rows.push({ modelName: req.model, versionId: v.id, percent: s.percent, updatedBy: actor });
    }
    await keepIncumbentDefaults(tx, req.model, actor);
    await tx.delete(trafficSplits).where(eq(trafficSplits.modelName, req.model));
    await tx.insert(trafficSplits).values(rows);
    await recordAudit(tx, { actor, action: 'traffic.set', target: req.model, details: { split: req.split } });
    await notifyServing(tx, `split of ${req.model} changed`);
    return getSplit(tx, req.model);
  });
}

export const ZSetModelSymbolsRequest = z.object({
  model: z.string().min(1).max(200),
  /** The full list of symbols the model serves (replaces the current list). */
  symbols: z.array(ZSymbol).max(500, 'at most 500 symbols').optional(),
  /** Serve every symbol (inputs are scale-free; decide this only for a model that generalises across markets). */
  anySymbol: z.boolean().optional(),
});

/** Sets which symbols a model serves. A model must serve at least one symbol or any symbol. */
export async function setModelSymbols(db: Db, input: z.input<typeof ZSetModelSymbolsRequest>, actor: string) {
  const req = ZSetModelSymbolsRequest.parse(input);
  if (req.symbols === undefined && req.anySymbol === undefined) throw badRequest('symbols: give symbols, anySymbol or both', { field: 'symbols' });
  return db.transaction(async (tx) => {
    const [m] = await tx.select().from(models).where(eq(models.name, req.model)).for('update');
    if (!m) throw notFound(`No model named '${req.model}'.`);
    const symbols = req.symbols ? [...new Set(req.symbols.map(normalSymbol))].sort() : m.symbols;
    const anySymbol = req.anySymbol ?? m.anySymbol;
    if (!symbols.length && !anySymbol) throw badRequest('symbols: a model must serve at least one symbol (or set anySymbol)', { field: 'symbols' });
    await tx.update(models).set({ symbols }).where(eq(models.id, m.id));
    await keepIncumbentDefaults(tx, req.model, actor);
    const [row] = await tx.update(models).set({ anySymbol }).where(eq(models.id, m.id)).returning({ name: models.name, symbols: models.symbols, anySymbol: models.anySymbol });
    await recordAudit(tx, { actor, action: 'model.symbols', target: req.model, details: { from: { symbols: m.symbols, anySymbol: m.anySymbol }, to: { symbols, anySymbol } } });
    await notifyServing(tx, `symbols of ${req.model} changed`);
    return row;
  });
}

export const ZSetSymbolDefaultRequest = z.object({
  symbol: ZSymbol,
  /** The model that answers this symbol when a request names no model; null removes the default. */
  model: z.string().min(1).max(200).nullable(),
});

/** Chooses the model that answers a symbol when several serve it. */
export async function setSymbolDefault(db: Db, input: z.input<typeof ZSetSymbolDefaultRequest>, actor: string) {
  const req = ZSetSymbolDefaultRequest.parse(input);
  const symbol = normalSymbol(req.symbol);
  return db.transaction(async (tx) => {
    if (req.model === null) {
      await tx.delete(symbolDefaults).where(eq(symbolDefaults.symbol, symbol));
    } else {
      const [m] = await tx.select().from(models).where(eq(models.name, req.model));
      if (!m) throw notFound(`No model named '${req.model}'.`);
      if (!m.anySymbol && !m.symbols.map(normalSymbol).includes(symbol)) {
        throw new DomainError('CONFLICT', `Model '${req.model}' does not serve ${symbol} (it serves ${m.symbols.join(', ') || 'no symbol'}); add the symbol to the model first.`);
      }
      await tx
        .insert(symbolDefaults)
        .values({ symbol, modelName: req.model, updatedBy: actor })
        .onConflictDoUpdate({ target: symbolDefaults.symbol, set: { modelName: req.model, updatedBy: actor, updatedAt: new Date() } });
    }
    await recordAudit(tx, { actor, action: 'symbol.default', target: symbol, details: { model: req.model } });
    await notifyServing(tx, `default model of ${symbol} changed`);
    return { symbol, model: req.model };
  });
}
