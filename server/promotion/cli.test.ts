import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { runCli } from '../testing/processes';
import { addPlainVersion } from '../testing/versions';
import { applyNewVersionPolicy } from './actions';

/** `npm run cli -- promote|rollback|canary|shadow|promotion …` on a real database, as an operator would. */
describe('promotion CLI', () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    const { db, url } = await createTestDb();
    env = { DATABASE_URL: url };
    const v1 = await addPlainVersion(db, 'signals', 1);
    await addPlainVersion(db, 'signals', 2);
    await applyNewVersionPolicy(db, { modelName: 'signals', versionId: v1.id, status: 'candidate', actor: 'worker:t' });
  });

  it('promote, history --json, rollback of the last change, canary and its status; a missing comment is refused', async () => {
    const refused = await runCli(['promote', 'signals', 'v2', '--percent', '25', '--json'], env);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.message).toMatch(/comment: say why/);

    const p = await runCli(['promote', 'signals', 'v2', '--percent', '25', '--comment', 'A/B start', '--json'], env);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).snapshot.split).toEqual([expect.objectContaining({ version: 1, percent: 75 }), expect.objectContaining({ version: 2, percent: 25 })]);

    const h = await runCli(['promotion', 'history', 'signals', '--json'], env);
    const doc = JSON.parse(h.stdout) as { history: { id: number; action: string; actor: string; comment: string | null }[] };
    expect(doc.history.map((e) => [e.action, e.actor, e.comment])).toEqual([
      ['promote', 'cli', 'A/B start'],
      ['new_version', 'worker:t', null],
    ]);

    const rb = await runCli(['rollback', 'signals', '--comment', 'undo', '--json'], env);
    expect(rb.code, rb.stderr).toBe(0);
    expect(JSON.parse(rb.stdout).snapshot.split).toEqual([expect.objectContaining({ version: 1, percent: 100 })]);

    const c = await runCli(['canary', 'start', 'signals', 'v2', '--steps', '10,50,100', '--interval', '60', '--comment', 'canary v2'], env);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/canary v2 running at step 1\/3 \(10 %\)/);
    const st = await runCli(['canary', 'status', 'signals'], env);
    expect(st.stdout).toMatch(/canary v2 vs champion v1 — running, step 1\/3 \(10 %\), failed checks 0\/2, next check/);
    const bad = await runCli(['canary', 'start', 'signals', 'v2', '--steps', '50,10', '--comment', 'x'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/strictly increasing/);
  }, 120_000);
});
