/**
 * Promotion as pure transitions: each function takes a model's `PromotionSnapshot` (and the model's versions) and
 * returns the next one, or throws a DomainError a person can act on. No database here (store.ts persists a
 * transition with its history row); tested directly in state.test.ts.
 */
import { DomainError, badRequest } from '../errors';
import {
  CHAMPION,
  DEFAULT_POLICY,
  type CanaryConfig,
  type CanaryState,
  type CheckResult,
  type NewVersionPolicy,
  type PromotionSnapshot,
  type SplitEntryRef,
  type VersionRef,
  ZCanaryConfig,
} from './shapes';

export interface VersionInfo {
  id: string;
  version: number;
  status: string;
}

export const emptySnapshot = (policy: NewVersionPolicy = DEFAULT_POLICY): PromotionSnapshot => ({ split: [], aliases: {}, policy, shadow: null, canary: null });
export const refOf = (v: VersionInfo): VersionRef => ({ versionId: v.id, version: v.version });
const label = (v: { version: number }) => `v${v.version}`;
const conflict = (msg: string, details?: Record<string, unknown>) => new DomainError('CONFLICT', msg, details);

export function champion(s: PromotionSnapshot): VersionRef | null {
  return s.aliases[CHAMPION] ?? null;
}

export function canaryActive(s: PromotionSnapshot): boolean {
  return s.canary !== null && (s.canary.status === 'running' || s.canary.status === 'paused');
}

export function percentOf(s: PromotionSnapshot, versionId: string): number {
  return s.split.find((e) => e.versionId === versionId)?.percent ?? 0;
}

function requireServable(v: VersionInfo, model: string, what = 'gets traffic') {
  if (v.status !== 'candidate') throw conflict(`${model} ${label(v)} is ${v.status}; only candidate versions ${what}.`, { version: label(v), status: v.status });
}

function noActiveCanary(s: PromotionSnapshot, model: string, doing: string) {
  if (canaryActive(s)) {
    const c = s.canary!;
    throw conflict(`${model}: a canary of ${label(c.version)} is ${c.status} and owns the split; pause does not release it — abort the canary before you ${doing}.`, { canary: label(c.version) });
  }
}

/** A split as stored: only entries with traffic, oldest version first. */
function normalise(entries: SplitEntryRef[]): SplitEntryRef[] {
  return entries.filter((e) => e.percent > 0).sort((a, b) => a.version - b.version);
}

/** The version with the largest share (the lowest version on a tie). */
function largest(split: SplitEntryRef[]): VersionRef | null {
  let best: SplitEntryRef | null = null;
  for (const e of split) if (!best || e.percent > best.percent || (e.percent === best.percent && e.version < best.version)) best = e;
  return best ? { versionId: best.versionId, version: best.version } : null;
}

/**
 * A whole split (percentages summing to 100; versions with 0 are left out). The champion keeps its alias (it may be
 * given 0 %); a model without one gets the version with the largest share as champion.
 */
export function withSplit(s: PromotionSnapshot, model: string, entries: { v: VersionInfo; percent: number }[]): PromotionSnapshot {
  noActiveCanary(s, model, 'change the split');
  const total = entries.reduce((a, e) => a + e.percent, 0);
  if (total !== 100) throw badRequest(`split: percentages must sum to 100, got ${total}`, { field: 'split' });
  const seen = new Set<number>();
  for (const e of entries) {
    if (seen.has(e.v.version)) throw badRequest(`split: ${label(e.v)} is listed twice`, { field: 'split' });
    seen.add(e.v.version);
    if (e.percent > 0) requireServable(e.v, model);
    if (e.percent > 0 && s.shadow?.versionId === e.v.id) throw conflict(`${model} ${label(e.v)} is the shadow; stop the shadow before giving it traffic.`);
  }
  const split = normalise(entries.map((e) => ({ ...refOf(e.v), percent: e.percent })));
  const aliases = { ...s.aliases };
  if (!aliases[CHAMPION]) aliases[CHAMPION] = largest(split)!;
  return { ...s, split, aliases };
}

