/**
 * Promotion changes against a real database: revisions and 409s, comments, the append-only history, exact
 * rollback, the trading team's promote semantics, policies for new versions, concurrent edits, huge inputs.
 * Versions are plain registry rows here (no artifacts): serving is not involved (see canary-serve.test.ts).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import type { VersionStatus } from '../../drizzle/schema';
import { addPlainVersion } from '../testing/versions';
import type { Db } from '../db/client';
import { setSplit, promote, setAlias, setPolicy, setShadow, canaryStart, canaryControl, rollback, history, applyNewVersionPolicy, promotionView, promotionOverview, resolveBareVersion } from './actions';
import { routingTable } from './traffic';
import { userCaller, apiKeyCaller } from '../trpc/test-helpers';

let db: Db;
const ids: Record<string, string> = {};

async function addVersion(model: string, version: number, status: VersionStatus = 'candidate') {
  const v = await addPlainVersion(db, model, version, status);
  ids[`${model}@${version}`] = v.id;
  return v;
}

const err = (p: Promise<unknown>) => p.then(() => { throw new Error('resolved'); }, (e: { code: string; message: string; details?: Record<string, unknown> }) => e);
const splitOf = async (model: string) => Object.fromEntries((await promotionView(db, model)).snapshot.split.map((e) => [`v${e.version}`, e.percent]));

beforeAll(async () => {
  ({ db } = await createTestDb());
  for (const n of [1, 2, 3]) await addVersion('signals', n);
  await addVersion('signals', 4, 'rejected');
  await applyNewVersionPolicy(db, { modelName: 'signals', versionId: ids['signals@1'], status: 'candidate', actor: 'worker:t' });
}, 60_000);

describe('promotion actions', () => {
  it('the first candidate is champion with 100 %, recorded as an automatic change', async () => {
    expect(await splitOf('signals')).toEqual({ v1: 100 });
    const [h] = await history(db, { model: 'signals' });
    expect(h).toMatchObject({ action: 'new_version', actor: 'worker:t', comment: null, automatic: { rule: 'new_version_policy' }, revision: 1 });
    expect(h.before.split).toEqual([]);
    expect(h.after.aliases.champion.version).toBe(1);
  });

  it('a manual change needs a comment; a stale revision gets 409 with the current state', async () => {
    expect((await err(setSplit(db, { model: 'signals', split: [{ version: 'v1', percent: 100 }] }, 'user:a'))).message).toMatch(/comment: say why/);
    const view = await promotionView(db, 'signals');
    const ok = await setSplit(db, { model: 'signals', revision: view.revision, comment: 'A/B', split: [{ version: 'v1', percent: 75 }, { version: 'v2', percent: 25 }] }, 'user:a');
    expect(ok.revision).toBe(view.revision + 1);
    const stale = await err(setSplit(db, { model: 'signals', revision: view.revision, comment: 'mine', split: [{ version: 'v1', percent: 50 }, { version: 'v2', percent: 50 }] }, 'user:b'));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.message).toMatch(/changed since you loaded it .* by user:a/);
    expect(stale.details).toMatchObject({ revision: ok.revision, current: { split: [{ version: 1, percent: 75 }, { version: 2, percent: 25 }] } });
    expect(await splitOf('signals')).toEqual({ v1: 75, v2: 25 });
  });

  it('two engineers applying at once from the same revision: exactly one wins, the other gets 409', async () => {
    const { revision } = await promotionView(db, 'signals');
    const a = setSplit(db, { model: 'signals', revision, comment: 'a', split: [{ version: 1, percent: 60 }, { version: 2, percent: 40 }] }, 'user:a');
    const b = setSplit(db, { model: 'signals', revision, comment: 'b', split: [{ version: 1, percent: 40 }, { version: 2, percent: 60 }] }, 'user:b');
    const r = await Promise.allSettled([a, b]);
    expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('CONFLICT');
  });

  it('bad input: unknown, duplicate, rejected, too many, not summing to 100 — each a 4xx naming it, fast', async () => {
    expect((await err(setSplit(db, { model: 'signals', comment: 'x', split: [{ version: 'v9', percent: 100 }] }, 'u'))).message).toMatch(/no version v9/);
    expect((await err(setSplit(db, { model: 'nope', comment: 'x', split: [{ version: 'v1', percent: 100 }] }, 'u'))).code).toBe('NOT_FOUND');
    expect((await err(setSplit(db, { model: 'signals', comment: 'x', split: [{ version: 'v1', percent: 50 }, { version: 1, percent: 50 }] }, 'u'))).message).toMatch(/v1 is listed twice/);
    expect((await err(setSplit(db, { model: 'signals', comment: 'x', split: [{ version: 'v1', percent: 50 }, { version: 'v4', percent: 50 }] }, 'u'))).message).toMatch(/v4 is rejected/);
    expect((await err(setSplit(db, { model: 'signals', comment: 'x', split: [{ version: 'v1', percent: 50 }] }, 'u'))).message).toMatch(/sum to 100, got 50/);
    const huge = Array.from({ length: 10_000 }, (_, i) => ({ version: i + 1, percent: i === 0 ? 100 : 0 }));
    const e = await err(setSplit(db, { model: 'signals', comment: 'x', split: huge }, 'u'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/split: at most 100 versions/); // refused by the schema, before any query
  });

  it("promote: the version gets N %, the champion the rest; 100 makes it champion (one row: never none or two)", async () => {
    await promote(db, { model: 'signals', version: 'v3', percent: 30, comment: 'try v3' }, 'user:a');
    const s = await splitOf('signals');
    expect(s.v3).toBe(30);
    expect(Object.values(s).reduce((a, b) => a + b, 0)).toBe(100);
    await promote(db, { model: 'signals', version: 'v3', percent: 100, comment: 'v3 wins' }, 'user:a');
    expect(await splitOf('signals')).toEqual({ v3: 100 });
    const aliases = await db.execute(sql`select alias, count(*)::int as n from model_aliases where model_name = 'signals' group by alias`);
    expect(aliases.rows).toEqual([{ alias: 'champion', n: 1 }]);
    expect((await promotionView(db, 'signals')).champion).toBe(3);
  });

  it('rollback restores the exact earlier state and is itself recorded; the history is append-only', async () => {
    const entries = await history(db, { model: 'signals' });
    const target = entries.find((h) => h.action === 'split' && h.comment === 'A/B')!;
    const before = (await promotionView(db, 'signals')).snapshot;
    const r = await rollback(db, { model: 'signals', to: target.id, comment: 'back to the A/B' }, 'user:a');
    expect(r.snapshot.split).toEqual(target.after.split);
    expect(r.snapshot.aliases).toEqual(target.after.aliases);
    expect(r.snapshot.policy).toEqual(target.after.policy);
    const [last] = await history(db, { model: 'signals', limit: 1 });
    expect(last).toMatchObject({ action: 'rollback', comment: 'back to the A/B', actor: 'user:a' });
    expect(last.before).toEqual(before);
    const refused = (q: Promise<unknown>) => q.then(() => 'allowed', (e: Error & { cause?: Error }) => e.cause?.message ?? e.message);
    expect(await refused(db.execute(sql`update promotion_history set comment = 'edited' where id = ${last.id}`))).toMatch(/append-only \(UPDATE refused\)/);
    expect(await refused(db.execute(sql`delete from promotion_history where id = ${last.id}`))).toMatch(/append-only \(DELETE refused\)/);
    const audit = await db.execute(sql`select action, actor from audit_log where target = 'signals' and action = 'promotion.rollback'`);
    expect(audit.rows).toEqual([{ action: 'promotion.rollback', actor: 'user:a' }]);
  });

  it('aliases: champion swap keeps other challengers; a named alias pins a version', async () => {
    await setSplit(db, { model: 'signals', comment: 'three-way', split: [{ version: 1, percent: 60 }, { version: 2, percent: 30 }, { version: 3, percent: 10 }] }, 'u');
    await setAlias(db, { model: 'signals', alias: 'champion', version: 'v2', comment: 'v2 leads' }, 'u');
    expect(await splitOf('signals')).toEqual({ v2: 90, v3: 10 });
    await setAlias(db, { model: 'signals', alias: 'challenger', version: 3, comment: 'name it' }, 'u');
    const t = await routingTable(db);
    expect(t.models.find((m) => m.name === 'signals')!.aliases).toMatchObject({ champion: { version: 2 }, challenger: { version: 3 } });
  });

  it('policies decide what a new version gets; canary needs a champion and owns the split until it ends', async () => {
    await setPolicy(db, { model: 'signals', comment: 'canary new versions', policy: { mode: 'canary', canary: { steps: [20, 100], intervalSeconds: 60 } } }, 'u');
    await addVersion('signals', 5);
    expect(await applyNewVersionPolicy(db, { modelName: 'signals', versionId: ids['signals@5'], status: 'candidate', actor: 'schedule:nightly' })).toBe(true);
    const v = await promotionView(db, 'signals');
    expect(v.snapshot.canary).toMatchObject({ status: 'running', version: { version: 5 }, champion: { version: 2 } });
    expect(await splitOf('signals')).toEqual({ v2: 80, v5: 20 });
    expect((await err(promote(db, { model: 'signals', version: 3, percent: 10, comment: 'x' }, 'u'))).message).toMatch(/canary of v5 is running/);
    await canaryControl(db, 'pause', { model: 'signals', comment: 'hold on' }, 'u');
    await canaryControl(db, 'abort', { model: 'signals', comment: 'not today' }, 'u');
    expect(await splitOf('signals')).toEqual({ v2: 100 });
    await addVersion('lonely', 1);
    await setPolicy(db, { model: 'lonely', comment: 'manual', policy: { firstBecomesChampion: false } }, 'u');
    expect(await applyNewVersionPolicy(db, { modelName: 'lonely', versionId: ids['lonely@1'], status: 'candidate', actor: 'w' })).toBe(false);
    expect((await err(canaryStart(db, { model: 'lonely', version: 1, comment: 'x' }, 'u'))).message).toMatch(/no champion/);
  });

  it('shadow: set and stop, recorded; the overview lists every model', async () => {
    await setShadow(db, { model: 'signals', version: 3, sample: 0.5, comment: 'watch v3' }, 'u');
    expect((await promotionView(db, 'signals')).snapshot.shadow).toMatchObject({ version: 3, sample: 0.5 });
    await setShadow(db, { model: 'signals', version: null, comment: 'enough' }, 'u');
    const o = await promotionOverview(db);
    expect(o.map((m) => m.model)).toEqual(['signals', 'lonely']);
    expect(o[0]).toMatchObject({ champion: 2, shadow: null, canary: { status: 'aborted' } });
  });

  it("a bare vN names the only model, else ?model= is required (400 listing them)", async () => {
    const e = await err(resolveBareVersion(db, 'v1'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/several models exist \(lonely, signals\)/);
    expect(await resolveBareVersion(db, 'v2', 'signals')).toEqual({ model: 'signals', version: 2 });
  });
});

describe('who may change promotion state', () => {
  it('analysts and predict/read keys read but get 403 on every change; promote keys and engineers change', async () => {
    const analyst = await userCaller(db, 'analyst');
    expect((await analyst.promotion.state({ model: 'signals' })).model).toBe('signals');
    await expect(analyst.promotion.setSplit({ model: 'signals', comment: 'x', split: [{ version: 2, percent: 100 }] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(analyst.promotion.canary.start({ model: 'signals', version: 3, comment: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const { caller: predictKey } = await apiKeyCaller(db, ['predict', 'read']);
    await expect(predictKey.promotion.rollback({ model: 'signals', to: 1, comment: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/'train' scope/) });
    const { caller: promoteKey } = await apiKeyCaller(db, ['promote']);
    const r = await promoteKey.promotion.setAlias({ model: 'signals', alias: 'staging', version: 3, comment: 'stage v3' });
    expect(r.snapshot.aliases.staging.version).toBe(3);
    const engineer = await userCaller(db, 'engineer');
    await expect(engineer.promotion.setSplit({ model: 'signals', split: [{ version: 2, percent: 100 }] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/comment/) });
  });
});
