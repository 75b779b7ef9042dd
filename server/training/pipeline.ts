/**
 * The training job: collect data → features → labels and samples → train → evaluate → indicator weights → gate →
 * register → clean up. Each stage is one function below, run through the tracker (status, start, end, duration and
 * a one-line detail recorded); a failing stage ends the run `failed` with its error; tensors are released in every
 * case. The run's SQL lives in runs.ts, the tracker in tracker.ts.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { getDataset, loadCandleColumns } from '../market/store';
import { computeFeatures, FEATURE_NAMES, FEATURE_COUNT, type FeatureMatrix } from '../market/indicators';
import { buildSamples, type BuiltSamples } from '../market/samples';
import { TRANSFORM_ID, inputMedians } from '../market/transform';
import { initTf, tfInfo } from '../ml/backend';
import { trainModel, type TrainResult } from '../ml/train';
import { predictLogits, softmaxRows, argmaxRows, type Model } from '../ml/models';
import { permutationImportance } from '../ml/importance';
import { createArtifact } from '../ml/artifact';
import { registerVersion, latestVersion } from '../registry/versions';
import { codeVersion } from '../config';
import { evaluateOnTest, gate, jsonSafe, type Evaluation, type GateResult } from './evaluate';
import { indicatorWeights, type IndicatorWeights } from './weights';
import { labelRuleOf, modelNameOf, ZTrainRequest, type TrainRequest } from './params';
import { claimRun, completeRun, failRun, markRunEnded, type Run } from './runs';
import type { RunResult, VersionLineage, VersionMetrics } from '../../drizzle/schema/shapes';
import { RunTracker, Cancelled, errorText } from './tracker';

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

// --- the stages ------------------------------------------------------------------------------------------------------

type Data = { dataset: Awaited<ReturnType<typeof getDataset>>; cols: Awaited<ReturnType<typeof loadCandleColumns>> };

async function collectData(db: Db, req: TrainRequest): Promise<Data> {
  const dataset = await getDataset(db, req.dataset);
  return { dataset, cols: await loadCandleColumns(db, dataset.name, req.recentBars ? { limit: req.recentBars } : {}) };
}

function labelsAndSamples(data: Data, req: TrainRequest): BuiltSamples {
  const { dataset, cols } = data;
  const samples = buildSamples(cols, {
    window: req.window,
    label: labelRuleOf(req),
    dataset: { name: dataset.name, symbol: dataset.symbol, timeframe: dataset.timeframe, contentHash: dataset.contentHash },
  });
  if (samples.train.n < req.batchSize || samples.test.n < 30 || samples.val.n < 10) {
    throw new Error(
      `dataset '${dataset.name}' gives ${samples.train.n} training, ${samples.val.n} validation and ${samples.test.n} test windows; ` +
        `training needs at least ${req.batchSize} (the batch size), 10 and 30 — import more bars or use a smaller window/batch`,
    );
  }
  return samples;
}

function trainConfigOf(req: TrainRequest) {
  const model = req.modelType === 'mlp' ? { type: 'mlp' as const, hidden: [req.units] } : req.modelType === 'logreg' ? { type: 'logreg' as const } : { type: req.modelType, units: req.units };
  return {
    model,
    epochs: req.epochs,
    batchSize: req.batchSize,
    learningRate: req.learningRate,
    patience: req.patience,
    seed: req.seed,
    classWeights: req.classWeights === 'balanced' ? ('balanced' as const) : null,
  };
}

const shapeOf = (s: BuiltSamples) => ({ timeSteps: s.window, features: s.featureCount });

async function train(samples: BuiltSamples, req: TrainRequest, tracker: RunTracker, disposables: Model[]): Promise<TrainResult> {
  await initTf();
  const r = await trainModel(trainConfigOf(req), { train: samples.train, val: samples.val, ...shapeOf(samples) }, { onEpoch: (e) => tracker.epoch(e), signal: tracker.abort.signal });
  disposables.push(r.model);
  return r;
}

/** Bars per year, measured from the dataset itself (for annualising the backtest Sharpe). */
function barsPerYear(times: ArrayLike<number>): number {
  const n = times.length;
  if (n < 2) return 252;
  const years = (times[n - 1] - times[0]) / (365.25 * 86_400_000);
  return years > 0 ? (n - 1) / years : 252;
}

/** Test-part evaluation, with the logreg reference trained on the same splits (the model itself when it is a logreg). */
async function evaluate(model: Model, samples: BuiltSamples, data: Data, req: TrainRequest, tracker: RunTracker, disposables: Model[]) {
  const valLogits = predictLogits(model, samples.val.x, samples.val.n);
  const testLogits = predictLogits(model, samples.test.x, samples.test.n);
  let logregPred: Uint8Array;
  if (req.modelType === 'logreg') logregPred = argmaxRows(testLogits, 3);
  else {
    const ref = await trainModel({ ...trainConfigOf(req), model: { type: 'logreg' }, epochs: Math.min(req.epochs, 30) }, { train: samples.train, val: samples.val, ...shapeOf(samples) }, { signal: tracker.abort.signal });
    disposables.push(ref.model);
    logregPred = argmaxRows(predictLogits(ref.model, samples.test.x, samples.test.n), 3);
  }
  return evaluateOnTest({
    test: samples.test,
    trainY: samples.train.y,
    valY: samples.val.y,
    valLogits,
    testLogits,
    logreg: logregPred,
    horizon: labelRuleOf(req).horizon,
    costBps: req.costBps,
    periodsPerYear: barsPerYear(data.cols.ts),
    seed: req.seed,
  });
}

