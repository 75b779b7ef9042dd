import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, type Assert, type SameShape } from '../init';
import {
  listSplits,
  setSplit,
  routingTable,
  resolveSymbolRoutes,
  setModelSymbols,
  setSymbolDefault,
  ZSetSplitRequest,
  ZSetModelSymbolsRequest,
  ZSetSymbolDefaultRequest,
} from '../../promotion/traffic';

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

/** Who gets traffic: splits, the symbols each model serves, per-symbol defaults. Engineers change, viewers read. */
export const promotionRouter = router({
  splits: viewerProcedure.output(ZListSplitsResponse).query(({ ctx }) => listSplits(ctx.db)),
  setSplit: engineerProcedure.input(ZSetSplitRequest).mutation(({ ctx, input }) => setSplit(ctx.db, input, ctx.actor)),
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
