/**
 * Promotion states and their changes in words, for the history timeline and the panels (pure, tested in
 * describe.test.ts). Every part of a snapshot that changed gets one line: split, aliases, policy, shadow, canary.
 */
import { sameSplit, splitText } from './sliders';
import { CHAMPION, type CanaryConfig, type Policy, type Snapshot } from './types';

const pctOf = (x: number) => `${Math.round(x * 1000) / 10} %`;

export function canaryConfigText(c: CanaryConfig | undefined): string {
  if (!c) return 'default canary (10 → 25 → 50 → 100 %, 300 s, 2 failed checks)';
  const extra = c.extraChecks.length ? ` + ${c.extraChecks.map((e) => e.id).join(', ')}` : '';
  return `${c.steps.join(' → ')} % every ${c.intervalSeconds} s, rollback after ${c.threshold} failed check${c.threshold === 1 ? '' : 's'} (errors ≤ ${c.maxErrorRatePct} %, p99 ≤ ${c.maxP99Ms} ms, ≥ ${c.minRequests} requests${extra})`;
}

/** "fixed 10 %", "shadow on 50 % of requests", "canary 10 → 25 → … %", "none". */
export function policyText(p: Policy): string {
  const first = p.firstBecomesChampion ? '' : '; the first version does not become champion';
  switch (p.mode) {
    case 'none':
      return `none: a new version is registered without traffic${first}`;
    case 'shadow':
      return `shadow: a new version mirrors ${pctOf(p.shadowSample)} of requests${first}`;
    case 'fixed':
      return `fixed: a new version gets ${p.percent} % from the champion${first}`;
    case 'canary':
      return `canary: ${canaryConfigText(p.canary)}${first}`;
  }
}

const aliasText = (aliases: Snapshot['aliases'], name: string) => (aliases[name] ? `v${aliases[name].version}` : 'none');
const shadowText = (s: Snapshot['shadow']) => (s ? `v${s.version} on ${pctOf(s.sample)} of requests` : 'none');
const canaryText = (c: Snapshot['canary']) => (c ? `v${c.version.version} ${c.status.replace('_', ' ')} at step ${c.step + 1} of ${c.config.steps.length} (${c.config.steps[c.step]} %)` : 'none');

/** One line per part that differs between two snapshots ("split: v1 90 % · v2 10 % → v1 75 % · v2 25 %"). */
export function describeChange(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  if (!sameSplit(before.split, after.split)) out.push(`split: ${splitText(before.split)} → ${splitText(after.split)}`);
  const names = [...new Set([...Object.keys(before.aliases), ...Object.keys(after.aliases)])].sort((a, b) => (a === CHAMPION ? -1 : b === CHAMPION ? 1 : a.localeCompare(b)));
  for (const n of names) {
    if (before.aliases[n]?.versionId !== after.aliases[n]?.versionId) out.push(`${n}: ${aliasText(before.aliases, n)} → ${aliasText(after.aliases, n)}`);
  }
  if (JSON.stringify(before.policy) !== JSON.stringify(after.policy)) out.push(`policy: ${policyText(before.policy)} → ${policyText(after.policy)}`);
  if (JSON.stringify(before.shadow) !== JSON.stringify(after.shadow)) out.push(`shadow: ${shadowText(before.shadow)} → ${shadowText(after.shadow)}`);
  const cb = before.canary;
  const ca = after.canary;
  if (cb?.status !== ca?.status || cb?.step !== ca?.step || cb?.version.versionId !== ca?.version.versionId || cb?.failedChecks !== ca?.failedChecks) {
    out.push(`canary: ${canaryText(cb)} → ${canaryText(ca)}${ca && ca.failedChecks !== (cb?.failedChecks ?? 0) ? ` (${ca.failedChecks} of ${ca.config.threshold} failed checks)` : ''}`);
  }
  return out;
}

/** History actions as a person reads them. */
const ACTIONS: Record<string, string> = {
  split: 'traffic split',
  promote: 'promote',
  'alias.set': 'alias set',
  'alias.remove': 'alias removed',
  policy: 'new-version policy',
  'shadow.set': 'shadow on',
  'shadow.stop': 'shadow off',
  'canary.start': 'canary started',
  'canary.step': 'canary step',
  'canary.pause': 'canary paused',
  'canary.resume': 'canary resumed',
  'canary.abort': 'canary aborted',
  'canary.promote': 'canary promoted',
  'canary.rollback': 'canary rolled back',
  new_version: 'new version',
  rollback: 'rollback',
  migrated: 'migrated',
};
export const actionLabel = (a: string) => ACTIONS[a] ?? a;

/** Seconds until `iso` from `now`, as "in 4 min 10 s" / "due now". */
export function dueIn(iso: string | null, now: number): string {
  if (!iso) return '—';
  const ms = Date.parse(iso) - now;
  if (!Number.isFinite(ms)) return '—';
  if (ms <= 0) return 'due now (the next worker tick evaluates it)';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `in ${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `in ${m} min ${s % 60} s`;
  return `in ${Math.floor(m / 60)} h ${m % 60} min`;
}