/**
 * The trading team's promote: `v` gets `percent`, the champion the rest, other challengers keep theirs; 100 makes
 * `v` the champion with all traffic. 0 takes `v`'s traffic back to the champion.
 */
export function withPromotion(s: PromotionSnapshot, model: string, v: VersionInfo, percent: number): { next: PromotionSnapshot; message: string } {
  noActiveCanary(s, model, 'promote');
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw badRequest('traffic_percentage: must be a whole number from 0 to 100', { field: 'traffic_percentage' });
  const champ = champion(s);
  if (percent === 100) {
    requireServable(v, model, 'become champion');
    const dropped = s.split.filter((e) => e.versionId !== v.id && e.versionId !== champ?.versionId);
    const shadow = s.shadow?.versionId === v.id ? null : s.shadow;
    const next = { ...s, shadow, split: [{ ...refOf(v), percent: 100 }], aliases: { ...s.aliases, [CHAMPION]: refOf(v) } };
    const also = dropped.length ? `; ${dropped.map((e) => `${label(e)} (${e.percent} %)`).join(', ')} no longer get traffic` : '';
    return { next, message: `${model} ${label(v)} is champion with 100 % of traffic${champ && champ.versionId !== v.id ? ` (was ${label(champ)})` : ''}${also}` };
  }
  if (!champ) throw conflict(`${model} has no champion to take the other ${100 - percent} %: promote a version with traffic_percentage=100 first.`);
  if (champ.versionId === v.id) {
    throw conflict(`${model} ${label(v)} is the champion: it takes the traffic not given to others. Give another version traffic, or promote another version to 100 %.`);
  }
  if (percent > 0) requireServable(v, model);
  if (percent > 0 && s.shadow?.versionId === v.id) throw conflict(`${model} ${label(v)} is the shadow; stop the shadow before giving it traffic.`);
  const others = s.split.filter((e) => e.versionId !== v.id && e.versionId !== champ.versionId);
  const othersPct = others.reduce((a, e) => a + e.percent, 0);
  const rest = 100 - percent - othersPct;
  if (rest < 0) {
    throw conflict(`${model}: ${label(v)} at ${percent} % leaves the champion ${rest} %: ${others.map((e) => `${label(e)} has ${e.percent} %`).join(', ')}; lower them first.`);
  }
  const split = normalise([...others, { ...refOf(v), percent }, { ...champ, percent: rest }]);
  return { next: { ...s, split }, message: `${model} ${label(v)} gets ${percent} %, champion ${label(champ)} ${rest} %` };
}

/**
 * Points an alias at a version. Moving `champion` is one step: the new champion takes the old champion's share on
 * top of its own; other challengers keep theirs.
 */
export function withAlias(s: PromotionSnapshot, model: string, alias: string, v: VersionInfo): PromotionSnapshot {
  requireServable(v, model, 'can carry an alias');
  if (alias !== CHAMPION) return { ...s, aliases: { ...s.aliases, [alias]: refOf(v) } };
  noActiveCanary(s, model, 'change the champion');
  const old = champion(s);
  if (old?.versionId === v.id) return s;
  if (s.shadow?.versionId === v.id) throw conflict(`${model} ${label(v)} is the shadow; stop the shadow before making it champion.`);
  let split = s.split;
  if (!split.length) split = [{ ...refOf(v), percent: 100 }];
  else if (old) {
    const moved = percentOf(s, old.versionId) + percentOf(s, v.id);
    split = normalise([...split.filter((e) => e.versionId !== old.versionId && e.versionId !== v.id), { ...refOf(v), percent: moved }]);
  }
  return { ...s, split, aliases: { ...s.aliases, [CHAMPION]: refOf(v) } };
}

