import { z } from 'zod';
import { router, viewerProcedure } from '../init';
import { livePerformance, outcomeAb, ZLiveRequest, ZOutcomeAbRequest } from '../../outcomes/live';

/** How served signals turned out (read: analysts and up, `read` keys). Shapes are the domain functions' own. */
export const outcomesRouter = router({
  /** Per version: live accuracy, macro-F1, win rate and return after costs with intervals, per day, vs promised. */
  live: viewerProcedure.input(ZLiveRequest).output(z.custom<Awaited<ReturnType<typeof livePerformance>>>()).query(({ ctx, input }) => livePerformance(ctx.db, input)),
  /** B vs A on outcomes with an always-valid test (mSPRT): verdict, p-value, outcomes still needed. */
  ab: viewerProcedure.input(ZOutcomeAbRequest).output(z.custom<Awaited<ReturnType<typeof outcomeAb>>>()).query(({ ctx, input }) => outcomeAb(ctx.db, input)),
});
