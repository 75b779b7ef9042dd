import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { addPlainVersion } from '../testing/versions';
import { logger } from '../log';
import type { Db } from '../db/client';
import { applyNewVersionPolicy, history, promotionView, setPolicy, setSplit } from './actions';
import { autoPromoteTick } from './auto';

/** Outcome-gated promotion: a challenger significantly better on live outcomes becomes champion, when the policy says so. */
describe('auto-promotion on outcomes', () => {
  let db: Db;
  const ids: string[] = [];
  const outcomes = async (version: number, right: number, total: number) => {
    for (let i = 0; i < total; i++) {
      await db.execute(sql`insert into prediction_outcomes (version_id, symbol, bar_ts, model_name, version, predicted, confidence, shadow, requests, first_logged_at, resolved_at, realised)
        values (${ids[version - 1]}, 'EURUSD', to_timestamp(${Date.UTC(2026, 10, 1) + i * 3_600_000} / 1000.0), 'signals', ${version}, 2, 70, false, 1, now(), now(), ${i % total < right ? 2 : 1})`);
    }
  };
  beforeAll(async () => {
    ({ db } = await createTestDb());
    for (const n of [1, 2]) ids.push((await addPlainVersion(db, 'signals', n)).id);
    await applyNewVersionPolicy(db, { modelName: 'signals', versionId: ids[0], status: 'candidate', actor: 't' });
    await setSplit(db, { model: 'signals', comment: 'A/B', split: [{ version: 1, percent: 50 }, { version: 2, percent: 50 }] }, 't');
    await outcomes(1, 160, 400); // 40 %
    await outcomes(2, 280, 400); // 70 %
  });

  it('off by default: nothing changes; enabled: the better challenger is champion, recorded with the test figures', async () => {
    expect(await autoPromoteTick(db, logger())).toEqual([]);
    expect((await promotionView(db, 'signals')).champion).toBe(1);
    await setPolicy(db, { model: 'signals', comment: 'let outcomes decide', policy: { autoPromote: { enabled: true } } }, 't');
    const r = await autoPromoteTick(db, logger());
    expect(r).toEqual([expect.objectContaining({ model: 'signals', version: 2, verdict: expect.stringMatching(/v2 is better than v1 on accuracy/) })]);
    const v = await promotionView(db, 'signals');
    expect(v.champion).toBe(2);
    expect(v.snapshot.split).toEqual([expect.objectContaining({ version: 2, percent: 100 })]);
    const [h] = await history(db, { model: 'signals', limit: 1 });
    expect(h).toMatchObject({ actor: 'auto-promote', action: 'promote', automatic: { rule: 'auto_promote', figures: { nA: 400, nB: 400 } } });
    expect(await autoPromoteTick(db, logger())).toEqual([]); // no challenger left
  });
});
