/**
 * Canary analysis: at the end of each step a worker (one per due canary across every worker: the model row is
 * taken FOR UPDATE SKIP LOCKED) reads the canary version's monitoring roll-ups over the step and evaluates the
 * checks — error rate, p99 latency, a minimum number of requests, and pluggable checks registered by other domain
 * folders (`registerCanaryCheck`, e.g. live accuracy against the champion). The verdict is a pure transition
 * (state.ts `withCanaryEvaluation`): next step, promotion, hold, or rollback after `threshold` failures — recorded
 * in the history with the figures.
 */
import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, DbLike } from '../db/client';
import { config } from '../config';
import { readSeries, figures, emptyCounts, addCounts, type Figures } from '../monitoring/query';
import { changeModel, loadModel } from './store';
import { withCanaryEvaluation, type CanaryOutcome } from './state';
import { outcomesInWindow } from '../outcomes/live';
import type { CanaryState, CheckResult, VersionRef } from './shapes';
import { OutageLog } from '../db/outage-log';

export interface CanaryCheckContext {
  db: Db;
  model: string;
  canary: VersionRef;
  champion: VersionRef;
  /** The step's window, epoch ms. */
  from: number;
  to: number;
  /** When the canary started (epoch ms). */
  canaryStartedAt: number;
  /** Figures of the canary and the champion over the window (from the roll-ups, every replica). */
  canaryFigures: Figures;
  championFigures: Figures;
  params: Record<string, unknown>;
}

export interface CanaryCheckDef {
  id: string;
  description: string;
  unit: string;
  params: z.ZodType<Record<string, unknown>>;
  evaluate(ctx: CanaryCheckContext): Promise<Omit<CheckResult, 'id' | 'description' | 'unit'>>;
}

const CHECKS = new Map<string, CanaryCheckDef>();

/** Adds a check a canary config may name in `extraChecks` (e.g. the drift folder's live-accuracy check). */
export function registerCanaryCheck(def: CanaryCheckDef): void {
  if (CHECKS.has(def.id) && CHECKS.get(def.id) !== def) throw new Error(`canary check '${def.id}' is already registered`);
  CHECKS.set(def.id, def);
}

const BUILT_IN = [
  { id: 'error_rate', description: 'share of the canary’s requests answered with a 4xx or 5xx over the step', unit: '%' },
  { id: 'latency_p99', description: '99th percentile latency of the canary over the step, every replica', unit: 'ms' },
  { id: 'min_requests', description: 'requests the canary answered during the step (too few: no evidence, the check fails)', unit: 'requests' },
];

export function canaryChecks() {
  return [...BUILT_IN.map((c) => ({ ...c, builtIn: true })), ...[...CHECKS.values()].map((c) => ({ id: c.id, description: c.description, unit: c.unit, builtIn: false }))];
}

registerCanaryCheck({
  id: 'error_rate_vs_champion',
  description: 'the canary’s error rate minus the champion’s over the same step (percentage points); needs traffic on both',
  unit: 'pp',
  params: z.strictObject({ marginPct: z.number().min(0).max(100).default(0.5) }),
  async evaluate(ctx) {
    const margin = Number(ctx.params.marginPct ?? 0.5);
    const a = ctx.canaryFigures.errorRate;
    const b = ctx.championFigures.errorRate;
    if (a === null || b === null) return { value: null, limit: margin, passed: false, detail: 'no requests on the canary or the champion in this step' };
    const diff = (a - b) * 100;
    return { value: diff, limit: margin, passed: diff <= margin, detail: `canary ${(a * 100).toFixed(2)} % vs champion ${(b * 100).toFixed(2)} %` };
  },
});

registerCanaryCheck({
  id: 'outcome_vs_champion',
  description:
    'live accuracy of the canary minus the champion’s on outcomes of bars predicted since the canary started (percentage points): fails when the canary is significantly worse beyond marginPct (the upper end of its 95 % interval below −marginPct); with fewer than minOutcomes each it passes, or fails with requireOutcomes',
  unit: 'pp',
  params: z.strictObject({ marginPct: z.number().min(0).max(100).default(2), minOutcomes: z.number().int().min(1).max(1_000_000).default(30), requireOutcomes: z.boolean().default(false) }),
  async evaluate(ctx) {
    const margin = Number(ctx.params.marginPct ?? 2);
    const min = Number(ctx.params.minOutcomes ?? 30);
    // Outcomes lag by the label horizon: count every bar predicted since the canary started, not only this step.
    const start = ctx.canaryStartedAt;
    const [a, b] = await Promise.all([outcomesInWindow(ctx.db, ctx.model, ctx.canary.version, start, ctx.to), outcomesInWindow(ctx.db, ctx.model, ctx.champion.version, start, ctx.to)]);
    if (a.n < min || b.n < min) {
      const required = ctx.params.requireOutcomes === true;
      return { value: null, limit: -margin, passed: !required, detail: `${a.n} canary and ${b.n} champion outcomes so far (need ${min} each)${required ? '' : '; not required'}` };
    }
    const pa = a.correct / a.n;
    const pb = b.correct / b.n;
    const diff = (pa - pb) * 100;
    const se = Math.sqrt((pa * (1 - pa)) / a.n + (pb * (1 - pb)) / b.n) * 100;
    const upper = diff + 1.959964 * se;
    return { value: diff, limit: -margin, passed: upper >= -margin, detail: `canary ${(pa * 100).toFixed(1)} % of ${a.n} vs champion ${(pb * 100).toFixed(1)} % of ${b.n}; 95 % interval of the difference ${(diff - 1.959964 * se).toFixed(1)} … ${upper.toFixed(1)} pp` };
  },
});

