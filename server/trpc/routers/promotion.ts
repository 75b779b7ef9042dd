import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, promoterProcedure, type Assert, type SameShape } from '../init';
import { listSplits, routingTable, resolveSymbolRoutes, setModelSymbols, setSymbolDefault, ZSetModelSymbolsRequest, ZSetSymbolDefaultRequest } from '../../promotion/traffic';
import {
  setSplit,
  promote,
  setAlias,
  removeAlias,
  setPolicy,
  setShadow,
  canaryStart,
  canaryControl,
  rollback,
  history,
  promotionView,
  promotionOverview,
  ZSetSplitRequest,
  ZPromoteRequest,
  ZSetAliasRequest,
  ZRemoveAliasRequest,
  ZSetPolicyRequest,
  ZSetShadowRequest,
  ZCanaryStartRequest,
  ZCanaryControlRequest,
  ZRollbackRequest,
  ZHistoryRequest,
} from '../../promotion/actions';
import { shadowSummary, ZShadowSummaryRequest } from '../../promotion/shadow';
import { canaryChecks } from '../../promotion/canary';
import { CANARY_STATUSES, ZAutomaticReason, ZPromotionSnapshot } from '../../promotion/shapes';

/** Model name → its traffic split (version id, number, percent), oldest version first. */
export const ZListSplitsResponse = z.record(z.string(), z.array(z.object({ versionId: z.string(), version: z.number().int(), percent: z.number().int() })));
type _Splits = Assert<SameShape<z.output<typeof ZListSplitsResponse>, Awaited<ReturnType<typeof listSplits>>>>;

const ZRoutes = z.object({
  models: z.array(z.object({ name: z.string(), symbols: z.array(z.string()), anySymbol: z.boolean(), split: z.array(z.object({ version: z.number().int(), percent: z.number().int() })) })),
  /** Symbol → the model that answers it when a request names no model. */
  symbols: z.record(z.string(), z.string()),
  /** The model for any other symbol, or null (then an unknown symbol is a 404). */
  anySymbol: z.string().nullable(),
  /** Defaults an engineer (or the incumbent rule) wrote down. */
  symbolDefaults: z.record(z.string(), z.string()),
});

/** What every change answers: the new revision and state, whether anything changed, its history entry. */
export const ZChangeResponse = z.object({ revision: z.number().int(), snapshot: ZPromotionSnapshot, changed: z.boolean(), historyId: z.number().int().nullable(), message: z.string().optional() });
type _Change = Assert<SameShape<z.output<typeof ZChangeResponse>, Awaited<ReturnType<typeof setSplit>>>>;

export const ZPromotionViewResponse = z.object({
  model: z.string(),
  revision: z.number().int(),
  updatedAt: z.date().nullable(),
  updatedBy: z.string().nullable(),
  snapshot: ZPromotionSnapshot,
  champion: z.number().int().nullable(),
  versions: z.array(
    z.object({
      versionId: z.string(),
      version: z.number().int(),
      status: z.string(),
      modelType: z.string(),
      createdAt: z.date(),
      accuracy: z.number().nullable(),
      macroF1: z.number().nullable(),
      winRate: z.number().nullable(),
      percent: z.number().int(),
      aliases: z.array(z.string()),
      shadow: z.boolean(),
    }),
  ),
});
type _View = Assert<SameShape<z.output<typeof ZPromotionViewResponse>, Awaited<ReturnType<typeof promotionView>>>>;

export const ZOverviewResponse = z.array(
  z.object({
    model: z.string(),
    revision: z.number().int(),
    champion: z.number().int().nullable(),
    split: z.array(z.object({ version: z.number().int(), percent: z.number().int() })),
    canary: z.object({ version: z.number().int(), status: z.enum(CANARY_STATUSES), step: z.number().int(), percent: z.number().int() }).nullable(),
    shadow: z.object({ version: z.number().int(), sample: z.number() }).nullable(),
    versions: z.number().int(),
    candidates: z.number().int(),
  }),
);
type _Overview = Assert<SameShape<z.output<typeof ZOverviewResponse>, Awaited<ReturnType<typeof promotionOverview>>>>;

export const ZHistoryResponse = z.array(
  z.object({
    id: z.number().int(),
    revision: z.number().int(),
    at: z.date(),
    actor: z.string(),
    action: z.string(),
    comment: z.string().nullable(),
    automatic: ZAutomaticReason.nullable(),
    before: ZPromotionSnapshot,
    after: ZPromotionSnapshot,
  }),
);
type _History = Assert<SameShape<z.output<typeof ZHistoryResponse>, Awaited<ReturnType<typeof history>>>>;

