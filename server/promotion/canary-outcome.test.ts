import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { addPlainVersion } from '../testing/versions';
import type { Db } from '../db/client';
import { applyNewVersionPolicy, canaryStart, promotionView, setPolicy } from './actions';
import { evaluateCanaryChecks } from './canary';

/** The canary's outcome check: the challenger may not be significantly worse than the champion on live outcomes. */
describe('canary outcome check', () => {
  let db: Db;
  const ids: string[] = [];
  const outcomes = async (version: number, right: number, total: number, from: number) => {
    for (let i = 0; i < total; i++) {
      await db.execute(sql`insert into prediction_outcomes (version_id, symbol, bar_ts, model_name, version, predicted, confidence, shadow, requests, first_logged_at, resolved_at, realised)
        values (${ids[version - 1]}, 'EURUSD', to_timestamp(${from + i * 10_000} / 1000.0), 'signals', ${version}, 2, 70, false, 1, now(), now(), ${i < right ? 2 : 1})`);
    }
  };
  beforeAll(async () => {
    ({ db } = await createTestDb());
    for (const n of [1, 2, 3]) ids.push((await addPlainVersion(db, 'signals', n)).id);
    await applyNewVersionPolicy(db, { modelName: 'signals', versionId: ids[0], status: 'candidate', actor: 't' });
    await setPolicy(db, { model: 'signals', comment: 'manual', policy: { mode: 'none' } }, 't');
  });

  it('passes without enough outcomes (unless required), fails when the canary is clearly worse', async () => {
    const t0 = Date.now() - 3_600_000;
    await canaryStart(db, { model: 'signals', version: 2, comment: 'c', config: { extraChecks: [{ id: 'outcome_vs_champion', params: { marginPct: 2, minOutcomes: 30 } }] } }, 't', t0);
    const c = (await promotionView(db, 'signals')).snapshot.canary!;
    const check = async () => (await evaluateCanaryChecks(db, 'signals', c, Date.now())).find((k) => k.id === 'outcome_vs_champion')!;
    expect(await check()).toMatchObject({ value: null, passed: true, detail: expect.stringMatching(/0 canary and 0 champion outcomes/) });
    await outcomes(1, 120, 200, t0 + 1000); // champion 60 %
    await outcomes(2, 60, 200, t0 + 1000); // canary 30 %
    const worse = await check();
    expect(worse.passed).toBe(false);
    expect(worse.value).toBeCloseTo(-30, 6);
    expect(worse.detail).toMatch(/canary 30.0 % of 200 vs champion 60.0 % of 200/);
    const required = await evaluateCanaryChecks(db, 'signals', { ...c, config: { ...c.config, extraChecks: [{ id: 'outcome_vs_champion', params: { minOutcomes: 500, requireOutcomes: true } }] } }, Date.now());
    expect(required.find((k) => k.id === 'outcome_vs_champion')!.passed).toBe(false);
  });
});
