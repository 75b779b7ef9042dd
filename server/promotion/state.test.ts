import { describe, it, expect } from 'vitest';
import {
  emptySnapshot,
  withSplit,
  withPromotion,
  withAlias,
  withoutAlias,
  withShadow,
  withCanaryStart,
  withCanaryPause,
  withCanaryResume,
  withCanaryAbort,
  withCanaryEvaluation,
  withNewVersion,
  withRestored,
  checkInvariants,
  DEFAULT_CANARY,
  type VersionInfo,
} from './state';
import { ZCanaryConfig, ZNewVersionPolicy, type CheckResult, type PromotionSnapshot } from './shapes';

const v = (n: number, status = 'candidate'): VersionInfo => ({ id: `id-${n}`, version: n, status });
const v1 = v(1);
const v2 = v(2);
const v3 = v(3);
const M = 'signals';
const pass = (id = 'error_rate'): CheckResult => ({ id, description: '', value: 0, limit: 1, unit: '%', passed: true });
const fail = (id = 'error_rate'): CheckResult => ({ id, description: '', value: 5, limit: 1, unit: '%', passed: false });
const splitOf = (s: PromotionSnapshot) => Object.fromEntries(s.split.map((e) => [`v${e.version}`, e.percent]));
const champ = (s: PromotionSnapshot) => s.aliases.champion?.version;
const errOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('did not throw');
};

/** v1 champion at 100 %. */
const served = () => withNewVersion(emptySnapshot(), M, v1, 0, 't').next!;

