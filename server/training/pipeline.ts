/**
 * The training job: collect data → features → labels and samples → train → evaluate → indicator weights → gate →
 * register → clean up. Each stage is recorded (status, start, end, duration); a failing stage ends the run `failed`
 * with its error; tensors are released in every case.
 */
import os from 'node:os';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { trainingRuns } from '../../drizzle/schema';
import { getDataset, loadCandleColumns } from '../market/store';
import { computeFeatures, FEATURE_NAMES, FEATURE_COUNT, type FeatureMatrix } from '../market/indicators';
import { buildSamples, type BuiltSamples } from '../market/samples';
import { TRANSFORM_ID, inputMedians } from '../market/transform';
import { initTf, tfInfo } from '../ml/backend';
import { trainModel, TrainingCancelledError, type EpochReport } from '../ml/train';
import { predictLogits, softmaxRows, argmaxRows, type Model } from '../ml/models';
import { permutationImportance } from '../ml/importance';
import { createArtifact } from '../ml/artifact';
import { registerVersion, latestVersion } from '../registry/versions';
import { evaluateOnTest, gate, jsonSafe, type Evaluation, type GateResult } from './evaluate';
import { indicatorWeights, type IndicatorWeights } from './weights';
import { labelRuleOf, modelNameOf, ZTrainRequest, type StageName, type TrainRequest } from './params';
import type { StageRecord } from './runs';
import { codeVersion } from '../config';

class Cancelled extends Error {}

/** Stage bookkeeping, heartbeat and cancellation of one run. */
class RunTracker {
  private stages: StageRecord[];
  private heartbeat: NodeJS.Timeout;
  readonly abort = new AbortController();
  readonly durations: Record<string, number> = {};

  constructor(
    private db: Db,
    readonly runId: string,
    stages: StageRecord[],
    private log: Logger,
  ) {
    this.stages = stages;
    // Heartbeat + cancellation check every 2 s: a dead worker's run is reaped; a cancel is seen within 2 s.
    this.heartbeat = setInterval(() => void this.beat(), 2000);
  }

  private async beat() {
    try {
      const [r] = await this.db
        .update(trainingRuns)
        .set({ heartbeatAt: new Date() })
        .where(eq(trainingRuns.id, this.runId))
        .returning({ status: trainingRuns.status });
      if (r?.status !== 'running') this.abort.abort();
    } catch (e) {
      this.log.warn({ err: String(e) }, 'run heartbeat failed');
    }
  }

  async logLine(msg: string) {
    await this.db
      .update(trainingRuns)
      .set({ logs: sql`${trainingRuns.logs} || ${JSON.stringify([{ at: new Date().toISOString(), msg }])}::jsonb` })
      .where(eq(trainingRuns.id, this.runId));
  }

  private async saveStages() {
    await this.db.update(trainingRuns).set({ stages: this.stages, heartbeatAt: new Date() }).where(eq(trainingRuns.id, this.runId));
  }

  async stage<T>(name: StageName, fn: () => Promise<T> | T, detail?: (r: T) => string): Promise<T> {
    if (this.abort.signal.aborted) throw new Cancelled();
    const s = this.stages.find((x) => x.name === name)!;
    const t0 = Date.now();
    Object.assign(s, { status: 'running', startedAt: new Date(t0).toISOString() });
    await this.saveStages();
    try {
      const r = await fn();
      const d = detail?.(r);
      Object.assign(s, { status: 'done', endedAt: new Date().toISOString(), durationMs: Date.now() - t0, ...(d ? { detail: d } : {}) });
      this.durations[name] = Date.now() - t0;
      await this.saveStages();
      if (d) await this.logLine(`${name}: ${d}`);
      return r;
    } catch (e) {
      const cancelled = e instanceof Cancelled || e instanceof TrainingCancelledError || this.abort.signal.aborted;
      Object.assign(s, { status: 'failed', endedAt: new Date().toISOString(), durationMs: Date.now() - t0, error: cancelled ? 'cancelled' : errorText(e) });
      await this.saveStages().catch(() => {});
      throw cancelled ? new Cancelled() : e;
    }
  }

  async epoch(r: EpochReport) {
    const row = {
      epoch: r.epoch,
      epochs: r.epochs,
      loss: r.loss,
      accuracy: r.accuracy,
      valLoss: r.valLoss,
      valAccuracy: r.valAccuracy,
      elapsedMs: Math.round(r.elapsedMs),
      etaMs: Math.round(r.etaMs),
      best: r.best,
    };
    await this.db
      .update(trainingRuns)
      .set({ history: sql`${trainingRuns.history} || ${JSON.stringify([jsonSafe(row)])}::jsonb`, heartbeatAt: new Date() })
      .where(eq(trainingRuns.id, this.runId));
    if (this.abort.signal.aborted) throw new Cancelled();
  }

