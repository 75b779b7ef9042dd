/**
 * Promotion owns who gets traffic: each model's traffic split (version → percent), which symbols each model serves,
 * and which model answers a symbol when several serve it. Serving reads this state (and reloads on NOTIFY); training
 * never writes it — a newly registered version is handed to `applyNewVersionPolicy` (actions.ts) by the job that
 * trained it. Splits, aliases, policies, canary and shadow change through actions.ts (each change with its history).
 */
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbLike } from '../db/client';
import { trafficSplits, modelVersions, models, symbolDefaults, modelAliases, promotionStates } from '../../drizzle/schema';
import type { ShadowState, VersionRef } from './shapes';
import { DomainError, badRequest, notFound } from '../errors';
import { recordAudit } from '../auth/audit';
import { notifyServing } from '../db/notify';
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

/**
 * Everything serving routes by: splits, the symbols of each model with traffic, its aliases (a request may pin one)
 * and shadow, and the per-symbol defaults.
 */
export interface RoutingTable {
  models: { name: string; createdAt: Date; symbols: string[]; anySymbol: boolean; split: SplitRow[]; aliases: Record<string, VersionRef>; shadow: ShadowState | null }[];
  symbolDefaults: Record<string, string>;
}

export async function routingTable(db: DbLike): Promise<RoutingTable> {
  const splits = await listSplits(db);
  const names = Object.keys(splits);
  const rows = names.length
    ? await db.select({ name: models.name, createdAt: models.createdAt, symbols: models.symbols, anySymbol: models.anySymbol }).from(models).orderBy(asc(models.createdAt), asc(models.id))
    : [];
  const defaults = await db.select().from(symbolDefaults);
  const aliasRows = names.length
    ? await db
        .select({ modelName: modelAliases.modelName, alias: modelAliases.alias, versionId: modelAliases.versionId, version: modelVersions.version })
        .from(modelAliases)
        .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    : [];
  const aliases: Record<string, Record<string, VersionRef>> = {};
  for (const a of aliasRows) (aliases[a.modelName] ??= {})[a.alias] = { versionId: a.versionId, version: a.version };
  const shadows = names.length ? await db.select({ modelName: promotionStates.modelName, shadow: promotionStates.shadow }).from(promotionStates) : [];
  const shadowOf = new Map(shadows.filter((x) => x.shadow).map((x) => [x.modelName, x.shadow]));
  return {
    models: rows
      .filter((m) => splits[m.name])
      .map((m) => ({ ...m, symbols: m.symbols.map(normalSymbol), split: splits[m.name], aliases: aliases[m.name] ?? {}, shadow: shadowOf.get(m.name) ?? null })),
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
export async function keepIncumbentDefaults(tx: DbLike, modelName: string, actor: string) {
  const [m] = await tx.select().from(models).where(eq(models.name, modelName));
  if (!m) return;
  const table = await routingTable(tx);
  for (const symbol of m.symbols.map(normalSymbol)) {
    if (table.symbolDefaults[symbol]) continue;
    const incumbent = table.models.find((o) => o.name !== modelName && (o.symbols.includes(symbol) || o.anySymbol));
    if (incumbent) await tx.insert(symbolDefaults).values({ symbol, modelName: incumbent.name, updatedBy: actor }).onConflictDoNothing();
  }
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
    const [prev] = await tx.select({ model: symbolDefaults.modelName }).from(symbolDefaults).where(eq(symbolDefaults.symbol, symbol));
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
    await recordAudit(tx, { actor, action: 'symbol.default', target: symbol, details: { model: req.model, from: { model: prev?.model ?? null }, to: { model: req.model } } });
    await notifyServing(tx, `default model of ${symbol} changed`);
    return { symbol, model: req.model };
  });
}