describe('promotion transitions', () => {
  it("the first candidate becomes champion with 100 %; the default policy gives the next one 10 % (the trading team's rule)", () => {
    const s1 = served();
    expect(splitOf(s1)).toEqual({ v1: 100 });
    expect(champ(s1)).toBe(1);
    const s2 = withNewVersion(s1, M, v2, 0, 't');
    expect(splitOf(s2.next!)).toEqual({ v1: 90, v2: 10 });
    expect(s2.message).toMatch(/10 %/);
    expect(withNewVersion(s1, M, v(2, 'rejected'), 0, 't').next).toBeNull();
  });

  it('policies: none registers only, shadow mirrors, canary starts at the first step; no first champion when the policy says so', () => {
    const base = served();
    const none = { ...base, policy: ZNewVersionPolicy.parse({ mode: 'none' }) };
    expect(withNewVersion(none, M, v2, 0, 't').next).toBeNull();
    const shadow = withNewVersion({ ...base, policy: ZNewVersionPolicy.parse({ mode: 'shadow', shadowSample: 0.25 }) }, M, v2, 0, 't').next!;
    expect(shadow.shadow).toEqual({ versionId: 'id-2', version: 2, sample: 0.25 });
    expect(splitOf(shadow)).toEqual({ v1: 100 });
    const canary = withNewVersion({ ...base, policy: ZNewVersionPolicy.parse({ mode: 'canary', canary: { steps: [5, 50] } }) }, M, v2, 0, 't').next!;
    expect(splitOf(canary)).toEqual({ v1: 95, v2: 5 });
    expect(canary.canary?.status).toBe('running');
    expect(withNewVersion(emptySnapshot(ZNewVersionPolicy.parse({ firstBecomesChampion: false })), M, v1, 0, 't').next).toBeNull();
  });

  it('a split must sum to 100, name each version once and give traffic only to candidates', () => {
    const s = served();
    expect(errOf(() => withSplit(s, M, [{ v: v1, percent: 60 }, { v: v2, percent: 30 }])).message).toMatch(/sum to 100, got 90/);
    expect(errOf(() => withSplit(s, M, [{ v: v1, percent: 50 }, { v: v1, percent: 50 }])).message).toMatch(/v1 is listed twice/);
    const e = errOf(() => withSplit(s, M, [{ v: v1, percent: 50 }, { v: v(2, 'archived'), percent: 50 }]));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/v2 is archived/);
    const ok = withSplit(s, M, [{ v: v1, percent: 75 }, { v: v2, percent: 25 }, { v: v3, percent: 0 }]);
    expect(splitOf(ok)).toEqual({ v1: 75, v2: 25 });
    checkInvariants(ok, M);
  });

  it("promote: N % to the version, the rest to the champion, others keep theirs; 100 makes it champion", () => {
    const s = withSplit(served(), M, [{ v: v1, percent: 80 }, { v: v2, percent: 20 }]);
    expect(splitOf(withPromotion(s, M, v3, 50).next)).toEqual({ v1: 30, v2: 20, v3: 50 });
    expect(splitOf(withPromotion(s, M, v2, 0).next)).toEqual({ v1: 100 });
    const full = withPromotion(s, M, v3, 100);
    expect(splitOf(full.next)).toEqual({ v3: 100 });
    expect(champ(full.next)).toBe(3);
    expect(full.message).toMatch(/v2 \(20 %\) no longer/);
    expect(errOf(() => withPromotion(s, M, v3, 90)).message).toMatch(/leaves the champion -10 %: v2 has 20 %/);
    expect(errOf(() => withPromotion(s, M, v1, 50)).message).toMatch(/v1 is the champion/);
    expect(errOf(() => withPromotion(emptySnapshot(), M, v1, 50)).message).toMatch(/no champion/);
  });

  it('moving the champion alias is one step: the new champion takes the old one’s share, others keep theirs', () => {
    const s = withSplit(served(), M, [{ v: v1, percent: 70 }, { v: v2, percent: 20 }, { v: v3, percent: 10 }]);
    const next = withAlias(s, M, 'champion', v2);
    expect(champ(next)).toBe(2);
    expect(splitOf(next)).toEqual({ v2: 90, v3: 10 });
    expect(Object.keys(next.aliases)).toEqual(['champion']);
    const named = withAlias(next, M, 'challenger', v3);
    expect(named.aliases.challenger).toEqual({ versionId: 'id-3', version: 3 });
    expect(errOf(() => withoutAlias(named, M, 'champion')).message).toMatch(/cannot be removed/);
    expect(withoutAlias(named, M, 'challenger').aliases.challenger).toBeUndefined();
    expect(errOf(() => withAlias(s, M, 'staging', v(4, 'rejected'))).code).toBe('CONFLICT');
  });

  it('a shadow gets no traffic and is neither the champion nor a version with traffic', () => {
    const s = withSplit(served(), M, [{ v: v1, percent: 90 }, { v: v2, percent: 10 }]);
    expect(errOf(() => withShadow(s, M, v1)).message).toMatch(/champion/);
    expect(errOf(() => withShadow(s, M, v2)).message).toMatch(/has 10 % of traffic/);
    const sh = withShadow(s, M, v3, 0.5);
    expect(errOf(() => withSplit(sh, M, [{ v: v1, percent: 50 }, { v: v3, percent: 50 }])).message).toMatch(/v3 is the shadow/);
    expect(withShadow(sh, M, null).shadow).toBeNull();
    expect(errOf(() => withShadow(s, M, v3, 0)).message).toMatch(/sample/);
  });

  it('canary happy path: each passing step moves up; after the last the version is champion with 100 %', () => {
    const cfg = ZCanaryConfig.parse({ steps: [10, 50, 100], intervalSeconds: 60 });
    let s = withCanaryStart(served(), M, v2, cfg, 1_000, 'user:t');
    expect(splitOf(s)).toEqual({ v1: 90, v2: 10 });
    expect(s.canary!.nextCheckAt).toBe(new Date(61_000).toISOString());
    expect(errOf(() => withSplit(s, M, [{ v: v1, percent: 100 }])).message).toMatch(/canary of v2 is running/);
    let r = withCanaryEvaluation(s, M, [pass()], 61_000);
    expect(r.outcome).toBe('step');
    expect(splitOf(r.next)).toEqual({ v1: 50, v2: 50 });
    r = withCanaryEvaluation(r.next, M, [pass()], 121_000);
    expect(splitOf(r.next)).toEqual({ v2: 100 });
    expect(champ(r.next)).toBe(1); // at 100 % but not promoted until its checks pass
    r = withCanaryEvaluation(r.next, M, [pass()], 181_000);
    expect(r.outcome).toBe('promote');
    expect(champ(r.next)).toBe(2);
    expect(r.next.canary!.status).toBe('promoted');
    expect(r.next.canary!.evaluations).toHaveLength(3);
    s = r.next;
    checkInvariants(s, M);
  });

  it('canary rollback: `threshold` failed checks return the champion to 100 % with the failing figures', () => {
    const cfg = ZCanaryConfig.parse({ steps: [25, 100], threshold: 2, intervalSeconds: 60 });
    const s = withCanaryStart(served(), M, v2, cfg, 0, 'user:t');
    const hold = withCanaryEvaluation(s, M, [pass('min_requests'), fail()], 60_000);
    expect(hold.outcome).toBe('hold');
    expect(splitOf(hold.next)).toEqual({ v1: 75, v2: 25 });
    expect(hold.next.canary!.failedChecks).toBe(1);
    const rb = withCanaryEvaluation(hold.next, M, [fail()], 120_000);
    expect(rb.outcome).toBe('rollback');
    expect(splitOf(rb.next)).toEqual({ v1: 100 });
    expect(champ(rb.next)).toBe(1);
    expect(rb.next.canary!.status).toBe('rolled_back');
    expect(rb.next.canary!.endReason).toMatch(/error_rate 5 % \(limit 1 %\)/);
  });

  it('canary pause, resume (fresh window), abort; no canary without a champion, one at a time', () => {
    const s = withCanaryStart(served(), M, v2, DEFAULT_CANARY, 0, 'user:t');
    const p = withCanaryPause(s, M);
    expect(p.canary!.nextCheckAt).toBeNull();
    expect(errOf(() => withCanaryEvaluation(p, M, [pass()], 1)).message).toMatch(/no running canary/);
    const r = withCanaryResume(p, M, 5_000);
    expect(r.canary!.stepStartedAt).toBe(new Date(5_000).toISOString());
    const a = withCanaryAbort(r, M, 6_000, 'bad idea');
    expect(splitOf(a)).toEqual({ v1: 100 });
    expect(a.canary!.status).toBe('aborted');
    expect(errOf(() => withCanaryStart(emptySnapshot(), M, v2, DEFAULT_CANARY, 0, 't')).message).toMatch(/no champion/);
    expect(errOf(() => withCanaryStart(s, M, v3, DEFAULT_CANARY, 0, 't')).message).toMatch(/canary of v2 is running/);
  });

  it('restoring an earlier state is exact, and refused when a version it names is no longer servable', () => {
    const earlier = withAlias(withSplit(served(), M, [{ v: v1, percent: 60 }, { v: v2, percent: 40 }]), M, 'challenger', v2);
    const versions = new Map([v1, v2, v3].map((x) => [x.id, x]));
    expect(withRestored(M, earlier, versions, 0)).toEqual(earlier);
    const archived = new Map([v1, v(2, 'archived')].map((x) => [x.id, x]));
    expect(errOf(() => withRestored(M, earlier, archived, 0)).message).toMatch(/v2 is archived/);
  });
});
