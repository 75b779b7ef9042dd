/**
 * Model zoo. Each model is a set of named variables plus a forward function that maps windows x [B, T, F] to class
 * logits [B, C]; factories are pure functions of (config, input shape, seed): the same arguments give bit-identical
 * initial weights on any backend (weights are drawn in JS from the seeded generator, not by tfjs' own initialisers).
 *
 *  - `lstm` (default): one LSTM layer (fast implementation, lstm.ts) → dense softmax head over the last hidden state.
 *  - `gru`: one GRU layer (Keras "reset before" variant, autograd) → dense head.
 *  - `mlp`: dense ReLU layers over the LAST time step only → dense head.
 *  - `logreg`: softmax (multinomial logistic) regression over the last time step.
 *
 * Weights are (de)serialisable as {@link NamedWeights}; `lstm` weights use Keras' layout (kernel [F, 4H],
 * recurrent_kernel [H, 4H], bias [4H], gate order i, f, c, o), so they load into `tf.layers.lstm` unchanged
 * ({@link buildStockLstm}).
 */
import { z } from 'zod';
import { getTf, type LayersModel, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D, type Variable, type Scalar } from './backend';
import { lstmBackward, lstmForward } from './lstm';
import { createRng, glorotUniform, orthogonal } from './random';
import type { InputShape } from './types';
export { argmaxRows, softmaxRows } from './probs';

export const MODEL_TYPES = ['lstm', 'gru', 'mlp', 'logreg'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

const units = z.number().int().min(1).max(1024).default(64);
export const ZModelConfig = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lstm'), units }),
  z.object({ type: z.literal('gru'), units }),
  z.object({ type: z.literal('mlp'), hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8).default([64]) }),
  z.object({ type: z.literal('logreg') }),
]);
/** A resolved model config (defaults filled in). */
export type ModelConfig = z.output<typeof ZModelConfig>;
/** A model config as a caller may write it (`{ type: 'lstm' }` is enough). */
export type ModelConfigInput = z.input<typeof ZModelConfig>;

export function resolveModelConfig(input: ModelConfigInput): ModelConfig {
  return ZModelConfig.parse(input);
}

export interface ModelShape extends InputShape {
  /** C: number of classes (3: SELL, HOLD, BUY). */
  classes: number;
}

export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}
export type NamedWeights = NamedWeight[];

export interface StepResult {
  /** Mean (class-weighted) cross-entropy of the batch. */
  loss: number;
  /** Number of correctly classified samples in the batch (argmax of the logits). */
  correct: number;
  /** Gradient per variable, keyed by the tfjs variable name (what `optimizer.applyGradients` expects). */
  grads: Record<string, Tensor>;
}

export interface Model {
  readonly config: ModelConfig;
  readonly shape: ModelShape;
  /** Trainable variables in a fixed order, with their local (serialised) names. */
  readonly variables: ReadonlyArray<{ name: string; variable: Variable }>;
  /** Logits [B, C] for x [B, T, F]. Differentiable. Creates tensors: call inside `tf.tidy`. */
  logits(x: Tensor3D): Tensor2D;
  /**
   * Loss, accuracy count and gradients for one batch. `yOneHot` [B, C]; `sampleWeights` [B] or null (loss = Σ wᵢ·CEᵢ / B).
   * Creates tensors: call inside `tf.tidy` and apply the gradients there.
   */
  step(x: Tensor3D, yOneHot: Tensor2D, sampleWeights: Tensor1D | null): StepResult;
  getWeights(): NamedWeights;
  setWeights(weights: NamedWeights): void;
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------------------------

let modelCounter = 0;

/** Mean of wᵢ·CE(softmax(logitsᵢ), yᵢ) over the batch (wᵢ = 1 without weights). */
export function crossEntropy(logits: Tensor2D, yOneHot: Tensor2D, sampleWeights: Tensor1D | null): Scalar {
  const tf = getTf();
  const ce = tf.neg(tf.sum(tf.mul(yOneHot, tf.logSoftmax(logits)), 1));
  return (sampleWeights ? tf.div(tf.sum(tf.mul(ce, sampleWeights)), logits.shape[0]) : tf.mean(ce)) as Scalar;
}

function countCorrect(logits: Tensor2D, yOneHot: Tensor2D): number {
  const tf = getTf();
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(yOneHot, 1)), 'int32')).dataSync()[0];
}