/** Permutation importance on the validation part → 16 indicator weights, with the change against the previous version. */
async function weigh(db: Db, model: Model, samples: BuiltSamples, evaluation: Evaluation, req: TrainRequest, modelName: string): Promise<IndicatorWeights> {
  const previous = await latestVersion(db, modelName);
  const temperature = evaluation.calibration.temperature;
  const proba = (x: Float32Array, n: number) => softmaxRows(predictLogits(model, x, n), 3, temperature);
  const imp = permutationImportance(proba, samples.val, shapeOf(samples), { repeats: 3, seed: req.seed, metric: 'nll', featureNames: samples.featureNames });
  return indicatorWeights(
    samples.featureNames,
    imp,
    previous ? { version: previous.version, weights: previous.indicatorWeights, macroF1: previous.metrics.macroF1 ?? null } : null,
    evaluation.macroF1,
  );
}

/** Medians over the bars the training windows cover: per raw indicator, and per model input (scale-free; serving imputes with these). */
function trainingMedians(m: FeatureMatrix, s: BuiltSamples): { raw: number[]; inputs: number[] } {
  const part = s.snapshot.parts.train;
  const from = Math.max(0, part.firstIndex - s.window + 1);
  const raw: number[] = [];
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const vals: number[] = [];
    for (let i = from; i <= part.lastIndex; i++) if (m.valid[i]) vals.push(m.values[i * FEATURE_COUNT + f]);
    vals.sort((a, b) => a - b);
    raw.push(vals.length ? vals[vals.length >> 1] : NaN);
  }
  return { raw, inputs: inputMedians(m.values, m.valid, from, part.lastIndex) };
}

interface Trained {
  run: Run;
  req: TrainRequest;
  modelName: string;
  data: Data;
  features: FeatureMatrix;
  samples: BuiltSamples;
  trained: TrainResult;
  evaluation: Evaluation;
  probs: Float32Array;
  weights: IndicatorWeights;
  verdict: GateResult;
}

/** The version, its artifact and the run's completion in one transaction: no version without a finished run. */
async function register(db: Db, t: Trained, tracker: RunTracker, ctx: RunContext) {
  const { run, req, modelName, samples, trained, evaluation, verdict } = t;
  const medians = trainingMedians(t.features, samples);
  const artifact = createArtifact(trained.model, {
    featureOrder: samples.featureNames,
    inputTransform: TRANSFORM_ID,
    scaler: samples.scaler,
    labelRule: labelRuleOf(req),
    temperature: evaluation.calibration.temperature,
    rawFeatures: { names: FEATURE_NAMES, medians: medians.raw },
    inputMedians: medians.inputs,
  });
  const lineage = {
    dataset: samples.snapshot,
    params: req,
    seed: req.seed,
    code: codeVersion(),
    tensorflow: tfInfo(),
    durationsMs: { ...tracker.durations },
    runId: run.id,
    startedBy: run.createdBy,
    trigger: run.trigger,
    worker: { id: ctx.workerId, host: os.hostname() },
    training: { epochsRun: trained.history.length, bestEpoch: trained.bestEpoch, stoppedEarly: trained.stoppedEarly },
  } satisfies VersionLineage;
  // Figures may be non-finite (stored as null); epoch numbers are integers.
  const metrics = {
    ...jsonSafe(evaluation),
    history: trained.history.map((h) => ({ epoch: h.epoch, ...jsonSafe({ loss: h.loss, valLoss: h.valLoss, accuracy: h.accuracy, valAccuracy: h.valAccuracy }) })),
  } satisfies VersionMetrics;
  const status = verdict.passed ? ('candidate' as const) : ('rejected' as const);
  return db.transaction(async (tx) => {
    const v = await registerVersion(tx, {
      modelName,
      status,
      modelType: req.modelType,
      metrics,
      gate: jsonSafe(verdict),
      indicatorWeights: jsonSafe(t.weights),
      lineage,
      runId: run.id,
      createdBy: run.createdBy,
      artifact,
      testPredictions: t.probs,
      testSamples: { labels: samples.test.y, times: samples.test.times },
      symbol: t.data.dataset.symbol,
    });
    const result = { model: modelName, version: v.version, status, ...jsonSafe({ accuracy: evaluation.accuracy, macroF1: evaluation.macroF1 }), passed: verdict.passed } satisfies RunResult;
    if (!(await completeRun(tx, run.id, v.id, result))) throw new Cancelled(); // cancelled meanwhile: roll the version back
    return { ...v, status };
  });
}

