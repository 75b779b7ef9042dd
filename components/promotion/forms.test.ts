import { describe, expect, it } from 'vitest';
import { CANARY_DEFAULTS, canaryConfigOf, canaryDraftOf, parseSteps, policyDirty, policyDraftOf, policyOf, staleConflict } from './forms';
import { actionLabel, describeChange, dueIn, policyText } from './describe';
import type { Policy, Snapshot } from './types';

const POLICY: Policy = { mode: 'fixed', percent: 10, shadowSample: 1, firstBecomesChampion: true, autoPromote: { enabled: false, metric: 'accuracy', alpha: 0.05 } };
const ref = (version: number) => ({ versionId: `id-${version}`, version });

describe('canary settings', () => {
  it('parses steps written in any common way and says what is wrong', () => {
    expect(parseSteps('10, 25, 50, 100')).toEqual({ steps: [10, 25, 50, 100] });
    expect(parseSteps('10 → 25 → 100')).toEqual({ steps: [10, 25, 100] });
    expect(parseSteps('')).toEqual({ error: expect.stringContaining('at least one step') });
    expect(parseSteps('10, 5')).toEqual({ error: expect.stringContaining('strictly increasing') });
    expect(parseSteps('10, 2.5')).toEqual({ error: "steps: '2.5' is not a whole percent from 1 to 100" });
    expect(parseSteps('0, 50')).toEqual({ error: "steps: '0' is not a whole percent from 1 to 100" });
  });

  it('round-trips a config through its draft and lists every bad field', () => {
    const cfg = { ...CANARY_DEFAULTS, steps: [5, 50, 100], extraChecks: [{ id: 'error_rate_vs_champion', params: { marginPct: 1 } }] };
    expect(canaryConfigOf(canaryDraftOf(cfg))).toEqual({ config: cfg });
    const bad = { ...canaryDraftOf(cfg), intervalSeconds: '5', threshold: 'x', steps: '50, 10' };
    const r = canaryConfigOf(bad);
    expect('errors' in r && r.errors).toEqual([expect.stringContaining('strictly increasing'), 'interval (s): from 10 to 604800', 'failed checks before rollback: give a number']);
  });
});

describe('new-version policy', () => {
  it('keeps the settings of modes not chosen, and validates only the chosen one', () => {
    const current: Policy = { ...POLICY, canary: { ...CANARY_DEFAULTS, steps: [20, 100] } };
    const d = { ...policyDraftOf(current), mode: 'shadow' as const, shadowPercent: '25', percent: 'oops' };
    expect(policyOf(d, current)).toEqual({ policy: { mode: 'shadow', percent: 10, shadowSample: 0.25, firstBecomesChampion: true, autoPromote: { enabled: false, metric: 'accuracy', alpha: 0.05 }, canary: { ...CANARY_DEFAULTS, steps: [20, 100] } } });
    expect(policyOf({ ...d, mode: 'fixed' }, current)).toEqual({ errors: ['fixed share (%): give a number'] });
    expect(policyDirty(policyDraftOf(current), current)).toBe(false);
    expect(policyDirty(d, current)).toBe(true);
  });

  it('reads as a sentence', () => {
    expect(policyText(POLICY)).toBe('fixed: a new version gets 10 % from the champion');
    expect(policyText({ ...POLICY, mode: 'shadow', shadowSample: 0.5, firstBecomesChampion: false })).toBe('shadow: a new version mirrors 50 % of requests; the first version does not become champion');
    expect(policyText({ ...POLICY, mode: 'canary' })).toContain('default canary');
  });
});

describe('conflicts', () => {
  it('tells a stale revision (409 with the current state) from other conflicts', () => {
    const current: Snapshot = { split: [], aliases: {}, policy: POLICY, shadow: null, canary: null };
    expect(staleConflict({ data: { code: 'CONFLICT', details: { field: 'revision', revision: 7, current } } })).toEqual({ revision: 7, current });
    expect(staleConflict({ data: { code: 'CONFLICT', details: { canary: 'v2' } } })).toBeNull();
    expect(staleConflict({ data: { code: 'BAD_REQUEST', details: { revision: 7, current } } })).toBeNull();
    expect(staleConflict(new Error('network'))).toBeNull();
  });
});

describe('history lines', () => {
  it('names each part of the state that changed', () => {
    const before: Snapshot = { split: [{ ...ref(1), percent: 100 }], aliases: { champion: ref(1) }, policy: POLICY, shadow: null, canary: null };
    const after: Snapshot = { ...before, split: [{ ...ref(1), percent: 75 }, { ...ref(2), percent: 25 }], aliases: { champion: ref(1), challenger: ref(2) }, shadow: { ...ref(3), sample: 0.5 } };
    expect(describeChange(before, after)).toEqual(['split: v1 100 % → v1 75 % · v2 25 %', 'challenger: none → v2', 'shadow: none → v3 on 50 % of requests']);
    expect(describeChange(before, before)).toEqual([]);
    expect(describeChange(before, { ...before, aliases: { champion: ref(2) } })).toEqual(['champion: v1 → v2']);
  });

  it('labels actions and counts down to the next check', () => {
    expect(actionLabel('canary.rollback')).toBe('canary rolled back');
    expect(actionLabel('something.new')).toBe('something.new');
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(dueIn('2026-12-01T10:04:10Z', now)).toBe('in 4 min 10 s');
    expect(dueIn('2026-12-01T10:00:30Z', now)).toBe('in 30 s');
    expect(dueIn('2026-12-01T09:59:00Z', now)).toMatch(/^due now/);
    expect(dueIn(null, now)).toBe('—');
  });
});