interface WeightSpec {
  name: string;
  shape: number[];
  init: Float32Array;
}

abstract class BaseModel implements Model {
  readonly variables: ReadonlyArray<{ name: string; variable: Variable }>;
  protected readonly v: Record<string, Variable>;
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    readonly shape: ModelShape,
    specs: WeightSpec[],
  ) {
    const tf = getTf();
    const id = ++modelCounter;
    this.v = {};
    this.variables = specs.map((s) => {
      const init = tf.tensor(s.init, s.shape);
      const variable = tf.variable(init, true, `m${id}/${config.type}/${s.name}`);
      init.dispose();
      this.v[s.name] = variable;
      return { name: s.name, variable };
    });
  }

  abstract logits(x: Tensor3D): Tensor2D;

  step(x: Tensor3D, yOneHot: Tensor2D, sampleWeights: Tensor1D | null): StepResult {
    const tf = getTf();
    let correct = 0;
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.logits(x);
      correct = countCorrect(logits, yOneHot);
      return crossEntropy(logits, yOneHot, sampleWeights);
    }, this.variables.map((v) => v.variable));
    return { loss: value.dataSync()[0], correct, grads };
  }

  getWeights(): NamedWeights {
    this.assertLive();
    return this.variables.map(({ name, variable }) => ({ name, shape: [...variable.shape], values: Float32Array.from(variable.dataSync() as Float32Array) }));
  }

  setWeights(weights: NamedWeights): void {
    this.assertLive();
    const tf = getTf();
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const { name, variable } of this.variables) {
      const w = byName.get(name);
      if (!w) throw new Error(`weights: '${name}' is missing`);
      if (w.shape.join('x') !== variable.shape.join('x')) {
        throw new Error(`weights: '${name}' has shape [${w.shape}], the model expects [${variable.shape}]`);
      }
      const t = tf.tensor(w.values, w.shape);
      variable.assign(t);
      t.dispose();
    }
    if (byName.size !== this.variables.length) {
      const known = new Set(this.variables.map((v) => v.name));
      const extra = [...byName.keys()].filter((n) => !known.has(n));
      throw new Error(`weights: unknown weight(s) ${extra.join(', ')}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { variable } of this.variables) variable.dispose();
  }

  protected assertLive(): void {
    if (this.disposed) throw new Error('model has been disposed');
  }

  /** x [B, T, F] → last step [B, F]. */
  protected lastStep(x: Tensor3D): Tensor2D {
    const tf = getTf();
    const [B, T, F] = x.shape;
    return tf.reshape(tf.slice(x, [0, T - 1, 0], [B, 1, F]), [B, F]);
  }

  protected checkInput(x: Tensor3D): void {
    const { timeSteps, features } = this.shape;
    if (x.rank !== 3 || x.shape[1] !== timeSteps || x.shape[2] !== features) {
      throw new Error(`model expects input [batch, ${timeSteps}, ${features}], got [${x.shape}]`);
    }
  }
}

function denseSpecs(prefix: string, fanIn: number, fanOut: number, seed: number, stream: number): WeightSpec[] {
  return [
    { name: `${prefix}/kernel`, shape: [fanIn, fanOut], init: glorotUniform(fanIn, fanOut, createRng(seed, stream)) },
    { name: `${prefix}/bias`, shape: [fanOut], init: new Float32Array(fanOut) },
  ];
}

class LstmModel extends BaseModel {
  constructor(config: Extract<ModelConfig, { type: 'lstm' }>, shape: ModelShape, seed: number) {
    const H = config.units;
    const F = shape.features;
    const bias = new Float32Array(4 * H);
    bias.fill(1, H, 2 * H); // unit forget bias
    super(config, shape, [
      { name: 'lstm/kernel', shape: [F, 4 * H], init: glorotUniform(F, 4 * H, createRng(seed, 1)) },
      { name: 'lstm/recurrent_kernel', shape: [H, 4 * H], init: orthogonal(H, 4 * H, createRng(seed, 2)) },
      { name: 'lstm/bias', shape: [4 * H], init: bias },
      ...denseSpecs('dense', H, shape.classes, seed, 3),
    ]);
  }

  private params() {
    return {
      kernel: this.v['lstm/kernel'] as unknown as Tensor2D,
      recurrentKernel: this.v['lstm/recurrent_kernel'] as unknown as Tensor2D,
      bias: this.v['lstm/bias'] as unknown as Tensor1D,
    };
  }

  logits(x: Tensor3D): Tensor2D {
    this.checkInput(x);
    const tf = getTf();
    const { h } = lstmForward(x, this.params(), false);
    return tf.add(tf.matMul(h, this.v['dense/kernel']), this.v['dense/bias']);
  }

  /** Hand-written BPTT for the LSTM, autograd only for the loss. */
  override step(x: Tensor3D, yOneHot: Tensor2D, sampleWeights: Tensor1D | null): StepResult {
    this.checkInput(x);
    const tf = getTf();
    const Wd = this.v['dense/kernel'];
    const { h, cache } = lstmForward(x, this.params(), true);
    const logits = tf.add(tf.matMul(h, Wd), this.v['dense/bias']) as Tensor2D;
    const { value, grads } = tf.valueAndGrads((l: Tensor) => crossEntropy(l as Tensor2D, yOneHot, sampleWeights))([logits]);
    const dLogits = grads[0] as Tensor2D;
    const dh = tf.matMul(dLogits, Wd, false, true) as Tensor2D;
    const g = lstmBackward(cache!, dh);
    const name = (local: string) => this.v[local].name;
    return {
      loss: value.dataSync()[0],
      correct: countCorrect(logits, yOneHot),
      grads: {
        [name('lstm/kernel')]: g.kernel,
        [name('lstm/recurrent_kernel')]: g.recurrentKernel,
        [name('lstm/bias')]: g.bias,
        [name('dense/kernel')]: tf.matMul(h, dLogits, true, false),
        [name('dense/bias')]: tf.sum(dLogits, 0),
      },
    };
  }
}

class GruModel extends BaseModel {
  constructor(config: Extract<ModelConfig, { type: 'gru' }>, shape: ModelShape, seed: number) {
    const H = config.units;
    const F = shape.features;
    super(config, shape, [
      { name: 'gru/kernel', shape: [F, 3 * H], init: glorotUniform(F, 3 * H, createRng(seed, 1)) },
      { name: 'gru/recurrent_kernel', shape: [H, 3 * H], init: orthogonal(H, 3 * H, createRng(seed, 2)) },
      { name: 'gru/bias', shape: [3 * H], init: new Float32Array(3 * H) },
      ...denseSpecs('dense', H, shape.classes, seed, 3),
    ]);
  }

  /** Gates z (update), r (reset), h̃ (candidate) — Keras order; h = z·h + (1 − z)·h̃, h̃ = tanh(xW_h + (r·h)U_h + b_h). */
  logits(x: Tensor3D): Tensor2D {
    this.checkInput(x);
    const tf = getTf();
    const [B, T, F] = x.shape;
    const H = (this.config as { units: number }).units;
    const W = this.v['gru/kernel'];
    const U = this.v['gru/recurrent_kernel'];
    const b = this.v['gru/bias'];
    const Uzr = tf.slice(U, [0, 0], [H, 2 * H]);
    const Uh = tf.slice(U, [0, 2 * H], [H, H]);
    const xt = tf.transpose(x, [1, 0, 2]); // [T, B, F]; x needs no gradient, so per-step slices are cheap
    const one = tf.scalar(1);
    let h: Tensor2D | null = null;
    for (let t = 0; t < T; t++) {
      const xs = tf.reshape(tf.slice(xt, [t, 0, 0], [1, B, F]), [B, F]);
      const zx = tf.add(tf.matMul(xs, W), b); // [B, 3H]
      const zxZr = tf.slice(zx, [0, 0], [B, 2 * H]);
      const zxH = tf.slice(zx, [0, 2 * H], [B, H]);
      const zr = tf.sigmoid(h ? tf.add(zxZr, tf.matMul(h, Uzr)) : zxZr);
      const z = tf.slice(zr, [0, 0], [B, H]);
      const r = tf.slice(zr, [0, H], [B, H]);
      const hh = tf.tanh(h ? tf.add(zxH, tf.matMul(tf.mul(r, h), Uh)) : zxH);
      h = (h ? tf.add(tf.mul(z, h), tf.mul(tf.sub(one, z), hh)) : tf.mul(tf.sub(one, z), hh)) as Tensor2D;
    }
    return tf.add(tf.matMul(h as Tensor2D, this.v['dense/kernel']), this.v['dense/bias']);
  }
}

class MlpModel extends BaseModel {
  private readonly hidden: number[];
  constructor(config: Extract<ModelConfig, { type: 'mlp' }>, shape: ModelShape, seed: number) {
    const specs: WeightSpec[] = [];
    let fanIn = shape.features;
    config.hidden.forEach((width, k) => {
      specs.push(...denseSpecs(`dense_${k}`, fanIn, width, seed, 10 + k));
      fanIn = width;
    });
    specs.push(...denseSpecs('dense', fanIn, shape.classes, seed, 3));
    super(config, shape, specs);
    this.hidden = config.hidden;
  }

  logits(x: Tensor3D): Tensor2D {
    this.checkInput(x);
    const tf = getTf();
    let a = this.lastStep(x);
    for (let k = 0; k < this.hidden.length; k++) {
      a = tf.relu(tf.add(tf.matMul(a, this.v[`dense_${k}/kernel`]), this.v[`dense_${k}/bias`])) as Tensor2D;
    }
    return tf.add(tf.matMul(a, this.v['dense/kernel']), this.v['dense/bias']);
  }
}

class LogregModel extends BaseModel {
  constructor(config: Extract<ModelConfig, { type: 'logreg' }>, shape: ModelShape, seed: number) {
    super(config, shape, denseSpecs('dense', shape.features, shape.classes, seed, 3));
  }

  logits(x: Tensor3D): Tensor2D {
    this.checkInput(x);
    const tf = getTf();
    return tf.add(tf.matMul(this.lastStep(x), this.v['dense/kernel']), this.v['dense/bias']);
  }
}

/** Creates a model with seeded initial weights. Call `initTf()` first. */
export function createModel(config: ModelConfigInput, shape: ModelShape, seed: number): Model {
  const c = resolveModelConfig(config);
  for (const [k, v] of Object.entries(shape)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`model shape: ${k} must be a positive integer (got ${v})`);
  }
  switch (c.type) {
    case 'lstm':
      return new LstmModel(c, shape, seed);
    case 'gru':
      return new GruModel(c, shape, seed);
    case 'mlp':
      return new MlpModel(c, shape, seed);
    case 'logreg':
      return new LogregModel(c, shape, seed);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Prediction over plain arrays
// ---------------------------------------------------------------------------------------------------------------

/** Logits [n × C] (row-major) for n windows x [n, T, F], in batches. Disposes every tensor it creates. */
export function predictLogits(model: Model, x: Float32Array, n: number, batchSize = 1024): Float32Array {
  const tf = getTf();
  const { timeSteps: T, features: F, classes: C } = model.shape;
  if (x.length !== n * T * F) throw new Error(`predict: x has ${x.length} values, expected n·T·F = ${n}·${T}·${F}`);
  const out = new Float32Array(n * C);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const logits = tf.tidy(() => model.logits(tf.tensor3d(x.subarray(s * T * F, (s + m) * T * F), [m, T, F])));
    out.set(logits.dataSync() as Float32Array, s * C);
    logits.dispose();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Stock layers (for the bench and the equivalence tests)
// ---------------------------------------------------------------------------------------------------------------

/**
 * `tf.layers.lstm` + dense softmax as a compiled-ready `tf.sequential`, computing the same function as the `lstm` model
 * (recurrentActivation 'sigmoid'); loads the given weights (local names as in {@link NamedWeights}) when provided.
 */
export function buildStockLstm(shape: ModelShape, units: number, weights?: NamedWeights): LayersModel {
  const tf = getTf();
  const model = tf.sequential({
    layers: [
      tf.layers.lstm({
        units,
        recurrentActivation: 'sigmoid',
        inputShape: [shape.timeSteps, shape.features],
        // Replaced by `weights` when given; otherwise the layer's usual initialisers (its orthogonal one is slow).
        ...(weights ? { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } : {}),
      }),
      tf.layers.dense({ units: shape.classes, activation: 'softmax' }),
    ],
  });
  if (weights) {
    const order = ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'];
    const byName = new Map(weights.map((w) => [w.name, w]));
    const tensors = order.map((name) => {
      const w = byName.get(name);
      if (!w) throw new Error(`stock lstm: weight '${name}' missing`);
      return tf.tensor(w.values, w.shape);
    });
    model.setWeights(tensors);
    tf.dispose(tensors);
  }
  return model;
}