export function withoutAlias(s: PromotionSnapshot, model: string, alias: string): PromotionSnapshot {
  if (!s.aliases[alias]) throw new DomainError('NOT_FOUND', `${model} has no alias '${alias}' (it has ${Object.keys(s.aliases).join(', ') || 'none'}).`);
  if (alias === CHAMPION && s.split.length) throw conflict(`${model}: the champion cannot be removed while the model serves; make another version champion instead.`);
  const aliases = { ...s.aliases };
  delete aliases[alias];
  return { ...s, aliases };
}

export function withShadow(s: PromotionSnapshot, model: string, v: VersionInfo | null, sample = 1): PromotionSnapshot {
  if (!v) return { ...s, shadow: null };
  requireServable(v, model, 'can shadow');
  if (!(sample > 0 && sample <= 1)) throw badRequest('sample: must be > 0 and ≤ 1 (the share of requests mirrored)', { field: 'sample' });
  if (champion(s)?.versionId === v.id) throw conflict(`${model} ${label(v)} is the champion; a shadow mirrors the champion's requests to another version.`);
  if (percentOf(s, v.id) > 0) throw conflict(`${model} ${label(v)} has ${percentOf(s, v.id)} % of traffic; a shadow gets none (take its traffic away first).`);
  if (canaryActive(s) && s.canary!.version.versionId === v.id) throw conflict(`${model} ${label(v)} is in a canary.`);
  return { ...s, shadow: { ...refOf(v), sample } };
}

// --- canary ---------------------------------------------------------------------------------------------------------

const iso = (ms: number) => new Date(ms).toISOString();

function canarySplit(champ: VersionRef, v: VersionRef, percent: number): SplitEntryRef[] {
  return normalise([
    { ...champ, percent: 100 - percent },
    { ...v, percent },
  ]);
}

/** Starts a canary: the version gets the first step, the champion the rest (other challengers stop getting traffic). */
export function withCanaryStart(s: PromotionSnapshot, model: string, v: VersionInfo, config: CanaryConfig, now: number, actor: string): PromotionSnapshot {
  const champ = champion(s);
  if (!champ) throw conflict(`${model} has no champion: a canary steps a version up against the champion. Promote a champion first.`);
  if (champ.versionId === v.id) throw conflict(`${model} ${label(v)} is already the champion.`);
  noActiveCanary(s, model, 'start another canary');
  requireServable(v, model, 'can run a canary');
  const canary: CanaryState = {
    version: refOf(v),
    champion: champ,
    config,
    status: 'running',
    step: 0,
    stepStartedAt: iso(now),
    nextCheckAt: iso(now + config.intervalSeconds * 1000),
    failedChecks: 0,
    evaluations: [],
    startedAt: iso(now),
    startedBy: actor,
    endedAt: null,
    endReason: null,
  };
  const shadow = s.shadow?.versionId === v.id ? null : s.shadow;
  return { ...s, shadow, canary, split: canarySplit(champ, refOf(v), config.steps[0]) };
}

function activeCanary(s: PromotionSnapshot, model: string, want: CanaryState['status'][]): CanaryState {
  const c = s.canary;
  if (!c || !want.includes(c.status)) throw conflict(`${model} has no ${want.join(' or ')} canary${c ? ` (the last one of ${label(c.version)} is ${c.status})` : ''}.`);
  return c;
}

export function withCanaryPause(s: PromotionSnapshot, model: string): PromotionSnapshot {
  const c = activeCanary(s, model, ['running']);
  return { ...s, canary: { ...c, status: 'paused', nextCheckAt: null } };
}

/** Resumes a paused canary: the current step starts over (its evidence window is fresh). */
export function withCanaryResume(s: PromotionSnapshot, model: string, now: number): PromotionSnapshot {
  const c = activeCanary(s, model, ['paused']);
  return { ...s, canary: { ...c, status: 'running', stepStartedAt: iso(now), nextCheckAt: iso(now + c.config.intervalSeconds * 1000) } };
}

