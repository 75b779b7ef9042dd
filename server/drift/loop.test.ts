/**
 * The loop end to end with a real worker: a served model, a regime change in its market, a drift report that finds
 * it, a drift-triggered retraining run executed by a worker process, the new version entering a canary by the
 * model's policy, and the canary rolled back on its own (no traffic: no evidence) — every step in the history.
 * Cool-down and the daily cap hold a second report back.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { closeProducerBosses } from '../jobs/queue';
import { onVersionRegistered } from '../jobs/handlers';
import { workerPool, waitFor } from '../testing/processes';
import { logger } from '../log';
import { trainingRuns, driftReferences } from '../../drizzle/schema';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';
import { history, promotionView, setPolicy } from '../promotion/actions';
import { canaryTick } from '../promotion/canary';
import { driftAndMaybeRetrain, setDriftPolicy, retrainWanted } from './retrain';
import { runDrift, tradingShape } from './report';
import { DEFAULT_DRIFT_POLICY } from './shapes';

const log = logger().child({ test: 'drift-loop' });
const H = 3_600_000;

describe('drift → retrain → canary, with a real worker', () => {
  let db: Db;
  let url: string;
  const workers = workerPool(() => url);

  beforeAll(async () => {
    ({ db, url } = await createTestDb());
    const calm = plantedSignalCandles(3000, 3);
    await importCandles(db, { source: Buffer.from(toCsv(calm, 'mt-comma')), dataset: 'eur-h1', symbol: 'EURUSD', timeframe: '1h', actor: 'test' });
    const r = await startRun(db, { dataset: 'eur-h1', modelName: 'signals', modelType: 'logreg', window: 8, epochs: 8, seed: 7 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log, onRegistered: (v) => onVersionRegistered(db, log, v) });
    expect(out.version?.status, out.error).toBe('candidate');
    // The market changes: 3× the volatility (the same kind of planted signal inside, amplified, so a retrained model
    // still has something to learn).
    const last = calm[calm.length - 1];
    const base = plantedSignalCandles(3000, 3);
    const k = (x: number) => last.close * Math.exp(3 * Math.log(x / base[0].open));
    const storm = base.map((c, i) => ({ ts: last.ts + (i + 1) * H, open: k(c.open), high: k(c.high), low: k(c.low), close: k(c.close), volume: c.volume }));
    await importCandles(db, { source: Buffer.from(toCsv(storm, 'mt-comma')), dataset: 'eur-h1', actor: 'test' });
  }, 180_000);
  afterAll(async () => {
    await workers.killAll();
    await closeProducerBosses();
  });

  it('a new version gets its reference profile at registration', async () => {
    const rows = await db.select().from(driftReferences);
    expect(rows).toHaveLength(1);
    expect(rows[0].profile.inputs).toHaveLength(15);
    expect(rows[0].profile.inputs.every((i) => i.n > 1000 && i.tau >= 1)).toBe(true);
  });

  it('too little data is "not enough data", never a verdict', async () => {
    const r = await runDrift(db, { model: 'signals', hours: 24 }, { actor: 'test', trigger: 'manual' });
    expect(r.status).toBe('insufficient_data');
    expect(r.body.summary).toMatch(/not enough data \(n = 0 < minimum 200\)/);
    expect(tradingShape(r)).toMatchObject({ status: 'insufficient_data', drift_detected: false });
  });

  it('the regime change is dataset drift; the policy retrains; a worker trains; the canary policy takes the new version; it rolls back on its own', async () => {
    // Thresholds are per model: this one calls dataset drift when 30 % of its inputs drift (a volatility regime moves
    // the volatility-related third of them).
    await setDriftPolicy(db, { model: 'signals', policy: { ...DEFAULT_DRIFT_POLICY, thresholds: { ...DEFAULT_DRIFT_POLICY.thresholds, datasetShare: 0.3 }, retrain: { on: 'dataset_drift', cooldownHours: 24, maxPerDay: 1, trainingBars: 3000 } } }, 'user:t');
    await setPolicy(db, { model: 'signals', comment: 'retrained versions go through a canary', policy: { mode: 'canary', canary: { steps: [20, 100], intervalSeconds: 10, threshold: 1, minRequests: 20 } } }, 'user:t');
    const r = await driftAndMaybeRetrain(db, { model: 'signals', dataset: 'eur-h1', bars: 500 }, { actor: 'apikey:trading', trigger: 'api' });
    expect(r.status).toBe('drift');
    expect(r.datasetDrift).toBe(true);
    expect(r.body.indicators.find((i) => i.name === 'atr_rel')).toMatchObject({ drifted: true, test: 'wasserstein' });
    expect(tradingShape(r)).toMatchObject({ status: 'success', drift_detected: true, results: { dataset_drift: true, model_version: 'v1' } });
    expect(r.body.retraining).toMatchObject({ started: true, reason: expect.stringMatching(/^dataset drift in report #\d+: retraining signals on eur-h1 \(the latest 3000 bars\)/) });

    workers.start();
    const run = await waitFor(async () => {
      const [x] = await db.select().from(trainingRuns).where(eq(trainingRuns.id, r.body.retraining!.runId!));
      return x && (x.status === 'succeeded' || x.status === 'failed') ? x : null;
    }, 120_000, 'the drift-triggered run');
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'drift', createdBy: 'drift' });

    expect(run.result).toMatchObject({ version: 2, status: 'candidate' });
    // The new version follows the model's promotion policy: a canary against the champion.
    const v = await waitFor(async () => {
      const s = await promotionView(db, 'signals');
      return s.snapshot.canary?.status === 'running' ? s : null;
    }, 20_000, 'the canary');
    expect(v.snapshot.canary).toMatchObject({ version: { version: 2 }, champion: { version: 1 } });

    // A second report the same day: retraining is held back by the cool-down.
    const again = await driftAndMaybeRetrain(db, { model: 'signals', dataset: 'eur-h1', bars: 500 }, { actor: 'schedule', trigger: 'schedule' });
    expect(again.body.retraining).toMatchObject({ started: false, reason: expect.stringMatching(/cool-down of 24 h has not passed/) });
    // Without a cool-down, the daily cap (1) still holds it back.
    await setDriftPolicy(db, { model: 'signals', policy: { ...DEFAULT_DRIFT_POLICY, thresholds: { ...DEFAULT_DRIFT_POLICY.thresholds, datasetShare: 0.3 }, retrain: { on: 'dataset_drift', cooldownHours: 0, maxPerDay: 1, trainingBars: 3000 } } }, 'user:t');
    const capped = await driftAndMaybeRetrain(db, { model: 'signals', version: 1, dataset: 'eur-h1', bars: 500 }, { actor: 'schedule', trigger: 'schedule' });
    expect(capped.body.retraining).toMatchObject({ started: false, reason: expect.stringMatching(/reach the cap of 1/) });

    // No traffic reaches the canary: its step fails min_requests and (threshold 1) it rolls back by itself.
    const due = Date.parse(v.snapshot.canary!.nextCheckAt!);
    await workers.killAll(); // evaluate here, deterministically
    const tick = await canaryTick(db, log, due + 1);
    expect(tick).toEqual([expect.objectContaining({ outcome: 'rollback' })]);
    const h = (await history(db, { model: 'signals' })).map((e) => [e.action, e.actor]);
    expect(h.slice(0, 3)).toEqual([
      ['canary.rollback', 'canary'],
      ['new_version', 'drift'],
      ['policy', 'user:t'],
    ]);
  }, 240_000);

  it('the retraining rule (pure): off, insufficient data, dataset or accuracy drift', () => {
    const base = { status: 'drift', datasetDrift: true, accuracyDrift: false };
    expect(retrainWanted({ ...DEFAULT_DRIFT_POLICY.retrain, on: 'off' }, base)).toBeNull();
    expect(retrainWanted({ ...DEFAULT_DRIFT_POLICY.retrain, on: 'accuracy_drift' }, base)).toBeNull();
    expect(retrainWanted({ ...DEFAULT_DRIFT_POLICY.retrain, on: 'any' }, base)).toBe('dataset drift');
    expect(retrainWanted({ ...DEFAULT_DRIFT_POLICY.retrain, on: 'any' }, { ...base, status: 'insufficient_data' })).toBeNull();
  });
});
