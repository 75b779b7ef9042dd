import { describe, it, expect, beforeAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../../db/test-db';
import type { Db } from '../../db/client';
import { logger } from '../../log';
import { alertEvents, alertRules, alertStates, trainingRuns, workerHeartbeats } from '../../../drizzle/schema';
import { MetricsRecorder } from '../rollups';
import { ensureDefaultRules, DEFAULT_RULES } from './rules';
import { evaluateAlerts, fingerprint, type EvaluateOptions } from './evaluate';
import { activeAlerts, alertHistory } from './views';
import { userCaller } from '../../trpc/test-helpers';

const log = logger().child({ test: 'alerts' });
const OPTS: EvaluateOptions = { staleWorkerSeconds: 30, externalUrl: 'http://signalops.test' };
const MIN = 60_000;

describe('alert evaluation over the metric store', () => {
  let db: Db;
  const rule = async (builtin: string) => (await db.select().from(alertRules).where(eq(alertRules.builtin, builtin)))[0];
  const eventsOf = async (ruleId: number) => (await db.select().from(alertEvents).where(eq(alertEvents.ruleId, ruleId))).sort((a, b) => a.id - b.id);
  const failRunAt = (model: string, at: number, error = 'dataset too small') =>
    db.insert(trainingRuns).values({ modelName: model, modelType: 'lstm', dataset: 'tiny', params: {} as never, status: 'failed', stages: [], error, createdBy: 'test', endedAt: new Date(at), createdAt: new Date(at - 5000) });

  beforeAll(async () => {
    db = (await createTestDb()).db;
    expect(await ensureDefaultRules(db)).toBe(DEFAULT_RULES.length);
    expect(await ensureDefaultRules(db)).toBe(0); // idempotent by builtin key
    // Only the rule under test in each case: no workers heart-beat in this database.
    await db.update(alertRules).set({ enabled: false }).where(eq(alertRules.builtin, 'no_live_worker'));
  });

  it('creates the defaults once, with the thresholds of the issue', async () => {
    const rows = await db.select().from(alertRules);
    const by = Object.fromEntries(rows.map((r) => [r.builtin, r]));
    expect(rows).toHaveLength(8);
    expect(by.latency_p95).toMatchObject({ metric: 'latency_p95_ms', comparator: '>', threshold: 1000, forSeconds: 300, enabled: true });
    expect(by.error_rate).toMatchObject({ metric: 'error_rate', comparator: '>', threshold: 1, forSeconds: 300 });
    expect(by.training_failed).toMatchObject({ metric: 'training_run_failed', forSeconds: 0 });
    expect(by.no_live_worker).toMatchObject({ metric: 'live_workers', comparator: '<', threshold: 1, forSeconds: 120 });
    expect(by.cpu_high).toMatchObject({ threshold: 90, forSeconds: 300 });
    expect(by.memory_high).toMatchObject({ threshold: 90, forSeconds: 300 });
    expect(by.no_predictions).toMatchObject({ metric: 'predictions', enabled: false });
  });

  it('p95 latency and error rate over roll-ups: pending, firing after `for`, resolved when traffic is healthy again', async () => {
    const t0 = Math.floor(Date.now() / 10_000) * 10_000 - 3 * 3_600_000; // an hour of its own, in the past
    let now = t0;
    const rec = new MetricsRecorder(db, log, { processId: 'serve@t:1', flushEveryMs: 0, now: () => now });
    // 10 minutes of slow traffic (1.5 s per prediction, 5 % errors), then 10 minutes of fast, clean traffic.
    for (let s = 0; s < 1200; s += 10) {
      now = t0 + s * 1000;
      const slow = s < 600;
      for (let i = 0; i < 20; i++) rec.prediction({ model: 'slowpoke', version: 1, latencyMs: slow ? 1500 : 5, cacheHit: false, imputed: false, direction: 'BUY', confidence: 80, symbol: 'EURUSD' });
      if (slow) rec.failure({ status: 503, model: 'slowpoke', version: 1, latencyMs: 2 });
      await rec.flush(true);
    }
    const lat = await rule('latency_p95');
    const err = await rule('error_rate');
    const at = async (sec: number) => evaluateAlerts(db, { ...OPTS, now: t0 + sec * 1000, log });
    await at(60);
    let active = await activeAlerts(db);
    expect(active.find((a) => a.ruleId === lat.id)).toMatchObject({ state: 'pending', labels: { model: 'slowpoke' }, value: expect.any(Number) });
    expect(active.find((a) => a.ruleId === lat.id)!.value!).toBeGreaterThan(1000);
    expect(active.find((a) => a.ruleId === err.id)).toMatchObject({ state: 'pending', labels: { model: 'slowpoke' } });
    expect(await eventsOf(lat.id)).toHaveLength(0);
    await at(300);
    expect((await activeAlerts(db)).find((a) => a.ruleId === lat.id)?.state).toBe('pending'); // held 240 s < 300 s
    const r = await at(360);
    expect(r.transitions.filter((t) => t.transition === 'firing').map((t) => t.ruleId).sort()).toEqual([lat.id, err.id].sort());
    active = await activeAlerts(db);
    expect(active.find((a) => a.ruleId === lat.id)).toMatchObject({ state: 'firing', firedAt: new Date(t0 + 360_000), activeSince: new Date(t0 + 60_000) });
    const [fired] = await eventsOf(lat.id);
    expect(fired).toMatchObject({ status: 'firing', fingerprint: fingerprint(lat.id, { model: 'slowpoke' }), labels: { alertname: 'High p95 latency', severity: 'warning', model: 'slowpoke' }, startsAt: new Date(t0 + 60_000), endsAt: null });
    expect(fired.annotations.summary).toMatch(/High p95 latency: latency_p95_ms [\d,.]+ ms > 1,000 ms for 300 s/);
    await at(420); // still firing: no second notification
    expect(await eventsOf(lat.id)).toHaveLength(1);
    // The last 300 s are fast and clean: both resolve (one event each), with the time it ended.
    await at(1000);
    const evs = await eventsOf(lat.id);
    expect(evs.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(evs[1]).toMatchObject({ startsAt: new Date(t0 + 60_000), endsAt: new Date(t0 + 1_000_000) });
    expect((await eventsOf(err.id)).map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect((await activeAlerts(db)).filter((a) => a.ruleId === lat.id || a.ruleId === err.id)).toEqual([]);
    // No traffic at all later: the series vanishes and its state row goes.
    await at(3000);
    expect(await db.select().from(alertStates).where(eq(alertStates.ruleId, lat.id))).toHaveLength(0);
  });

  it('a failed training run fires at once (for 0) per model, with the run’s error, and resolves once it leaves the window', async () => {
    const t0 = Date.now() - 2 * 3_600_000;
    const tf = await rule('training_failed');
    await failRunAt('eurusd-lstm', t0 - 20_000, "dataset 'tiny' gives 12 training windows; training needs at least 128");
    const r = await evaluateAlerts(db, { ...OPTS, now: t0, log });
    expect(r.transitions).toContainEqual({ ruleId: tf.id, fingerprint: fingerprint(tf.id, { model: 'eurusd-lstm' }), transition: 'firing' });
    const [ev] = await eventsOf(tf.id);
    expect(ev).toMatchObject({ status: 'firing', value: 1, labels: { alertname: 'Training run failed', model: 'eurusd-lstm' } });
    expect(ev.annotations.description).toContain('training needs at least 128');
    const hist = await alertHistory(db, { ruleId: tf.id });
    expect(hist[0]).toMatchObject({ rule: 'Training run failed', status: 'firing', deliveries: { sent: 0, pending: 0, failed: 0 } });
    await evaluateAlerts(db, { ...OPTS, now: t0 + 5 * MIN });
    expect(await eventsOf(tf.id)).toHaveLength(1);
    await evaluateAlerts(db, { ...OPTS, now: t0 + 16 * MIN }); // 900 s window passed
    expect((await eventsOf(tf.id)).map((e) => e.status)).toEqual(['firing', 'resolved']);
  });

  it('no live worker: pending, then firing after 120 s without a heartbeat; resolved when a worker beats again', async () => {
    const nw = await rule('no_live_worker');
    await db.update(alertRules).set({ enabled: true }).where(eq(alertRules.id, nw.id));
    const t0 = Date.now();
    await evaluateAlerts(db, { ...OPTS, now: t0 });
    expect((await activeAlerts(db)).find((a) => a.ruleId === nw.id)).toMatchObject({ state: 'pending', value: 0, labels: {} });
    await evaluateAlerts(db, { ...OPTS, now: t0 + 121_000 });
    expect((await eventsOf(nw.id)).map((e) => e.status)).toEqual(['firing']);
    await db.insert(workerHeartbeats).values({ id: 'w-test', host: 'h', pid: 1, version: 'x', startedAt: new Date(t0), lastSeenAt: new Date(t0 + 130_000), currentJob: null });
    await evaluateAlerts(db, { ...OPTS, now: t0 + 136_000 });
    expect((await eventsOf(nw.id)).map((e) => e.status)).toEqual(['firing', 'resolved']);
    await db.update(alertRules).set({ enabled: false }).where(eq(alertRules.id, nw.id));
  });

  it('disabling a firing rule resolves its alerts', async () => {
    const t0 = Date.now() - 3 * 3_600_000 + 30 * MIN;
    const tf = await rule('training_failed');
    await failRunAt('gbpusd-gru', t0 - 1000);
    await evaluateAlerts(db, { ...OPTS, now: t0 });
    const fp = fingerprint(tf.id, { model: 'gbpusd-gru' });
    expect((await activeAlerts(db)).find((a) => a.fingerprint === fp)?.state).toBe('firing');
    await db.update(alertRules).set({ enabled: false }).where(eq(alertRules.id, tf.id));
    await evaluateAlerts(db, { ...OPTS, now: t0 + 15_000 });
    expect((await eventsOf(tf.id)).filter((e) => e.fingerprint === fp).map((e) => e.status)).toEqual(['firing', 'resolved']);
    await db.update(alertRules).set({ enabled: true }).where(eq(alertRules.id, tf.id));
  });

  it('two evaluators at once (two connections, one tick): one evaluates, the other skips; one firing event', async () => {
    const t0 = Date.now() - 3 * 3_600_000 + 50 * MIN;
    const tf = await rule('training_failed');
    await failRunAt('concurrent-model', t0 - 1000);
    const second = (await createTestDbClone(db)) as Db;
    const [a, b] = await Promise.all([
      evaluateAlerts(db, { ...OPTS, now: t0, minIntervalMs: 12_000 }),
      evaluateAlerts(second, { ...OPTS, now: t0, minIntervalMs: 12_000 }),
    ]);
    expect([a.skipped, b.skipped].filter((s) => s === null)).toHaveLength(1);
    expect([a.skipped, b.skipped].filter((s) => s !== null)[0]).toMatch(/locked|recent/);
    // A later evaluator within the same tick skips as well.
    expect((await evaluateAlerts(second, { ...OPTS, now: t0 + 5000, minIntervalMs: 12_000 })).skipped).toBe('recent');
    const fp = fingerprint(tf.id, { model: 'concurrent-model' });
    expect((await eventsOf(tf.id)).filter((e) => e.fingerprint === fp)).toHaveLength(1);
    // The next tick evaluates.
    expect((await evaluateAlerts(second, { ...OPTS, now: t0 + 15_000, minIntervalMs: 12_000 })).skipped).toBeNull();
  });

  it('rules through tRPC: bad definitions are 400s naming the field; analysts read only; built-ins are not deletable', async () => {
    const engineer = await userCaller(db, 'engineer');
    const analyst = await userCaller(db, 'analyst');
    const good = { name: 'Slow model X', metric: 'latency_p95_ms', comparator: '>' as const, threshold: 250, forSeconds: 60, params: { windowSeconds: 120, model: 'x' } };
    const bad = async (patch: Record<string, unknown>, field: RegExp) => {
      const e = await engineer.alerts.createRule({ ...good, ...patch } as never).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e, JSON.stringify(patch)).toMatchObject({ code: 'BAD_REQUEST' });
      expect((e as Error).message).toMatch(field);
    };
    await bad({ metric: 'latency_p99_bananas' }, /metric: unknown metric 'latency_p99_bananas'/);
    await bad({ forSeconds: -5 }, /forSeconds/);
    await bad({ threshold: 1e9 }, /threshold: 1000000000 is outside the range of latency_p95_ms/);
    await bad({ comparator: '>=' }, /comparator/);
    await bad({ params: { windowSeconds: 1 } }, /params\.windowSeconds/);
    await bad({ params: { colour: 'red' } }, /params.*colour/);
    await bad({ metric: 'error_rate', threshold: 150 }, /threshold: 150 is outside the range of error_rate \(0 to 100 %\)/);
    const created = await engineer.alerts.createRule(good);
    expect(created).toMatchObject({ name: 'Slow model X', enabled: true, severity: 'warning', builtin: null, params: { windowSeconds: 120, model: 'x' } });
    await expect(analyst.alerts.createRule({ ...good, name: 'nope' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(analyst.alerts.setRuleEnabled({ id: created.id, enabled: false })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await analyst.alerts.rules()).map((r) => r.name)).toContain('Slow model X');
    const upd = await engineer.alerts.updateRule({ id: created.id, threshold: 500, forSeconds: 0 });
    expect(upd).toMatchObject({ threshold: 500, forSeconds: 0 });
    await expect(engineer.alerts.updateRule({ id: created.id, threshold: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/threshold/) });
    await expect(engineer.alerts.createRule(good)).rejects.toMatchObject({ code: 'CONFLICT' });
    const builtin = await rule('cpu_high');
    await expect(engineer.alerts.deleteRule({ id: builtin.id })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/built-in/) });
    expect(await engineer.alerts.setRuleEnabled({ id: builtin.id, enabled: false })).toMatchObject({ enabled: false });
    expect(await engineer.alerts.updateRule({ id: builtin.id, threshold: 95, enabled: true })).toMatchObject({ threshold: 95, enabled: true, builtin: 'cpu_high' });
    expect(await engineer.alerts.deleteRule({ id: created.id })).toEqual({ id: created.id });
    const metrics = await analyst.alerts.metrics();
    expect(metrics.map((m) => m.id)).toEqual(expect.arrayContaining(['latency_p95_ms', 'error_rate', 'training_run_failed', 'live_workers', 'cpu_percent', 'memory_percent', 'predictions']));
    expect(metrics.find((m) => m.id === 'latency_p95_ms')).toMatchObject({ unit: 'ms', defaults: { windowSeconds: 300 } });
  });
});

/** A second pool on the same database (a second "worker"). */
async function createTestDbClone(db: Db) {
  const { openDb } = await import('../../db/client');
  const opts = db.$client.options as { connectionString: string };
  const h = openDb(opts.connectionString, { max: 3 });
  const { afterAll } = await import('vitest');
  afterAll(() => h.close());
  return h.db;
}