export const ZShadowSummaryResponse = z.object({
  model: z.string(),
  from: z.number(),
  to: z.number(),
  stepSeconds: z.number(),
  pairs: z.array(
    z.object({
      version: z.number().int(),
      primaryVersion: z.number().int(),
      requests: z.number().int(),
      errors: z.number().int(),
      agreement: z.number().nullable(),
      agreementCi: z.tuple([z.number(), z.number()]).nullable(),
      meanConfidenceDiff: z.number().nullable(),
      meanAbsConfidenceDiff: z.number().nullable(),
      avgLatencyMs: z.number().nullable(),
      p95LatencyMs: z.number().nullable(),
      classes: z.object({ SELL: z.number().int(), HOLD: z.number().int(), BUY: z.number().int() }),
      primaryClasses: z.object({ SELL: z.number().int(), HOLD: z.number().int(), BUY: z.number().int() }),
      points: z.array(z.object({ t: z.number(), requests: z.number().int(), agreement: z.number().nullable(), meanConfidenceDiff: z.number().nullable() })),
    }),
  ),
});
type _Shadow = Assert<SameShape<z.output<typeof ZShadowSummaryResponse>, Awaited<ReturnType<typeof shadowSummary>>>>;

export const ZCanaryChecksResponse = z.array(z.object({ id: z.string(), description: z.string(), unit: z.string(), builtIn: z.boolean() }));

const ZModelInput = z.strictObject({ model: z.string().min(1).max(200) });

/**
 * Who gets traffic and how it changes: splits with revisions, aliases (champion), new-version policies, canary,
 * shadow, history and rollback; plus the symbols each model serves. Analysts and `read` keys read; engineers and
 * `promote` (or `train`) keys change; every change needs a comment and lands in the history.
 */
export const promotionRouter = router({
  overview: viewerProcedure.output(ZOverviewResponse).query(({ ctx }) => promotionOverview(ctx.db)),
  state: viewerProcedure.input(ZModelInput).output(ZPromotionViewResponse).query(({ ctx, input }) => promotionView(ctx.db, input.model)),
  history: viewerProcedure.input(ZHistoryRequest).output(ZHistoryResponse).query(({ ctx, input }) => history(ctx.db, input)),
  shadow: viewerProcedure.input(ZShadowSummaryRequest).output(ZShadowSummaryResponse).query(({ ctx, input }) => shadowSummary(ctx.db, input)),
  canaryChecks: viewerProcedure.output(ZCanaryChecksResponse).query(() => canaryChecks()),
  splits: viewerProcedure.output(ZListSplitsResponse).query(({ ctx }) => listSplits(ctx.db)),

  setSplit: promoterProcedure.input(ZSetSplitRequest).output(ZChangeResponse).mutation(({ ctx, input }) => setSplit(ctx.db, input, ctx.actor)),
  promote: promoterProcedure.input(ZPromoteRequest).output(ZChangeResponse).mutation(({ ctx, input }) => promote(ctx.db, input, ctx.actor)),
  setAlias: promoterProcedure.input(ZSetAliasRequest).output(ZChangeResponse).mutation(({ ctx, input }) => setAlias(ctx.db, input, ctx.actor)),
  removeAlias: promoterProcedure.input(ZRemoveAliasRequest).output(ZChangeResponse).mutation(({ ctx, input }) => removeAlias(ctx.db, input, ctx.actor)),
  setPolicy: promoterProcedure.input(ZSetPolicyRequest).output(ZChangeResponse).mutation(({ ctx, input }) => setPolicy(ctx.db, input, ctx.actor)),
  setShadow: promoterProcedure.input(ZSetShadowRequest).output(ZChangeResponse).mutation(({ ctx, input }) => setShadow(ctx.db, input, ctx.actor)),
  rollback: promoterProcedure.input(ZRollbackRequest).output(ZChangeResponse).mutation(({ ctx, input }) => rollback(ctx.db, input, ctx.actor)),
  canary: router({
    start: promoterProcedure.input(ZCanaryStartRequest).output(ZChangeResponse).mutation(({ ctx, input }) => canaryStart(ctx.db, input, ctx.actor)),
    pause: promoterProcedure.input(ZCanaryControlRequest).output(ZChangeResponse).mutation(({ ctx, input }) => canaryControl(ctx.db, 'pause', input, ctx.actor)),
    resume: promoterProcedure.input(ZCanaryControlRequest).output(ZChangeResponse).mutation(({ ctx, input }) => canaryControl(ctx.db, 'resume', input, ctx.actor)),
    abort: promoterProcedure.input(ZCanaryControlRequest).output(ZChangeResponse).mutation(({ ctx, input }) => canaryControl(ctx.db, 'abort', input, ctx.actor)),
  }),

  /** Symbol → model, as serving resolves it. */
  routes: viewerProcedure.output(ZRoutes).query(async ({ ctx }) => {
    const t = await routingTable(ctx.db);
    const r = resolveSymbolRoutes(t);
    return {
      models: t.models.map((m) => ({ name: m.name, symbols: m.symbols, anySymbol: m.anySymbol, split: m.split.map((s) => ({ version: s.version, percent: s.percent })) })),
      symbols: Object.fromEntries(r.bySymbol),
      anySymbol: r.any,
      symbolDefaults: t.symbolDefaults,
    };
  }),
  setSymbols: engineerProcedure.input(ZSetModelSymbolsRequest).mutation(({ ctx, input }) => setModelSymbols(ctx.db, input, ctx.actor)),
  setSymbolDefault: engineerProcedure.input(ZSetSymbolDefaultRequest).mutation(({ ctx, input }) => setSymbolDefault(ctx.db, input, ctx.actor)),
});