// --- the job ---------------------------------------------------------------------------------------------------------

const n = (x: number) => x.toLocaleString('en');

/**
 * Executes a queued run on this worker. Returns when the run is finished (succeeded, failed or cancelled).
 * Safe against a run cancelled before it started and against two workers racing (only one claims it).
 */
export async function executeRun(db: Db, runId: string, ctx: RunContext): Promise<RunOutcome> {
  const run = await claimRun(db, runId, ctx.workerId);
  if (!run) {
    ctx.log.info({ runId }, 'run is no longer queued (cancelled or taken); skipping');
    return { status: 'cancelled' };
  }
  const req: TrainRequest = ZTrainRequest.parse(run.params);
  const modelName = modelNameOf(req);
  const tracker = new RunTracker(db, runId, run.stages, ctx.log);
  ctx.signal?.addEventListener('abort', () => tracker.abort.abort());
  const disposables: Model[] = [];
  const startedAt = Date.now();
  try {
    await tracker.logLine(`run started on ${ctx.workerId}: ${req.modelType} on '${req.dataset}' → model '${modelName}'`);
    const data = await tracker.stage('collect data', () => collectData(db, req), (r) => `${n(r.cols.n)} bars of ${r.dataset.symbol} ${r.dataset.timeframe}`);
    const features = await tracker.stage('features', () => computeFeatures(data.cols), (m) => `16 indicators, ${n(m.n - m.firstValid)} bars after a ${m.warmupBars}-bar warm-up`);
    const samples = await tracker.stage(
      'labels and samples',
      () => labelsAndSamples(data, req),
      (s) => {
        const c = s.classBalance.test.counts;
        return `train ${s.train.n}, validation ${s.val.n}, test ${s.test.n} windows of ${s.window} × ${s.featureCount}; test labels SELL/HOLD/BUY ${c.SELL}/${c.HOLD}/${c.BUY}`;
      },
    );
    const trained = await tracker.stage(
      'train',
      () => train(samples, req, tracker, disposables),
      (r) => `${r.history.length} epochs (best ${r.bestEpoch}${r.stoppedEarly ? ', stopped early' : ''}) in ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.tf.backend}`,
    );
    const { evaluation, probs } = await tracker.stage(
      'evaluate',
      () => evaluate(trained.model, samples, data, req, tracker, disposables),
      ({ evaluation: e }) =>
        `test accuracy ${(e.accuracy * 100).toFixed(1)}%, macro-F1 ${e.macroF1.toFixed(3)} (logreg ${e.baselines.logreg?.macroF1.toFixed(3) ?? '—'}, majority ${e.baselines.majority.macroF1.toFixed(3)}, prior-random ${e.baselines.priorRandom.macroF1.toFixed(3)}), temperature ${e.calibration.temperature.toFixed(2)}`,
    );
    const weights = await tracker.stage(
      'indicator weights',
      () => weigh(db, trained.model, samples, evaluation, req, modelName),
      (w) => `top: ${[...w.weights].sort((a, b) => b.weight - a.weight).slice(0, 3).map((t) => `${t.indicator} ${(t.weight * 100).toFixed(1)}%`).join(', ')}`,
    );
    const verdict = await tracker.stage('gate', () => gate(evaluation, req.gate), (g) => (g.passed ? 'passed → candidate' : `failed → rejected: ${g.reasons.join('; ')}`));
    const registered = await tracker.stage(
      'register',
      () => register(db, { run, req, modelName, data, features, samples, trained, evaluation, probs, weights, verdict }, tracker, ctx),
      (v) => `${modelName} v${v.version} (${v.status})${v.duplicateOf ? `, bit-identical to ${v.duplicateOf}` : ''}`,
    );
    await tracker.stage('clean up', () => {
      for (const m of disposables.splice(0)) m.dispose();
    });
    await tracker.logLine(`run finished in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    if (ctx.onRegistered) {
      await ctx
        .onRegistered({ modelName, versionId: registered.id, version: registered.version, status: registered.status, actor: run.createdBy, trigger: run.trigger })
        .catch((e) => ctx.log.error({ runId, err: errorText(e) }, 'announcing the new version failed'));
    }
    return { status: 'succeeded', version: { model: modelName, version: registered.version, id: registered.id, status: registered.status } };
  } catch (e) {
    const cancelled = e instanceof Cancelled;
    const message = cancelled ? 'cancelled' : errorText(e);
    tracker.skipRemaining();
    if (cancelled) await markRunEnded(db, runId);
    else {
      ctx.log.error({ runId, err: message }, 'training run failed');
      await tracker.logLine(`failed: ${message}`).catch(() => {});
      await failRun(db, runId, message);
    }
    return { status: cancelled ? 'cancelled' : 'failed', error: message };
  } finally {
    for (const m of disposables) m.dispose();
    tracker.markCleanedUp();
    await tracker.stop();
  }
}

export type { Evaluation };