/** Roll-up figures of one version over [from, to). */
export async function versionFigures(db: DbLike, model: string, version: number, from: number, to: number): Promise<Figures> {
  const rows = await readSeries(db, { from, to, stepSeconds: Math.max(10, Math.ceil((to - from) / 1000)), sourceInterval: 10, model });
  const c = emptyCounts();
  for (const r of rows) if (r.version === version) addCounts(c, r);
  return figures(c);
}

/** Every check of the canary's config over the current step, at `now`. */
export async function evaluateCanaryChecks(db: Db, model: string, c: CanaryState, now: number): Promise<CheckResult[]> {
  const from = Date.parse(c.stepStartedAt);
  const [cf, chf] = await Promise.all([versionFigures(db, model, c.version.version, from, now), versionFigures(db, model, c.champion.version, from, now)]);
  const cfg = c.config;
  const errPct = cf.errorRate === null ? null : cf.errorRate * 100;
  const out: CheckResult[] = [
    { ...BUILT_IN[2], value: cf.requests, limit: cfg.minRequests, passed: cf.requests >= cfg.minRequests },
    {
      ...BUILT_IN[0],
      value: errPct,
      limit: cfg.maxErrorRatePct,
      passed: errPct !== null && errPct <= cfg.maxErrorRatePct,
      detail: `${cf.errors} of ${cf.requests} requests failed`,
    },
    { ...BUILT_IN[1], value: cf.p99Ms, limit: cfg.maxP99Ms, passed: cf.p99Ms !== null && cf.p99Ms <= cfg.maxP99Ms },
  ];
  for (const x of cfg.extraChecks) {
    const def = CHECKS.get(x.id);
    if (!def) {
      out.push({ id: x.id, description: 'unknown check (not registered in this process)', unit: '', value: null, limit: 0, passed: false });
      continue;
    }
    const params = def.params.safeParse(x.params);
    if (!params.success) {
      out.push({ id: x.id, description: def.description, unit: def.unit, value: null, limit: 0, passed: false, detail: `bad params: ${params.error.issues[0]?.message}` });
      continue;
    }
    try {
      const r = await def.evaluate({ db, model, canary: c.version, champion: c.champion, from, to: now, canaryStartedAt: Date.parse(c.startedAt), canaryFigures: cf, championFigures: chf, params: params.data });
      out.push({ id: x.id, description: def.description, unit: def.unit, ...r });
    } catch (e) {
      out.push({ id: x.id, description: def.description, unit: def.unit, value: null, limit: 0, passed: false, detail: `check failed to run: ${(e as Error).message}` });
    }
  }
  return out;
}

const ACTION: Record<CanaryOutcome, 'canary.step' | 'canary.promote' | 'canary.rollback'> = { step: 'canary.step', hold: 'canary.step', promote: 'canary.promote', rollback: 'canary.rollback' };

/**
 * Evaluates every canary whose step is due. Safe to run on every worker at once: each due model is evaluated by
 * the one worker that gets its row lock; the others skip it.
 */
export async function canaryTick(db: Db, log: Logger, now = Date.now()): Promise<{ model: string; outcome: CanaryOutcome; message: string }[]> {
  const due = await db.$client.query<{ model_name: string }>(
    `select model_name from promotion_states
     where canary->>'status' = 'running' and (canary->>'nextCheckAt')::timestamptz <= to_timestamp($1 / 1000.0)
     order by model_name`,
    [now],
  );
  const out: { model: string; outcome: CanaryOutcome; message: string }[] = [];
  for (const { model_name: model } of due.rows) {
    try {
      const r = await db.transaction(async (tx) => {
        // Another worker evaluating this model holds its row: skip it.
        const locked = await tx.execute(sql`select 1 from models where name = ${model} for update skip locked`);
        if (!locked.rows.length) return null;
        const m = await loadModel(tx, model, true);
        const c = m.snapshot.canary;
        if (!c || c.status !== 'running' || !c.nextCheckAt || Date.parse(c.nextCheckAt) > now) return null;
        const checks = await evaluateCanaryChecks(db, model, c, now); // roll-ups are read on the pool (raw SQL), outside the lock
        const t = withCanaryEvaluation(m.snapshot, model, checks, now);
        await changeModel(
          db,
          model,
          { actor: 'canary', action: ACTION[t.outcome], automatic: { rule: `canary.${t.outcome}`, message: t.message, figures: { step: c.step, percent: c.config.steps[c.step], checks } } },
          () => t,
          { tx },
        );
        return { model, outcome: t.outcome, message: t.message };
      });
      if (r) {
        out.push(r);
        log.info({ model, outcome: r.outcome }, r.message);
      }
    } catch (e) {
      log.warn({ model, err: (e as Error).message }, 'canary evaluation failed');
    }
  }
  return out;
}

export interface PromotionLoop {
  stop(): Promise<void>;
}

/** The worker's canary loop: every CANARY_TICK_SECONDS. */
export function startPromotionLoop(db: Db, log: Logger, opts: { everyMs?: number } = {}): PromotionLoop {
  const every = opts.everyMs ?? config().CANARY_TICK_SECONDS * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const outage = new OutageLog(log, 'a canary tick');
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = canaryTick(db, log)
        .then(() => outage.ok(), (e: unknown) => outage.failed(e))
        .finally(schedule);
    }, every);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
