/**
 * The Promotion page's form logic as pure functions (tested in forms.test.ts): canary settings and the new-version
 * policy as editable text and back, and telling a stale-revision conflict (409 with the current state) from other
 * errors. The server validates everything again; these checks only say early what it would say.
 */
import type { CanaryConfig, CanaryConfigInput, Policy, PolicyInput, Snapshot } from './types';

/** The server's defaults (server/promotion/shapes.ts), shown when a policy has no canary settings yet. */
export const CANARY_DEFAULTS: CanaryConfig = { steps: [10, 25, 50, 100], intervalSeconds: 300, threshold: 2, maxErrorRatePct: 1, maxP99Ms: 1000, minRequests: 50, extraChecks: [] };

export interface CanaryDraft {
  steps: string;
  intervalSeconds: string;
  threshold: string;
  maxErrorRatePct: string;
  maxP99Ms: string;
  minRequests: string;
  /** Pluggable checks by id, with the parameters they had (new ones take the check's defaults). */
  extraChecks: { id: string; params: Record<string, unknown> }[];
}

export function canaryDraftOf(c: CanaryConfig | undefined): CanaryDraft {
  const x = c ?? CANARY_DEFAULTS;
  return {
    steps: x.steps.join(', '),
    intervalSeconds: String(x.intervalSeconds),
    threshold: String(x.threshold),
    maxErrorRatePct: String(x.maxErrorRatePct),
    maxP99Ms: String(x.maxP99Ms),
    minRequests: String(x.minRequests),
    extraChecks: x.extraChecks.map((e) => ({ id: e.id, params: { ...e.params } })),
  };
}

/** "10, 25, 50 100" → [10, 25, 50, 100], or what is wrong with it. */
export function parseSteps(text: string): { steps: number[] } | { error: string } {
  const parts = text.split(/[\s,;→>]+/).filter(Boolean);
  if (!parts.length) return { error: 'steps: give at least one step, e.g. 10, 25, 50, 100' };
  const steps = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isInteger(steps[i]) || steps[i] < 1 || steps[i] > 100);
  if (bad !== undefined) return { error: `steps: '${bad}' is not a whole percent from 1 to 100` };
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1])) return { error: 'steps: must be strictly increasing (e.g. 10, 25, 50, 100)' };
  if (steps.length > 20) return { error: 'steps: at most 20 steps' };
  return { steps };
}

function numberField(name: string, text: string, opts: { int?: boolean; min: number; max: number }): number | string {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) return `${name}: give a number`;
  if (opts.int && !Number.isInteger(v)) return `${name}: give a whole number`;
  if (v < opts.min || v > opts.max) return `${name}: from ${opts.min} to ${opts.max}`;
  return v;
}

/** The canary settings a draft stands for, or every problem with it. */
export function canaryConfigOf(d: CanaryDraft): { config: CanaryConfigInput } | { errors: string[] } {
  const errors: string[] = [];
  const steps = parseSteps(d.steps);
  if ('error' in steps) errors.push(steps.error);
  const f = {
    intervalSeconds: numberField('interval (s)', d.intervalSeconds, { int: true, min: 10, max: 7 * 86_400 }),
    threshold: numberField('failed checks before rollback', d.threshold, { int: true, min: 1, max: 100 }),
    maxErrorRatePct: numberField('max error rate (%)', d.maxErrorRatePct, { min: 0, max: 100 }),
    maxP99Ms: numberField('max p99 latency (ms)', d.maxP99Ms, { min: 1, max: 600_000 }),
    minRequests: numberField('min requests per step', d.minRequests, { int: true, min: 1, max: 10_000_000 }),
  };
  for (const v of Object.values(f)) if (typeof v === 'string') errors.push(v);
  if (errors.length || 'error' in steps) return { errors };
  return {
    config: {
      steps: steps.steps,
      intervalSeconds: f.intervalSeconds as number,
      threshold: f.threshold as number,
      maxErrorRatePct: f.maxErrorRatePct as number,
      maxP99Ms: f.maxP99Ms as number,
      minRequests: f.minRequests as number,
      extraChecks: d.extraChecks.map((e) => ({ id: e.id, params: e.params })),
    },
  };
}

export interface PolicyDraft {
  mode: Policy['mode'];
  percent: string;
  /** Percent of requests mirrored to a shadow (the policy stores a fraction). */
  shadowPercent: string;
  firstBecomesChampion: boolean;
  /** Promote a challenger that is significantly better on live outcomes (metric and α kept as stored). */
  autoPromote: boolean;
  canary: CanaryDraft;
}

export function policyDraftOf(p: Policy): PolicyDraft {
  return {
    mode: p.mode,
    percent: String(p.percent),
    shadowPercent: String(Math.round(p.shadowSample * 1000) / 10),
    firstBecomesChampion: p.firstBecomesChampion,
    autoPromote: p.autoPromote?.enabled ?? false,
    canary: canaryDraftOf(p.canary),
  };
}

/**
 * The policy a draft stands for. Settings of the modes not chosen are kept as they were (so switching from canary to
 * fixed and back keeps the canary's steps), and only the chosen mode's fields must be valid.
 */
export function policyOf(d: PolicyDraft, current: Policy): { policy: PolicyInput } | { errors: string[] } {
  const errors: string[] = [];
  let percent = current.percent;
  let shadowSample = current.shadowSample;
  let canary = current.canary;
  const p = numberField('fixed share (%)', d.percent, { int: true, min: 1, max: 99 });
  if (typeof p === 'number') percent = p;
  else if (d.mode === 'fixed') errors.push(p);
  const s = numberField('shadow sample (%)', d.shadowPercent, { min: 0.1, max: 100 });
  if (typeof s === 'number') shadowSample = Math.round(s * 10) / 1000;
  else if (d.mode === 'shadow') errors.push(s);
  const c = canaryConfigOf(d.canary);
  if ('config' in c) canary = c.config as CanaryConfig;
  else if (d.mode === 'canary') errors.push(...c.errors);
  if (errors.length) return { errors };
  const autoPromote = { ...(current.autoPromote ?? { metric: 'accuracy' as const, alpha: 0.05 }), enabled: d.autoPromote };
  return { policy: { mode: d.mode, percent, shadowSample, firstBecomesChampion: d.firstBecomesChampion, autoPromote, ...(canary ? { canary } : {}) } };
}

/** Whether a policy draft differs from the stored policy. */
export function policyDirty(d: PolicyDraft, current: Policy): boolean {
  return JSON.stringify(d) !== JSON.stringify(policyDraftOf(current));
}

/**
 * A stale-revision conflict: the 409 whose details carry the current revision and state ("changed by someone else").
 * Other 409s (a canary owns the split, the version is the shadow, …) are plain errors with a message to act on.
 */
export function staleConflict(e: unknown): { revision: number; current: Snapshot | null } | null {
  const err = e as { data?: { code?: string; details?: Record<string, unknown> | null } | null };
  const d = err?.data?.details;
  if (err?.data?.code !== 'CONFLICT' || !d || typeof d.revision !== 'number' || !('current' in d)) return null;
  return { revision: d.revision, current: (d.current as Snapshot | undefined) ?? null };
}