  /** Tensors are released in every case: record the clean-up stage as done even after a failure. */
  markCleanedUp() {
    const s = this.stages.find((x) => x.name === 'clean up')!;
    if (s.status !== 'done') Object.assign(s, { status: 'done', endedAt: new Date().toISOString(), durationMs: 0, detail: 'tensors released' });
  }

  skipRemaining() {
    for (const s of this.stages) if (s.status === 'pending') s.status = 'skipped';
  }

  async stop() {
    clearInterval(this.heartbeat);
    await this.saveStages().catch(() => {});
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Bars per year, measured from the dataset itself (for annualising the backtest Sharpe). */
function barsPerYear(times: ArrayLike<number>): number {
  const n = times.length;
  if (n < 2) return 252;
  const years = (times[n - 1] - times[0]) / (365.25 * 86_400_000);
  return years > 0 ? (n - 1) / years : 252;
}

/** Median of each raw indicator over the bars the training windows cover (serving fills missing fields with these). */
function trainingMedians(m: FeatureMatrix, s: BuiltSamples): number[] {
  const part = s.snapshot.parts.train;
  const from = Math.max(0, part.firstIndex - s.window + 1);
  const out: number[] = [];
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const vals: number[] = [];
    for (let i = from; i <= part.lastIndex; i++) if (m.valid[i]) vals.push(m.values[i * FEATURE_COUNT + f]);
    vals.sort((a, b) => a - b);
    out.push(vals.length ? vals[vals.length >> 1] : NaN);
  }
  return out;
}

/** Medians of the model inputs (scale-free) over the same bars: serving imputes an input that reads a missing indicator. */
function trainingInputMedians(m: FeatureMatrix, s: BuiltSamples): number[] {
  const part = s.snapshot.parts.train;
  return inputMedians(m.values, m.valid, part.firstIndex - s.window + 1, part.lastIndex);
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  version?: { model: string; version: number; id: string; status: 'candidate' | 'rejected' };
  error?: string;
}

/** A version this run registered, announced after its transaction committed (promotion decides its traffic). */
export interface RegisteredVersion {
  modelName: string;
  versionId: string;
  version: number;
  status: 'candidate' | 'rejected';
  actor: string;
  trigger: string;
}

export interface RunContext {
  workerId: string;
  log: Logger;
  signal?: AbortSignal;
  /** Called once the version is committed; a failure is logged, the run stays succeeded. */
  onRegistered?: (v: RegisteredVersion) => Promise<unknown>;
}

/**
 * Executes a queued run on this worker. Returns when the run is finished (succeeded, failed or cancelled).
 * Safe against a run cancelled before it started and against two workers racing (only one claims it).
 */
export async function executeRun(db: Db, runId: string, ctx: RunContext): Promise<RunOutcome> {
  const [claimed] = await db
    .update(trainingRuns)
    .set({ status: 'running', startedAt: new Date(), heartbeatAt: new Date(), workerId: ctx.workerId })
    .where(and(eq(trainingRuns.id, runId), eq(trainingRuns.status, 'queued')))
    .returning();
  if (!claimed) {
    ctx.log.info({ runId }, 'run is no longer queued (cancelled or taken); skipping');
    return { status: 'cancelled' };
  }
  const req: TrainRequest = ZTrainRequest.parse(claimed.params);
  const modelName = modelNameOf(req);
  const tracker = new RunTracker(db, runId, claimed.stages as StageRecord[], ctx.log);
  ctx.signal?.addEventListener('abort', () => tracker.abort.abort());
  const disposables: Model[] = [];
  const startedAt = Date.now();
  try {
    await tracker.logLine(`run started on ${ctx.workerId}: ${req.modelType} on '${req.dataset}' → model '${modelName}'`);
    const { dataset, cols } = await tracker.stage(
      'collect data',
      async () => {
        const dataset = await getDataset(db, req.dataset);
        const cols = await loadCandleColumns(db, dataset.name);
        return { dataset, cols };
      },
      (r) => `${r.cols.n.toLocaleString('en')} bars of ${r.dataset.symbol} ${r.dataset.timeframe}`,
    );
    const features = await tracker.stage(
      'features',
      () => computeFeatures(cols),
      (m) => `16 indicators, ${(m.n - m.firstValid).toLocaleString('en')} bars after a ${m.warmupBars}-bar warm-up`,
    );
    const labelRule = labelRuleOf(req);
    const samples: BuiltSamples = await tracker.stage(
      'labels and samples',
      () =>
        buildSamples(cols, {
          window: req.window,
          label: labelRule,
          dataset: { name: dataset.name, symbol: dataset.symbol, timeframe: dataset.timeframe, contentHash: dataset.contentHash },
        }),
      (s) =>
        `train ${s.train.n}, validation ${s.val.n}, test ${s.test.n} windows of ${s.window} × ${s.featureCount}; test labels SELL/HOLD/BUY ${s.classBalance.test.counts.SELL}/${s.classBalance.test.counts.HOLD}/${s.classBalance.test.counts.BUY}`,
    );
    if (samples.train.n < req.batchSize || samples.test.n < 30 || samples.val.n < 10) {
      throw new Error(
        `dataset '${dataset.name}' gives ${samples.train.n} training, ${samples.val.n} validation and ${samples.test.n} test windows; ` +
          `training needs at least ${req.batchSize} (the batch size), 10 and 30 — import more bars or use a smaller window/batch`,
      );
    }
    const shape = { timeSteps: samples.window, features: samples.featureCount };
    const modelConfig = req.modelType === 'mlp' ? { type: 'mlp' as const, hidden: [req.units] } : req.modelType === 'logreg' ? { type: 'logreg' as const } : { type: req.modelType, units: req.units };
    const trainConfig = {
      model: modelConfig,
      epochs: req.epochs,
      batchSize: req.batchSize,
      learningRate: req.learningRate,
      patience: req.patience,
      seed: req.seed,
      classWeights: req.classWeights === 'balanced' ? ('balanced' as const) : null,
    };
    const trained = await tracker.stage(
      'train',
      async () => {
        await initTf();
        const r = await trainModel(trainConfig, { train: samples.train, val: samples.val, ...shape }, { onEpoch: (e) => tracker.epoch(e), signal: tracker.abort.signal });
        disposables.push(r.model);
        return r;
      },
      (r) => `${r.history.length} epochs (best ${r.bestEpoch}${r.stoppedEarly ? ', stopped early' : ''}) in ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.tf.backend}`,
    );
    const model = trained.model;

    const { evaluation, probs, temperature } = await tracker.stage(
      'evaluate',
      async () => {
        const valLogits = predictLogits(model, samples.val.x, samples.val.n);
        const testLogits = predictLogits(model, samples.test.x, samples.test.n);
        // The logreg reference on the same splits (the model itself when it is a logreg).
        let logregPred: Uint8Array | null = null;
        if (req.modelType === 'logreg') logregPred = argmaxRows(testLogits, 3);
        else {
          const ref = await trainModel(
            { ...trainConfig, model: { type: 'logreg' }, epochs: Math.min(req.epochs, 30) },
            { train: samples.train, val: samples.val, ...shape },
            { signal: tracker.abort.signal },
          );
          disposables.push(ref.model);
          logregPred = argmaxRows(predictLogits(ref.model, samples.test.x, samples.test.n), 3);
        }
        const { evaluation, probs } = evaluateOnTest({
          test: samples.test,
          trainY: samples.train.y,
          valY: samples.val.y,
          valLogits,
          testLogits,
          logreg: logregPred,
          horizon: labelRule.horizon,
          costBps: req.costBps,
          periodsPerYear: barsPerYear(cols.ts),
          seed: req.seed,
        });
        return { evaluation, probs, temperature: evaluation.calibration.temperature };
      },
      (r) =>
        `test accuracy ${(r.evaluation.accuracy * 100).toFixed(1)}%, macro-F1 ${r.evaluation.macroF1.toFixed(3)} (logreg ${r.evaluation.baselines.logreg?.macroF1.toFixed(3) ?? '—'}, majority ${r.evaluation.baselines.majority.macroF1.toFixed(3)}, prior-random ${r.evaluation.baselines.priorRandom.macroF1.toFixed(3)}), temperature ${r.temperature.toFixed(2)}`,
    );

    const previous = await latestVersion(db, modelName);
    const weights: IndicatorWeights = await tracker.stage(
      'indicator weights',
      () => {
        const proba = (x: Float32Array, n: number) => softmaxRows(predictLogits(model, x, n), 3, temperature);
        const imp = permutationImportance(proba, samples.val, shape, { repeats: 3, seed: req.seed, metric: 'nll', featureNames: samples.featureNames });
        return indicatorWeights(
          samples.featureNames,
          imp,
          previous
            ? { version: previous.version, weights: previous.indicatorWeights as IndicatorWeights, macroF1: (previous.metrics as { macroF1?: number }).macroF1 ?? null }
            : null,
          evaluation.macroF1,
        );
      },
      (w) => {
        const top = [...w.weights].sort((a, b) => b.weight - a.weight).slice(0, 3);
        return `top: ${top.map((t) => `${t.indicator} ${(t.weight * 100).toFixed(1)}%`).join(', ')}`;
      },
    );

    const verdict: GateResult = await tracker.stage(
      'gate',
      () => gate(evaluation, req.gate),
      (g) => (g.passed ? 'passed → candidate' : `failed → rejected: ${g.reasons.join('; ')}`),
    );

    const registered = await tracker.stage(
      'register',
      async () => {
        const artifact = createArtifact(model, {
          featureOrder: samples.featureNames,
          inputTransform: TRANSFORM_ID,
          scaler: samples.scaler,
          labelRule,
          temperature,
          rawFeatures: { names: FEATURE_NAMES, medians: trainingMedians(features, samples) },
          inputMedians: trainingInputMedians(features, samples),
        });
        const info = tfInfo();
        const lineage = {
          dataset: samples.snapshot,
          params: req,
          seed: req.seed,
          code: codeVersion(),
          tensorflow: info,
          durationsMs: { ...tracker.durations },
          runId,
          startedBy: claimed.createdBy,
          trigger: claimed.trigger,
          worker: { id: ctx.workerId, host: os.hostname() },
          training: { epochsRun: trained.history.length, bestEpoch: trained.bestEpoch, stoppedEarly: trained.stoppedEarly },
        };
        const metrics = jsonSafe({ ...evaluation, history: trained.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valLoss: h.valLoss, accuracy: h.accuracy, valAccuracy: h.valAccuracy })) });
        return db.transaction(async (tx) => {
          const v = await registerVersion(tx, {
            modelName,
            status: verdict.passed ? 'candidate' : 'rejected',
            modelType: req.modelType,
            metrics,
            gate: jsonSafe(verdict),
            indicatorWeights: jsonSafe(weights),
            lineage: jsonSafe(lineage),
            runId,
            createdBy: claimed.createdBy,
            artifact,
            testPredictions: probs,
            symbol: dataset.symbol,
          });
          const result = { model: modelName, version: v.version, status: verdict.passed ? 'candidate' : 'rejected', accuracy: evaluation.accuracy, macroF1: evaluation.macroF1, passed: verdict.passed };
          // The run ends succeeded in the same transaction as the version: no version without a finished run.
          const done = await tx
            .update(trainingRuns)
            .set({ versionId: v.id, result: jsonSafe(result), status: 'succeeded', endedAt: new Date() })
            .where(and(eq(trainingRuns.id, runId), eq(trainingRuns.status, 'running')))
            .returning({ id: trainingRuns.id });
          if (!done.length) throw new Cancelled(); // cancelled meanwhile: roll the version back
          return { ...v, status: result.status as 'candidate' | 'rejected' };
        });
      },
      (v) => `${modelName} v${v.version} (${v.status})${v.duplicateOf ? `, bit-identical to ${v.duplicateOf}` : ''}`,
    );
    await tracker.stage('clean up', () => {
      for (const m of disposables.splice(0)) m.dispose();
    });
    await tracker.logLine(`run finished in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    if (ctx.onRegistered) {
      await ctx
        .onRegistered({ modelName, versionId: registered.id, version: registered.version, status: registered.status, actor: claimed.createdBy, trigger: claimed.trigger })
        .catch((e) => ctx.log.error({ runId, err: errorText(e) }, 'announcing the new version failed'));
    }
    return { status: 'succeeded', version: { model: modelName, version: registered.version, id: registered.id, status: registered.status } };
  } catch (e) {
    const cancelled = e instanceof Cancelled;
    const message = cancelled ? 'cancelled' : errorText(e);
    tracker.skipRemaining();
    if (cancelled) {
      await db.update(trainingRuns).set({ endedAt: new Date() }).where(eq(trainingRuns.id, runId));
    } else {
      ctx.log.error({ runId, err: message }, 'training run failed');
      await tracker.logLine(`failed: ${message}`).catch(() => {});
      await db
        .update(trainingRuns)
        .set({ status: 'failed', error: message, endedAt: new Date() })
        .where(and(eq(trainingRuns.id, runId), eq(trainingRuns.status, 'running')));
    }
    return { status: cancelled ? 'cancelled' : 'failed', error: message };
  } finally {
    for (const m of disposables) m.dispose();
    tracker.markCleanedUp();
    await tracker.stop();
  }
}

export type { Evaluation };
