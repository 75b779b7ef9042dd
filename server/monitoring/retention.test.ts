import { describe, it, expect, beforeAll, beforeEach } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { createTestDb } from '../db/test-db';
import { logger } from '../log';
import { parseConfig, ConfigError } from '../config';
import { runCli } from '../testing/processes';
import { PredictionLogWriter, predictionLogDroppedTotal, type PredictionLogEntry } from '../serving/prediction-log';
import { prunePredictionLog, countExpiredPredictions, retentionHorizon } from './retention';
import type { Db } from '../db/client';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const H = NOW.getTime() - 30 * DAY; // the horizon for 30 days

const entry = (model: string, at: number, i: number): PredictionLogEntry => ({
  at,
  modelName: model,
  versionId: '00000000-0000-0000-0000-000000000001',
  version: 1,
  symbol: 'EURUSD',
  barTime: null,
  inputHash: `h${i}`,
  direction: 'HOLD',
  confidence: 50,
  probabilities: [0.2, 0.5, 0.3],
  latencyMs: 1,
  cacheHit: false,
  imputed: [],
  stepsReal: 30,
  features: Array.from({ length: 16 }, (_, k) => k),
});

describe('prediction log retention', () => {
  let db: Db;
  let url: string;
  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    url = t.url;
  });
  beforeEach(async () => {
    await db.$client.query('truncate prediction_log');
  });

  /** Inserts rows of `model` at the given instants (ms since epoch), exactly (no float rounding). */
  const insertAt = async (model: string, ats: number[]) => {
    await db.$client.query(
      `insert into prediction_log (at, model_name, version_id, version, symbol, input_hash, direction, confidence, probabilities, latency_ms, cache_hit, imputed, steps_real, served_by)
       select t, $1, '00000000-0000-0000-0000-000000000001', 1, 'EURUSD', 'h', 'HOLD', 50, '{0.2,0.5,0.3}', 1, false, '{}', 30, 'test'
       from unnest($2::timestamptz[]) as u(t)`,
      [model, ats.map((ms) => new Date(ms).toISOString())],
    );
  };
  const remaining = async () => (await db.$client.query(`select model_name, at from prediction_log order by model_name, at`)).rows as { model_name: string; at: Date }[];

  it('deletes exactly the rows past the horizon (± 1 s), per model, in statements of at most batchSize rows; a second run deletes nothing', async () => {
    // model a: 20 rows older than the horizon (the newest 1 s before it), one exactly at it, 5 after (the oldest 1 s after).
    await insertAt('a', [...Array.from({ length: 20 }, (_, k) => H - 1000 - k * 60_000), H, ...Array.from({ length: 5 }, (_, k) => H + 1000 + k * 60_000)]);
    // model b: exactly one batch's worth (7) before → a full statement then an empty one ends it; 3 after.
    await insertAt('b', [...Array.from({ length: 7 }, (_, k) => H - 1000 - k * DAY), H + 1000, H + 2000, NOW.getTime()]);
    const keep = (await remaining()).filter((r) => r.at.getTime() >= H);
    expect(keep).toHaveLength(9);

    const dry = await prunePredictionLog(db, { retentionDays: 30, now: NOW, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, expired: 27, deleted: 0, batches: 0, byModel: { a: 20, b: 7 }, horizon: new Date(H).toISOString() });
    expect(await remaining()).toHaveLength(36);
    expect(await countExpiredPredictions(db, { retentionDays: 30, now: NOW })).toMatchObject({ total: 27, byModel: { a: 20, b: 7 } });

    const batches: Array<{ model: string; deleted: number }> = [];
    const r = await prunePredictionLog(db, { retentionDays: 30, now: NOW, batchSize: 7, pauseMs: 0, onBatch: (b) => batches.push({ model: b.model, deleted: b.deleted }) });
    expect(r).toMatchObject({ dryRun: false, deleted: 27, byModel: { a: 20, b: 7 }, complete: true, stoppedBy: null, skipped: null, batchSize: 7 });
    expect(batches).toEqual([
      { model: 'a', deleted: 7 },
      { model: 'a', deleted: 7 },
      { model: 'a', deleted: 6 },
      { model: 'b', deleted: 7 },
      { model: 'b', deleted: 0 },
    ]);
    expect(r.batches).toBe(batches.length);
    expect(await remaining()).toEqual(keep);

    // idempotent: nothing more to delete, one (empty) statement per model
    const again = await prunePredictionLog(db, { retentionDays: 30, now: NOW, batchSize: 7, pauseMs: 0 });
    expect(again).toMatchObject({ deleted: 0, batches: 2, byModel: {}, complete: true });
    expect(await remaining()).toEqual(keep);
    // an empty table: no statement at all
    await db.$client.query('truncate prediction_log');
    expect(await prunePredictionLog(db, { retentionDays: 30, now: NOW })).toMatchObject({ deleted: 0, batches: 0, complete: true });
  });

  it('is exact to the microsecond across batches (rows sharing an instant split over statements; 1 µs either side of the horizon)', async () => {
    const offsetsUs = [...Array(9).fill(-500), -1, -2, -3, -999, 0, 1];
    await db.$client.query(
      `insert into prediction_log (at, model_name, version_id, version, symbol, input_hash, direction, confidence, probabilities, latency_ms, cache_hit, imputed, steps_real, served_by)
       select $1::timestamptz + make_interval(secs => us / 1e6), 'm', '00000000-0000-0000-0000-000000000001', 1, 'X', 'h', 'HOLD', 50, '{0.2,0.5,0.3}', 1, false, '{}', 30, 'test'
       from unnest($2::int[]) as u(us)`,
      [new Date(H).toISOString(), offsetsUs],
    );
    const r = await prunePredictionLog(db, { retentionDays: 30, now: NOW, batchSize: 2, pauseMs: 0 });
    expect(r).toMatchObject({ deleted: 13, batches: 7, complete: true });
    const left = (await db.$client.query(`select extract(epoch from at - $1::timestamptz) * 1e6 as us from prediction_log order by at`, [new Date(H).toISOString()])).rows;
    expect(left.map((x) => Math.round(Number(x.us)))).toEqual([0, 1]);
  });

  it('serving keeps inserting while a prune runs: every new entry is written, none dropped, only old rows deleted', async () => {
    await insertAt('c', Array.from({ length: 3000 }, (_, k) => H - 1000 - k * 1000));
    const droppedBefore = predictionLogDroppedTotal();
    const w = new PredictionLogWriter(db, logger(), 'test', { maxBuffer: 20_000, flushMs: 5, batchSize: 50 });
    let pushed = 0;
    const feed = setInterval(() => {
      for (let i = 0; i < 50; i++) w.push(entry(i % 2 ? 'c' : 'd', NOW.getTime() - 5 * 60_000, pushed++));
    }, 2);
    const r = await prunePredictionLog(db, { retentionDays: 30, now: NOW, batchSize: 100, pauseMs: 2 });
    clearInterval(feed);
    await w.stop();
    expect(r).toMatchObject({ deleted: 3000, byModel: { c: 3000 }, complete: true });
    expect(r.batches).toBeGreaterThanOrEqual(31);
    expect(pushed).toBeGreaterThan(0);
    expect(w.stats).toMatchObject({ written: pushed, overflow: 0, failedWrites: 0 });
    expect(w.dropped).toBe(0);
    expect(predictionLogDroppedTotal()).toBe(droppedBefore);
    expect(Number((await db.$client.query(`select count(*)::int as n from prediction_log`)).rows[0].n)).toBe(pushed);
  });

  it('one run at a time: while another session holds the retention lock a run is skipped; an aborted run stops between statements', async () => {
    await insertAt('a', [H - 1000, H - 2000, H - 3000]);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query(`select pg_advisory_lock('8318833335081760116'::bigint)`);
      const skipped = await prunePredictionLog(db, { retentionDays: 30, now: NOW });
      expect(skipped).toMatchObject({ deleted: 0, batches: 0, complete: false, skipped: expect.stringMatching(/another/) });
    } finally {
      await other.end();
    }
    const ac = new AbortController();
    const stopped = await prunePredictionLog(db, { retentionDays: 30, now: NOW, batchSize: 1, pauseMs: 0, signal: ac.signal, onBatch: () => ac.abort() });
    expect(stopped).toMatchObject({ deleted: 1, batches: 1, complete: false, stoppedBy: 'aborted' });
    expect(await prunePredictionLog(db, { retentionDays: 30, now: NOW, pauseMs: 0 })).toMatchObject({ deleted: 2, complete: true });
  });

  it('the writer counts what it drops, per writer and for the process (signalops_prediction_log_dropped_total)', async () => {
    const before = predictionLogDroppedTotal();
    const w = new PredictionLogWriter(db, logger(), 'test', { maxBuffer: 3, flushMs: 60_000, batchSize: 10 });
    for (let i = 0; i < 8; i++) w.push(entry('e', NOW.getTime(), i));
    expect(w.dropped).toBe(5);
    expect(predictionLogDroppedTotal()).toBe(before + 5);
    await w.stop();
  });

  it('the horizon is now − days; days must be positive; PREDICTION_LOG_RETENTION_DAYS is parsed (default 30) and a bad value names it', () => {
    expect(retentionHorizon(30, NOW).getTime()).toBe(H);
    expect(() => retentionHorizon(0, NOW)).toThrow(/positive/);
    expect(parseConfig({}).PREDICTION_LOG_RETENTION_DAYS).toBe(30);
    expect(parseConfig({ PREDICTION_LOG_RETENTION_DAYS: '7' }).PREDICTION_LOG_RETENTION_DAYS).toBe(7);
    for (const bad of ['thirty', '0', '-1']) {
      expect(() => parseConfig({ PREDICTION_LOG_RETENTION_DAYS: bad })).toThrow(ConfigError);
      expect(() => parseConfig({ PREDICTION_LOG_RETENTION_DAYS: bad })).toThrow(/PREDICTION_LOG_RETENTION_DAYS:/);
    }
  });

  it('the daily job: a pg-boss cron once a day on its own queue; the handler deletes what is past PREDICTION_LOG_RETENTION_DAYS and says so', async () => {
    const { HANDLERS, CRON } = await import('../jobs/handlers');
    const { QUEUES, QUEUE_DEFINITIONS } = await import('../jobs/queue');
    expect(CRON).toContainEqual({ queue: QUEUES.predictionLogRetention, cron: '17 3 * * *' });
    expect(QUEUE_DEFINITIONS.find((q) => q.name === QUEUES.predictionLogRetention)?.options).toMatchObject({ policy: 'singleton' });
    const now = Date.now();
    await insertAt('job', [now - 31 * DAY, now - 30 * DAY - 60_000, now - 29 * DAY]);
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const out = await HANDLERS[QUEUES.predictionLogRetention](undefined, { db, log, workerId: 'w', jobId: 'j', signal: new AbortController().signal });
    expect(out).toMatchObject({ retentionDays: 30, deleted: 2, byModel: { job: 2 }, complete: true });
    expect(lines.find((l) => l.msg === 'prediction log retention')).toMatchObject({ level: 30, deleted: 2, byModel: { job: 2 }, retentionDays: 30 });
    expect(await remaining()).toHaveLength(1);
  });

  it('CLI prune-predictions: --dry-run --json counts, then deletes; one JSON document; bad --days and a bad env value are named', async () => {
    const now = Date.now();
    await insertAt('cli', [now - 31 * DAY, now - 30 * DAY - 60_000, now - 29 * DAY, now - DAY]);
    const env = { DATABASE_URL: url, PREDICTION_LOG_RETENTION_DAYS: '30' };
    const dry = await runCli(['prune-predictions', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(dry.stdout)).toMatchObject({ table: 'prediction_log', dryRun: true, retentionDays: 30, expired: 2, deleted: 0, byModel: { cli: 2 } });
    expect(await remaining()).toHaveLength(4);

    const run = await runCli(['prune-predictions', '--json'], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ dryRun: false, deleted: 2, byModel: { cli: 2 }, complete: true, batchSize: 10_000 });
    expect(Date.parse(doc.horizon)).toBeGreaterThan(now - 30 * DAY - 60_000);
    expect(await remaining()).toHaveLength(2);

    const human = await runCli(['prune-predictions', '--days', '2'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Deleted 1 prediction-log rows older than .* \(2 days\)/);

    const badDays = await runCli(['prune-predictions', '--days', '0', '--json'], env);
    expect(badDays.code).toBe(2);
    expect(JSON.parse(badDays.stdout).error.message).toMatch(/--days/);
    const badEnv = await runCli(['prune-predictions', '--json'], { ...env, PREDICTION_LOG_RETENTION_DAYS: 'thirty' });
    expect(badEnv.code).not.toBe(0);
    expect(badEnv.stdout + badEnv.stderr).toMatch(/PREDICTION_LOG_RETENTION_DAYS/);
    expect(await remaining()).toHaveLength(1);
  });
});
