/**
 * Training loop: mini-batch Adam over seeded shuffles, per-epoch progress through a callback, early stopping on the
 * validation loss that restores the best weights, cancellation through an AbortSignal, optional class weights.
 *
 * Determinism: the same config (seed included), data and backend give the same weights and history (initial weights
 * and shuffles come from the seeded generator; all kernels run synchronously on one thread).
 */
import { z } from 'zod';
import { DomainError } from '../errors';
import { getTf, initTf, type TfInfo } from './backend';
import { createModel, predictLogits, ZModelConfig, type Model, type NamedWeights } from './models';
import { createRng, shuffleInPlace } from './random';
import { NUM_CLASSES, type Samples } from './types';

export const ZTrainConfig = z.object({
  model: ZModelConfig.default({ type: 'lstm', units: 64 }),
  epochs: z.number().int().min(1).max(1000).default(30),
  batchSize: z.number().int().min(1).max(8192).default(128),
  learningRate: z.number().positive().max(1).default(1e-3),
  /** Epochs without a validation-loss improvement before stopping; 0 disables early stopping (the best epoch's weights are restored either way). */
  patience: z.number().int().min(0).max(1000).default(5),
  /** Smallest decrease of the validation loss that counts as an improvement. */
  minDelta: z.number().min(0).default(0),
  seed: z.number().int().default(42),
  /** 'balanced' (n / (C · count_c)), explicit per-class weights [SELL, HOLD, BUY], or null (all 1). */
  classWeights: z
    .union([z.literal('balanced'), z.array(z.number().positive().finite()).length(NUM_CLASSES)])
    .nullable()
    .default(null),
  shuffle: z.boolean().default(true),
});
export type TrainConfig = z.output<typeof ZTrainConfig>;
export type TrainConfigInput = z.input<typeof ZTrainConfig>;

export interface TrainData {
  train: Samples;
  /** Validation part: early stopping and val metrics. Without it (or with n = 0) training runs all epochs. */
  val?: Samples | null;
  timeSteps: number;
  features: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's batches (class-weighted when class weights are set). */
  loss: number;
  accuracy: number;
  /** Unweighted mean cross-entropy on the validation part (null without one). */
  valLoss: number | null;
  valAccuracy: number | null;
  /** Since training started. */
  elapsedMs: number;
  epochMs: number;
  /** Upper bound (early stopping may end sooner). */
  etaMs: number;
  samplesPerSec: number;
  /** This epoch has the best validation loss so far. */
  best: boolean;
}

export interface TrainResult {
  /** Holds the best weights (by validation loss) when a validation part was given. Dispose when done. */
  model: Model;
  history: EpochReport[];
  /** Epoch whose weights the model holds. */
  bestEpoch: number;
  stoppedEarly: boolean;
  elapsedMs: number;
  config: TrainConfig;
  tf: TfInfo;
}

export interface TrainOptions {
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  signal?: AbortSignal;
  /** Start from these weights instead of the seeded initialisation. */
  initialWeights?: NamedWeights;
}

export class TrainingCancelledError extends Error {
  constructor(message = 'training was cancelled') {
    super(message);
    this.name = 'TrainingCancelledError';
  }
}

function checkSamples(name: string, s: Samples, T: number, F: number): void {
  if (!Number.isInteger(s.n) || s.n < 0) throw new DomainError('BAD_REQUEST', `${name}: n must be a non-negative integer (got ${s.n})`);
  if (s.x.length !== s.n * T * F) {
    throw new DomainError('BAD_REQUEST', `${name}: x has ${s.x.length} values; expected n·T·F = ${s.n}·${T}·${F} = ${s.n * T * F}`);
  }
  if (s.y.length !== s.n) throw new DomainError('BAD_REQUEST', `${name}: y has ${s.y.length} labels for ${s.n} samples`);
  for (let i = 0; i < s.n; i++) {
    if (s.y[i] >= NUM_CLASSES) throw new DomainError('BAD_REQUEST', `${name}: label ${s.y[i]} at sample ${i} is not a class index (0..${NUM_CLASSES - 1})`);
  }
  for (let i = 0; i < s.x.length; i++) {
    if (!Number.isFinite(s.x[i])) {
      const sample = Math.floor(i / (T * F));
      const feature = i % F;
      throw new DomainError('UNPROCESSABLE_CONTENT', `${name}: non-finite input at sample ${sample}, step ${Math.floor(i / F) % T}, feature ${feature}`);
    }
  }
}

/** Per-class weights from the config and the training labels. */
export function resolveClassWeights(spec: TrainConfig['classWeights'], y: Uint8Array): Float32Array | null {
  if (spec === null) return null;
  if (Array.isArray(spec)) return Float32Array.from(spec);
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const c of y) counts[c]++;
  // Classes absent from the training part get weight 1 (no sample carries it anyway).
  return Float32Array.from(counts, (k) => (k > 0 ? y.length / (NUM_CLASSES * k) : 1));
}