/** Back to the champion at 100 %. */
export function withCanaryAbort(s: PromotionSnapshot, model: string, now: number, reason: string): PromotionSnapshot {
  const c = activeCanary(s, model, ['running', 'paused']);
  return { ...s, split: [{ ...c.champion, percent: 100 }], aliases: { ...s.aliases, [CHAMPION]: c.champion }, canary: { ...c, status: 'aborted', nextCheckAt: null, endedAt: iso(now), endReason: reason } };
}

export type CanaryOutcome = 'step' | 'hold' | 'promote' | 'rollback';

/**
 * One evaluation of a running canary's checks at the end of a step: all pass → the next step (after the last: the
 * version becomes champion with 100 %); any fails → counted, and at `threshold` failures the champion gets 100 %
 * back; otherwise the step runs again with a fresh window.
 */
export function withCanaryEvaluation(s: PromotionSnapshot, model: string, checks: CheckResult[], now: number): { next: PromotionSnapshot; outcome: CanaryOutcome; message: string } {
  const c = activeCanary(s, model, ['running']);
  const passed = checks.every((k) => k.passed);
  const percent = c.config.steps[c.step];
  const evaluations = [...c.evaluations, { at: iso(now), step: c.step, percent, passed, checks }].slice(-50);
  const failing = checks.filter((k) => !k.passed);
  const figures = failing.map((k) => `${k.id} ${k.value === null ? 'no data' : `${round(k.value)} ${k.unit}`} (limit ${round(k.limit)} ${k.unit})`).join(', ');
  if (!passed) {
    const failedChecks = c.failedChecks + 1;
    if (failedChecks >= c.config.threshold) {
      const reason = `rolled back after ${failedChecks} failed check${failedChecks > 1 ? 's' : ''} (threshold ${c.config.threshold}) at ${percent} %: ${figures}`;
      return {
        next: { ...s, split: [{ ...c.champion, percent: 100 }], aliases: { ...s.aliases, [CHAMPION]: c.champion }, canary: { ...c, evaluations, failedChecks, status: 'rolled_back', nextCheckAt: null, endedAt: iso(now), endReason: reason } },
        outcome: 'rollback',
        message: `${model} ${label(c.version)} ${reason}; champion ${label(c.champion)} has 100 %`,
      };
    }
    return {
      next: { ...s, canary: { ...c, evaluations, failedChecks, stepStartedAt: iso(now), nextCheckAt: iso(now + c.config.intervalSeconds * 1000) } },
      outcome: 'hold',
      message: `${model} ${label(c.version)} failed a check at ${percent} % (${failedChecks} of ${c.config.threshold} allowed): ${figures}; the step runs again`,
    };
  }
  if (c.step + 1 >= c.config.steps.length) {
    return {
      next: { ...s, split: [{ ...c.version, percent: 100 }], aliases: { ...s.aliases, [CHAMPION]: c.version }, canary: { ...c, evaluations, status: 'promoted', nextCheckAt: null, endedAt: iso(now), endReason: `every step passed; ${label(c.version)} replaced ${label(c.champion)} as champion` } },
      outcome: 'promote',
      message: `${model} ${label(c.version)} passed every step and is champion with 100 % (was ${label(c.champion)})`,
    };
  }
  const nextPct = c.config.steps[c.step + 1];
  return {
    next: { ...s, split: canarySplit(c.champion, c.version, nextPct), canary: { ...c, evaluations, step: c.step + 1, stepStartedAt: iso(now), nextCheckAt: iso(now + c.config.intervalSeconds * 1000) } },
    outcome: 'step',
    message: `${model} ${label(c.version)} passed its checks at ${percent} % and steps to ${nextPct} %`,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

// --- new versions ---------------------------------------------------------------------------------------------------

/**
 * What the model's policy does with a newly registered version: null when nothing changes (with the reason).
 * The first version that passes the gate becomes champion (unless the policy says otherwise).
 */
export function withNewVersion(s: PromotionSnapshot, model: string, v: VersionInfo, now: number, actor: string): { next: PromotionSnapshot | null; message: string } {
  const p = s.policy;
  if (v.status !== 'candidate') return { next: null, message: `${label(v)} is ${v.status}: it gets no traffic` };
  const champ = champion(s);
  if (!champ) {
    if (!p.firstBecomesChampion) return { next: null, message: `${model} has no champion and its policy does not make the first version champion` };
    return { next: withAlias(s, model, CHAMPION, v), message: `${label(v)} is ${model}'s first candidate: champion with 100 %` };
  }
  if (canaryActive(s)) return { next: null, message: `a canary of ${label(s.canary!.version)} is ${s.canary!.status}; ${label(v)} waits (start its canary after that one ends)` };
  switch (p.mode) {
    case 'none':
      return { next: null, message: `policy 'none': ${label(v)} is registered without traffic` };
    case 'shadow':
      return { next: withShadow(s, model, v, p.shadowSample), message: `policy 'shadow': ${label(v)} shadows the champion on ${Math.round(p.shadowSample * 100)} % of requests` };
    case 'fixed': {
      const champPct = percentOf(s, champ.versionId);
      if (champPct < p.percent) return { next: null, message: `policy 'fixed' ${p.percent} %: the champion has only ${champPct} % to give; ${label(v)} gets no traffic` };
      const others = s.split.filter((e) => e.versionId !== champ.versionId);
      const split = normalise([...others, { ...champ, percent: champPct - p.percent }, { ...refOf(v), percent: p.percent }]);
      return { next: { ...s, split }, message: `policy 'fixed': ${label(v)} gets ${p.percent} % from champion ${label(champ)}` };
    }
    case 'canary': {
      const config = p.canary ?? DEFAULT_CANARY;
      return { next: withCanaryStart(s, model, v, config, now, actor), message: `policy 'canary': ${label(v)} starts a canary at ${config.steps[0]} %` };
    }
  }
}

export const DEFAULT_CANARY: CanaryConfig = ZCanaryConfig.parse({});

// --- rollback -------------------------------------------------------------------------------------------------------

/**
 * Returns to an earlier state exactly (split, aliases, policy, shadow, canary). Every version it names must still be
 * servable. A canary that was running resumes its step with a fresh window (its old clock has passed).
 */
export function withRestored(model: string, target: PromotionSnapshot, versions: Map<string, VersionInfo>, now: number): PromotionSnapshot {
  const named = new Map<string, VersionRef>();
  for (const e of target.split) named.set(e.versionId, e);
  for (const a of Object.values(target.aliases)) named.set(a.versionId, a);
  if (target.shadow) named.set(target.shadow.versionId, target.shadow);
  if (target.canary && canaryActive(target)) named.set(target.canary.version.versionId, target.canary.version);
  for (const ref of named.values()) {
    const v = versions.get(ref.versionId);
    if (!v) throw conflict(`${model} ${label(ref)} no longer exists; this state cannot be restored.`);
    requireServable(v, model, 'can be restored into traffic');
  }
  const canary = target.canary && target.canary.status === 'running' ? { ...target.canary, stepStartedAt: iso(now), nextCheckAt: iso(now + target.canary.config.intervalSeconds * 1000) } : target.canary;
  return { ...target, canary };
}

/** Invariants every stored state keeps (checked before each write). */
export function checkInvariants(s: PromotionSnapshot, model: string) {
  if (s.split.length) {
    const total = s.split.reduce((a, e) => a + e.percent, 0);
    if (total !== 100) throw new Error(`${model}: split sums to ${total}`);
    if (!s.aliases[CHAMPION]) throw new Error(`${model}: a split without a champion`);
    if (new Set(s.split.map((e) => e.versionId)).size !== s.split.length) throw new Error(`${model}: duplicate split entry`);
  }
  if (s.shadow && s.split.some((e) => e.versionId === s.shadow!.versionId)) throw new Error(`${model}: the shadow has traffic`);
}
