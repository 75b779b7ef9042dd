/**
 * Promotion against a real serve process: the trading team's promote call, an atomic champion swap under load, a
 * canary promoted by passing checks and one rolled back by real failing traffic, and shadow answers that are
 * computed and logged but never returned. Checks read the serve process's own roll-ups (1-s intervals here).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { createApiKey } from '../auth/apikeys';
import { closeProducerBosses } from '../jobs/queue';
import { freePort } from '../db/embedded';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';
import { logger } from '../log';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';
import { applyNewVersionPolicy, canaryStart, history, promotionView, setAlias, setPolicy, setShadow, promote } from './actions';
import { canaryTick } from './canary';

const log = logger().child({ test: 'canary-serve' });

describe('promotion with a real serve process', () => {
  let db: Db;
  let port: number;
  let key: string;
  let promoteKey: string;
  let serve: Spawned;
  const train = async (seed: number) => {
    const r = await startRun(db, { dataset: 'planted', modelName: 'signals', modelType: 'logreg', window: 8, epochs: 8, seed } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log, onRegistered: (v) => applyNewVersionPolicy(db, v) });
    expect(out.version?.status, out.error).toBe('candidate');
    return out.version!;
  };
  const predict = async (body: Record<string, unknown>) => {
    const r = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as { model_version?: string; error?: { message: string } } };
  };
  const good = (i: number) => ({ symbol: 'EURUSD', routing_key: `acct-${i}`, indicators: { rsi_value: 30 + (i % 40), macd_line: 0.001, ema_12: 1.0851, atr_value: 0.0011, volume_ma: 1200 } });
  /** Fails after routing (strict mode, missing indicators): a 400 counted against the version that was chosen. */
  const bad = (i: number) => ({ symbol: 'EURUSD', routing_key: `acct-${i}`, strict: true, indicators: { rsi_value: 30 + (i % 40) } });
  const splitServed = async () => {
    const info = (await (await fetch(`http://127.0.0.1:${port}/model/info`, { headers: { authorization: `Bearer ${key}` } })).json()) as { models: { split: { version: string; percent: number; loaded: boolean }[] }[] };
    return Object.fromEntries(info.models[0].split.filter((s) => s.loaded).map((s) => [s.version, s.percent]));
  };
  const waitServed = (want: Record<string, number>) => waitFor(async () => JSON.stringify(await splitServed()) === JSON.stringify(want), 10_000, `serve split ${JSON.stringify(want)}`);
  /** Sends traffic until the canary's step is due, then evaluates it (as a worker would). */
  const runStep = async (body: (i: number) => Record<string, unknown>) => {
    const c = (await promotionView(db, 'signals')).snapshot.canary!;
    const due = Date.parse(c.nextCheckAt!);
    let i = 0;
    while (Date.now() < due) {
      await Promise.all(Array.from({ length: 8 }, () => predict(body(i++))));
    }
    await new Promise((r) => setTimeout(r, 2500)); // the serve process flushes 1-s roll-ups every second
    return canaryTick(db, log);
  };

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    process.env.DATABASE_URL = t.url;
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(3000, 3), 'mt-comma')), dataset: 'planted', symbol: 'EURUSD', actor: 'test' });
    await train(7); // v1: champion, 100 %
    await setPolicy(db, { model: 'signals', comment: 'new versions wait', policy: { mode: 'none' } }, 'user:t');
    await train(8); // v2: registered, no traffic
    // The canary steps send traffic as fast as the serve process answers, far above the default per-key limit.
    key = (await createApiKey(db, { name: 'trading-app', scopes: ['predict'], rateLimitPerMinute: 10_000_000 }, 'test')).key;
    promoteKey = (await createApiKey(db, { name: 'trainer', scopes: ['promote'] }, 'test')).key;
    port = await freePort();
    serve = spawnTs('server/bin/serve.ts', [], { DATABASE_URL: t.url, INFERENCE_PORT: String(port), HOSTNAME: '127.0.0.1', SERVE_WORKERS: '1', MONITORING_INTERVAL_SECONDS: '1', SERVING_SHADOW_MAX_BUSY: '1' }); // mirror every request here (shedding under load is tested in routing.test.ts)
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok, 60_000, 'serve');
  }, 240_000);
  afterAll(async () => {
    serve?.proc.kill('SIGTERM');
    await serve?.exited;
    await closeProducerBosses();
  });

  it("the trading team's POST /models/{v}/promote?traffic_percentage=N answers their shape; 403 without the scope; 400 naming the field", async () => {
    const { POST } = await import('../../app/api/v1/promote/[version]/route');
    const call = (q: string, k = promoteKey) => POST(new Request(`http://x/api/v1/promote/v2?${q}`, { method: 'POST', headers: { authorization: `Bearer ${k}` } }));
    const res = await call('traffic_percentage=50');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'success', result: { model_version: 'v2', traffic_percentage: 50, status: 'promoted', champion: 'v1' } });
    await waitServed({ v1: 50, v2: 50 });
    expect((await call('traffic_percentage=50', key)).status).toBe(403);
    const missing = await call('');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/traffic_percentage: required/);
    expect((await call('traffic_percentage=150')).status).toBe(400);
    const [h] = await history(db, { model: 'signals', limit: 1 });
    expect(h).toMatchObject({ actor: 'apikey:trainer', action: 'promote', comment: expect.stringMatching(/traffic_percentage=50/) });
    // The same with the model in the path, and a comment.
    const { POST: byModel } = await import('../../app/api/v1/models/[model]/[version]/promote/route');
    const r2 = await byModel(new Request('http://x/api/v1/models/signals/v2/promote?traffic_percentage=40&comment=less', { method: 'POST', headers: { authorization: `Bearer ${promoteKey}` } }));
    expect(await r2.json()).toMatchObject({ result: { model: 'signals', model_version: 'v2', traffic_percentage: 40, split: [{ model_version: 'v1', traffic_percentage: 60 }, { model_version: 'v2', traffic_percentage: 40 }] } });
    expect((await history(db, { model: 'signals', limit: 1 }))[0].comment).toBe('less');
  });

  it('swapping the champion under load: every request meets exactly one version, none fails', async () => {
    await promote(db, { model: 'signals', version: 1, percent: 100, comment: 'back to v1 only' }, 'user:t');
    await waitServed({ v1: 100 });
    let stop = false;
    const seen = new Map<string, number>();
    let failures = 0;
    const load = (async () => {
      let i = 0;
      while (!stop) {
        const rs = await Promise.all(Array.from({ length: 6 }, () => predict({ ...good(i++), alias: 'champion' })));
        for (const r of rs) {
          if (r.status !== 200) failures++;
          else seen.set(r.body.model_version!, (seen.get(r.body.model_version!) ?? 0) + 1);
        }
      }
    })();
    for (const v of [2, 1, 2, 1, 2]) {
      await setAlias(db, { model: 'signals', alias: 'champion', version: v, comment: `swap to v${v}` }, 'user:t');
      await waitServed({ [`v${v}`]: 100 });
    }
    stop = true;
    await load;
    expect(failures).toBe(0);
    expect([...seen.keys()].sort()).toEqual(['v1', 'v2']);
    expect((await predict({ ...good(1), alias: 'nope' })).status).toBe(404);
  });

  it('a canary passes its checks step by step and becomes champion', async () => {
    // Champion is v2 now; the canary steps v1 up.
    await canaryStart(db, { model: 'signals', version: 1, comment: 'canary v1', config: { steps: [50, 100], intervalSeconds: 10, minRequests: 20, maxErrorRatePct: 1, maxP99Ms: 5000 } }, 'user:t');
    await waitServed({ v1: 50, v2: 50 });
    const first = await runStep(good);
    expect(first).toEqual([expect.objectContaining({ outcome: 'step' })]);
    await waitServed({ v1: 100 });
    const second = await runStep(good);
    expect(second).toEqual([expect.objectContaining({ outcome: 'promote' })]);
    const v = await promotionView(db, 'signals');
    expect(v.champion).toBe(1);
    expect(v.snapshot.canary).toMatchObject({ status: 'promoted', evaluations: [{ passed: true }, { passed: true }] });
    const passed = v.snapshot.canary!.evaluations[0].checks.find((c) => c.id === 'min_requests')!;
    expect(passed.value).toBeGreaterThanOrEqual(20);
    const actions = (await history(db, { model: 'signals', limit: 3 })).map((h) => [h.action, h.actor]);
    expect(actions).toEqual([['canary.promote', 'canary'], ['canary.step', 'canary'], ['canary.start', 'user:t']]);
  }, 90_000);

  it('failing traffic rolls a canary back to the champion at 100 %, with the failing figures recorded', async () => {
    await canaryStart(db, { model: 'signals', version: 2, comment: 'canary v2', config: { steps: [50, 100], intervalSeconds: 10, threshold: 1, minRequests: 10, maxErrorRatePct: 1 } }, 'user:t');
    await waitServed({ v1: 50, v2: 50 });
    const r = await runStep(bad);
    expect(r).toEqual([expect.objectContaining({ outcome: 'rollback' })]);
    await waitServed({ v1: 100 });
    const [h] = await history(db, { model: 'signals', limit: 1 });
    expect(h.action).toBe('canary.rollback');
    expect(h.automatic?.message).toMatch(/rolled back after 1 failed check .* error_rate 100 %/);
    const checks = (h.automatic?.figures as { checks: { id: string; value: number; passed: boolean }[] }).checks;
    expect(checks.find((c) => c.id === 'error_rate')).toMatchObject({ value: 100, passed: false });
    // A second tick finds nothing due: each step is evaluated once.
    expect(await canaryTick(db, log)).toEqual([]);
  }, 60_000);

  it('a shadow answers every mirrored request off the response path: logged as shadow, never returned', async () => {
    await setShadow(db, { model: 'signals', version: 2, sample: 1, comment: 'shadow v2' }, 'user:t');
    await waitFor(async () => {
      const info = (await (await fetch(`http://127.0.0.1:${port}/model/info`, { headers: { authorization: `Bearer ${key}` } })).json()) as { models: { shadow: { version: string; loaded: boolean } | null }[] };
      return info.models[0].shadow?.version === 'v2' && info.models[0].shadow.loaded;
    }, 10_000, 'shadow loaded');
    const answers = new Set<string>();
    for (let i = 0; i < 40; i++) answers.add((await predict(good(1000 + i))).body.model_version!);
    expect([...answers]).toEqual(['v1']);
    const rows = await waitFor(async () => {
      const r = await db.execute(sql`select coalesce(sum(requests), 0)::int as n, coalesce(sum(agree), 0)::int as agree from shadow_rollups where model_name = 'signals' and version = 2 and primary_version = 1`);
      const x = r.rows[0] as { n: number; agree: number };
      return x.n >= 40 ? x : null;
    }, 15_000, 'shadow roll-ups');
    expect(rows.n).toBe(40);
    const logged = await waitFor(async () => {
      const r = await db.execute(sql`select count(*)::int as n from prediction_log where shadow and version = 2`);
      return (r.rows[0] as { n: number }).n >= 40 ? (r.rows[0] as { n: number }).n : null;
    }, 15_000, 'shadow log rows');
    expect(logged).toBe(40);

  }, 60_000);
});