/** Unweighted mean cross-entropy and accuracy of logits [n × C] against labels. */
export function lossAndAccuracy(logits: Float32Array, y: Uint8Array, classes = NUM_CLASSES): { loss: number; accuracy: number } {
  const n = y.length;
  if (n === 0) return { loss: NaN, accuracy: NaN };
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (logits[o + c] > max) {
        max = logits[o + c];
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c] - max);
    loss += Math.log(sum) + max - logits[o + y[i]];
    if (arg === y[i]) correct++;
  }
  return { loss: loss / n, accuracy: correct / n };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains a model; see the module comment. Throws TrainingCancelledError when `signal` aborts. */
export async function trainModel(configInput: TrainConfigInput, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const config = ZTrainConfig.parse(configInput);
  const info = await initTf();
  const tf = getTf();
  const { timeSteps: T, features: F } = data;
  const C = NUM_CLASSES;
  const { train } = data;
  const val = data.val && data.val.n > 0 ? data.val : null;
  checkSamples('train', train, T, F);
  if (val) checkSamples('val', val, T, F);
  if (train.n === 0) throw new DomainError('UNPROCESSABLE_CONTENT', 'the training part has no samples');
  const { signal } = options;
  if (signal?.aborted) throw new TrainingCancelledError();

  const model = createModel(config.model, { timeSteps: T, features: F, classes: C }, config.seed);
  const optimizer = tf.train.adam(config.learningRate);
  try {
    if (options.initialWeights) model.setWeights(options.initialWeights);
    const classWeights = resolveClassWeights(config.classWeights, train.y);
    const rng = createRng(config.seed, 101);
    const order = Int32Array.from({ length: train.n }, (_, i) => i);
    const row = T * F;
    const B = config.batchSize;
    const xb = new Float32Array(B * row);
    const yb = new Float32Array(B * C);
    const wb = new Float32Array(B);

    const history: EpochReport[] = [];
    let bestLoss = Infinity;
    let bestEpoch = 0;
    let bestWeights: NamedWeights | null = null;
    let wait = 0;
    let stoppedEarly = false;
    const t0 = performance.now();
    let lastYield = t0;

    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const e0 = performance.now();
      if (config.shuffle) shuffleInPlace(order, rng);
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < train.n; s += B) {
        if (performance.now() - lastYield > 50) {
          await tick(); // let abort signals, heartbeats and progress writes through
          lastYield = performance.now();
        }
        if (signal?.aborted) throw new TrainingCancelledError();
        const m = Math.min(B, train.n - s);
        yb.fill(0, 0, m * C);
        for (let k = 0; k < m; k++) {
          const i = order[s + k];
          xb.set(train.x.subarray(i * row, (i + 1) * row), k * row);
          yb[k * C + train.y[i]] = 1;
          if (classWeights) wb[k] = classWeights[train.y[i]];
        }
        const r = tf.tidy(() => {
          const x = tf.tensor3d(xb.subarray(0, m * row), [m, T, F]);
          const y = tf.tensor2d(yb.subarray(0, m * C), [m, C]);
          const w = classWeights ? tf.tensor1d(wb.subarray(0, m)) : null;
          const res = model.step(x, y, w);
          optimizer.applyGradients(Object.entries(res.grads).map(([name, tensor]) => ({ name, tensor })));
          return { loss: res.loss, correct: res.correct };
        });
        if (!Number.isFinite(r.loss)) {
          throw new DomainError(
            'UNPROCESSABLE_CONTENT',
            `training diverged: the loss became ${r.loss} in epoch ${epoch}; lower the learning rate (now ${config.learningRate})`,
          );
        }
        lossSum += r.loss * m;
        correct += r.correct;
      }
      const loss = lossSum / train.n;
      const accuracy = correct / train.n;
      let valLoss: number | null = null;
      let valAccuracy: number | null = null;
      if (val) {
        const v = lossAndAccuracy(predictLogits(model, val.x, val.n), val.y, C);
        valLoss = v.loss;
        valAccuracy = v.accuracy;
      }
      // Without a validation part the training loss decides which epoch is "best" (the last one, typically).
      const monitored = valLoss ?? loss;
      const best = monitored < bestLoss - config.minDelta;
      if (best) {
        bestLoss = monitored;
        bestEpoch = epoch;
        bestWeights = epoch === config.epochs ? null : model.getWeights();
        wait = 0;
      } else {
        wait++;
      }
      const now = performance.now();
      const elapsedMs = now - t0;
      const report: EpochReport = {
        epoch,
        epochs: config.epochs,
        loss,
        accuracy,
        valLoss,
        valAccuracy,
        elapsedMs,
        epochMs: now - e0,
        etaMs: (elapsedMs / epoch) * (config.epochs - epoch),
        samplesPerSec: train.n / ((now - e0) / 1000),
        best,
      };
      history.push(report);
      await options.onEpoch?.(report);
      if (val && config.patience > 0 && wait >= config.patience && epoch < config.epochs) {
        stoppedEarly = true;
        break;
      }
    }
    const lastEpoch = history.length;
    if (bestEpoch !== lastEpoch && bestWeights) model.setWeights(bestWeights);
    return { model, history, bestEpoch, stoppedEarly, elapsedMs: performance.now() - t0, config, tf: info };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}
