/**
 * The promotion state of one model, as data: its split, aliases (champion, challenger, …), new-version policy,
 * shadow and canary. Every change is a pure transition from one `PromotionSnapshot` to the next (state.ts), written in
 * one transaction with an append-only history row holding both (store.ts). These zod schemas validate input and
 * type the jsonb columns (drizzle/schema/shapes.ts imports the types).
 */
import { z } from 'zod';

export const ALIAS_RE = /^[a-z][a-z0-9_-]{0,31}$/;
export const ZAliasName = z.string().regex(ALIAS_RE, "alias: lower-case letters, digits, '_' or '-', starting with a letter (e.g. 'challenger')");
export const CHAMPION = 'champion';

export const ZVersionRef = z.object({ versionId: z.string(), version: z.number().int() });
export type VersionRef = z.infer<typeof ZVersionRef>;

const pct = () => z.number({ error: 'must be a number' }).int('must be a whole percent').min(0, 'must be ≥ 0').max(100, 'must be ≤ 100');

/** Canary settings (Flagger's stepWeights / interval / threshold, with SignalOps's checks). */
export const ZCanaryConfig = z.strictObject({
  /** Traffic percent of each step, strictly increasing; after the last step passes the version becomes champion. */
  steps: z
    .array(pct().min(1, 'steps[] must be ≥ 1'))
    .min(1, 'give at least one step')
    .max(20, 'at most 20 steps')
    .refine((s) => s.every((x, i) => i === 0 || x > s[i - 1]), 'must be strictly increasing (e.g. 10, 25, 50, 100)')
    .default([10, 25, 50, 100]),
  /** Seconds each step runs before its checks are evaluated. */
  intervalSeconds: z.number().int().min(10, 'intervalSeconds must be at least 10').max(7 * 86_400, 'intervalSeconds must be at most 7 days').default(300),
  /** Failed checks (counted over the whole canary) that roll it back. */
  threshold: z.number().int().min(1, 'threshold must be at least 1').max(100, 'threshold must be at most 100').default(2),
  /** Checks at each step, on the canary version's roll-ups over the step. */
  maxErrorRatePct: z.number().min(0).max(100).default(1),
  maxP99Ms: z.number().min(1).max(600_000).default(1000),
  /** Fewer requests than this in a step fails the step's checks (no evidence, no promotion). */
  minRequests: z.number().int().min(1).max(10_000_000).default(50),
  /** Pluggable checks by id (canary.ts `registerCanaryCheck`), with their parameters. */
  extraChecks: z
    .array(z.strictObject({ id: z.string().min(1).max(64), params: z.record(z.string(), z.unknown()).default({}) }))
    .max(20)
    .default([]),
});
export type CanaryConfig = z.output<typeof ZCanaryConfig>;

/** What happens to a new version that passes the gate (replaces "the first candidate gets 100 %"). */
export const ZNewVersionPolicy = z.strictObject({
  /** none: registered only; shadow: mirrored traffic; fixed: `percent` of traffic (the trading team's 10 %); canary: stepped. */
  mode: z.enum(['none', 'shadow', 'fixed', 'canary']).default('fixed'),
  percent: pct().min(1, 'percent must be ≥ 1').max(99, 'percent must be ≤ 99 (100 % is a promotion)').default(10),
  /** Share of requests mirrored to a shadow (0 < x ≤ 1). */
  shadowSample: z.number().gt(0, 'shadowSample must be > 0').max(1, 'shadowSample must be ≤ 1').default(1),
  canary: ZCanaryConfig.optional(),
  /** A model's first version that passes the gate becomes champion with 100 %. */
  firstBecomesChampion: z.boolean().default(true),
  /**
   * Promote a challenger with traffic to champion once it is significantly better than the champion on live outcomes
   * (the always-valid mSPRT of server/outcomes/live.ts, checked after each outcome job). Off by default.
   */
  autoPromote: z
    .strictObject({ enabled: z.boolean().default(false), metric: z.enum(['accuracy', 'return']).default('accuracy'), alpha: z.number().gt(0).max(0.2).default(0.05) })
    .default({ enabled: false, metric: 'accuracy', alpha: 0.05 }),
});
export type NewVersionPolicy = z.output<typeof ZNewVersionPolicy>;
export const DEFAULT_POLICY: NewVersionPolicy = ZNewVersionPolicy.parse({});

export const ZShadowState = ZVersionRef.extend({ sample: z.number() });
export type ShadowState = z.infer<typeof ZShadowState>;

export const ZCheckResult = z.object({
  id: z.string(),
  description: z.string(),
  /** The figure (null = no data), the limit and the verdict. */
  value: z.number().nullable(),
  limit: z.number(),
  unit: z.string(),
  passed: z.boolean(),
  detail: z.string().optional(),
});
export type CheckResult = z.infer<typeof ZCheckResult>;

export const CANARY_STATUSES = ['running', 'paused', 'promoted', 'rolled_back', 'aborted'] as const;
export const ZCanaryState = z.object({
  version: ZVersionRef,
  /** The champion when the canary started (what a rollback returns to). */
  champion: ZVersionRef,
  config: ZCanaryConfig,
  status: z.enum(CANARY_STATUSES),
  /** Index into config.steps. */
  step: z.number().int(),
  stepStartedAt: z.string(),
  /** When this step's checks are due (null while paused or finished). */
  nextCheckAt: z.string().nullable(),
  failedChecks: z.number().int(),
  /** One entry per evaluated step (the latest last; at most 50). */
  evaluations: z.array(z.object({ at: z.string(), step: z.number().int(), percent: z.number().int(), passed: z.boolean(), checks: z.array(ZCheckResult) })),
  startedAt: z.string(),
  startedBy: z.string(),
  endedAt: z.string().nullable(),
  /** Why it ended (rolled back: the failing figures; aborted: who). */
  endReason: z.string().nullable(),
});
export type CanaryState = z.infer<typeof ZCanaryState>;

export const ZSplitEntry = ZVersionRef.extend({ percent: z.number().int() });
export type SplitEntryRef = z.infer<typeof ZSplitEntry>;

/** Everything promotion decides for one model. */
export const ZPromotionSnapshot = z.object({
  split: z.array(ZSplitEntry),
  aliases: z.record(z.string(), ZVersionRef),
  policy: ZNewVersionPolicy,
  shadow: ZShadowState.nullable(),
  canary: ZCanaryState.nullable(),
});
export type PromotionSnapshot = z.infer<typeof ZPromotionSnapshot>;

/** Why an automatic change happened: the rule and its figures. */
export const ZAutomaticReason = z.object({ rule: z.string(), figures: z.record(z.string(), z.unknown()).optional(), message: z.string() });
export type AutomaticReason = z.infer<typeof ZAutomaticReason>;

export const HISTORY_ACTIONS = [
  'split',
  'promote',
  'alias.set',
  'alias.remove',
  'policy',
  'shadow.set',
  'shadow.stop',
  'canary.start',
  'canary.step',
  'canary.pause',
  'canary.resume',
  'canary.abort',
  'canary.promote',
  'canary.rollback',
  'new_version',
  'rollback',
  'migrated',
] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];
