/**
 * Fast LSTM: a single-layer LSTM that returns the last hidden state, with a hand-written backward pass (BPTT).
 *
 * Same function as `tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', returnSequences: false })` — Keras
 * gate order i, f, c(g), o; kernel [F, 4H], recurrent kernel [H, 4H], bias [4H] — with two implementations:
 *
 *  - on the WASM backend, two fused kernels (lstm-wasm.ts): the whole forward recurrence and the whole BPTT are one
 *    kernel call each (XNNPACK matMuls + JS cell loops over the heap); checked against the generic ops on first use;
 *  - elsewhere (cpu, tfjs-node) generic tf ops, arranged to stay cheap: feature-major state (h, c are [H, B], so the
 *    four gates are contiguous ROW blocks of z = Uᵀh + Wᵀx + b), one input-projection matmul for all T steps,
 *    tanh(x) = 2σ(2x) − 1 with the g-gate rows pre-scaled by 2 (one Sigmoid yields all gates), per step of the
 *    backward only elementwise ops and one plain matmul (dh = U·dz), and the weight gradients as ONE matmul over all
 *    steps (dZ·[x, h]); no matmul uses transpose flags.
 *
 * Both avoid the autograd tape inside the recurrence: {@link lstmForward} keeps what the backward needs,
 * {@link lstmBackward} consumes it; {@link lstmLastHidden} wraps both in `tf.customGrad` for use under autograd.
 * The input gradient is not computed (the LSTM is the first layer, fed with data); under customGrad it is zeros.
 */
import { config } from '../config';
import { getTf, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D } from './backend';
import { LSTM_BWD_KERNEL, LSTM_FWD_KERNEL, registerWasmLstmKernels } from './lstm-wasm';
import { logger } from '../log';

export interface LstmParams {
  /** [F, 4H], gate blocks i, f, g, o along the columns. */
  kernel: Tensor2D;
  /** [H, 4H]. */
  recurrentKernel: Tensor2D;
  /** [4H]. */
  bias: Tensor1D;
}

export interface LstmGrads {
  kernel: Tensor2D;
  recurrentKernel: Tensor2D;
  bias: Tensor1D;
}

interface Step {
  /** σ of the scaled pre-activation, [4H, B] (the g rows hold σ(2 z_g)). */
  a: Tensor2D;
  i: Tensor2D;
  f: Tensor2D;
  g: Tensor2D;
  o: Tensor2D;
  /** tanh(c_t), [H, B]. */
  tc: Tensor2D;
  /** c_{t-1} (null at t = 0). */
  cPrev: Tensor2D | null;
  /** h_{t-1} (null at t = 0). */
  hPrev: Tensor2D | null;
}

/** What the backward pass needs; all tensors belong to the caller's tidy scope (or must be disposed by the caller). */
export type LstmCache = GenericCache | WasmCache;

interface WasmCache {
  kind: 'wasm';
  recurrentKernel: Tensor2D;
  XH: Tensor;
  A: Tensor;
  S: Tensor;
  C: Tensor;
}

interface GenericCache {
  kind: 'generic';
  B: number;
  T: number;
  F: number;
  H: number;
  /** Inputs time-major, [T·B, F]. */
  xTB: Tensor2D;
  recurrentKernel: Tensor2D;
  steps: Step[];
}

/** [4H, 1] column with `value` on the g-gate rows and 1 elsewhere. */
function gateColumn(H: number, value: number): Tensor2D {
  const tf = getTf();
  const v = new Float32Array(4 * H).fill(1);
  v.fill(value, 2 * H, 3 * H);
  return tf.tensor2d(v, [4 * H, 1]);
}

/**
 * Runs the LSTM over x [B, T, F] and returns the last hidden state [B, H]; with `withCache`, also what
 * {@link lstmBackward} needs. Tensors are created in the caller's scope: call inside `tf.tidy`.
 */
export function lstmForward(x: Tensor3D, p: LstmParams, withCache: boolean): { h: Tensor2D; cache: LstmCache | null } {
  checkShapes(x, p);
  if (useWasmKernels()) {
    const outs = getTf().engine().runKernel(LSTM_FWD_KERNEL, { x, kernel: p.kernel, recurrentKernel: p.recurrentKernel, bias: p.bias }, { keep: withCache }) as Tensor[];
    const h = outs[0] as Tensor2D;
    if (!withCache) return { h, cache: null };
    const [, XH, A, S, C] = outs;
    return { h, cache: { kind: 'wasm', recurrentKernel: p.recurrentKernel, XH, A, S, C } };
  }
  return genericForward(x, p, withCache);
}

function checkShapes(x: Tensor3D, p: LstmParams): void {
  const F = x.shape[2];
  const H = p.recurrentKernel.shape[0];
  const G = 4 * H;
  if (x.rank !== 3 || p.kernel.shape[0] !== F || p.kernel.shape[1] !== G || p.recurrentKernel.shape[1] !== G || p.bias.shape[0] !== G) {
    throw new Error(`lstm: shapes do not fit (x ${x.shape}, kernel ${p.kernel.shape}, recurrent ${p.recurrentKernel.shape}, bias ${p.bias.shape})`);
  }
}

function genericForward(x: Tensor3D, p: LstmParams, withCache: boolean): { h: Tensor2D; cache: GenericCache | null } {
  const tf = getTf();
  const [B, T, F] = x.shape;
  const H = p.recurrentKernel.shape[0];
  const G = 4 * H;
  const two = tf.scalar(2);
  const one = tf.scalar(1);
  const s = gateColumn(H, 2);
  const WTs = tf.mul(tf.transpose(p.kernel), s) as Tensor2D; // [4H, F]
  const UTs = tf.mul(tf.transpose(p.recurrentKernel), s) as Tensor2D; // [4H, H]
  const bs = tf.mul(tf.reshape(p.bias, [G, 1]), s) as Tensor2D; // [4H, 1]
  const xTB = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, F]) as Tensor2D; // rows (t, b)
  const xF = tf.transpose(xTB) as Tensor2D; // [F, T·B]
  // Input projection for all steps, then time-major [T, 4H, B] so that step t is a contiguous block.
  const zx = tf.transpose(tf.reshape(tf.add(tf.matMul(WTs, xF), bs), [G, T, B]), [1, 0, 2]) as Tensor3D;

  const steps: Step[] = [];
  let h: Tensor2D | null = null;
  let c: Tensor2D | null = null;
  for (let t = 0; t < T; t++) {
    let z = tf.reshape(tf.slice(zx, [t, 0, 0], [1, G, B]), [G, B]) as Tensor2D;
    if (h) z = tf.add(z, tf.matMul(UTs, h));
    const a = tf.sigmoid(z);
    const i = tf.slice(a, [0, 0], [H, B]);
    const f = tf.slice(a, [H, 0], [H, B]);
    const g = tf.sub(tf.mul(tf.slice(a, [2 * H, 0], [H, B]), two), one) as Tensor2D;
    const o = tf.slice(a, [3 * H, 0], [H, B]);
    const cNew: Tensor2D = c ? tf.add(tf.mul(f, c), tf.mul(i, g)) : tf.mul(i, g);
    const tc = tf.sub(tf.mul(tf.sigmoid(tf.mul(cNew, two)), two), one) as Tensor2D;
    const hNew = tf.mul(o, tc) as Tensor2D;
    if (withCache) steps.push({ a, i, f, g, o, tc, cPrev: c, hPrev: h });
    h = hNew;
    c = cNew;
  }
  const hOut = tf.transpose(h as Tensor2D) as Tensor2D; // [B, H]
  return {
    h: hOut,
    cache: withCache ? { kind: 'generic', B, T, F, H, xTB, recurrentKernel: p.recurrentKernel, steps } : null,
  };
}

/** Backpropagation through time from dL/dh_T [B, H] to the weights. Call inside `tf.tidy`. */
export function lstmBackward(cache: LstmCache, dhLast: Tensor2D): LstmGrads {
  if (cache.kind === 'wasm') {
    const { recurrentKernel, XH, A, S, C } = cache;
    const [kernel, rk, bias] = getTf().engine().runKernel(LSTM_BWD_KERNEL, { dh: dhLast, recurrentKernel, XH, A, S, C }, {}) as Tensor[];
    return { kernel: kernel as Tensor2D, recurrentKernel: rk as Tensor2D, bias: bias as Tensor1D };
  }
  return genericBackward(cache, dhLast);
}

function genericBackward(cache: GenericCache, dhLast: Tensor2D): LstmGrads {
  const tf = getTf();
  const { B, T, F, H, steps } = cache;
  const G = 4 * H;
  const one = tf.scalar(1);
  const q = gateColumn(H, 4); // d(2σ(2z)−1)/dz = 4σ(1−σ) on the g rows, σ(1−σ) elsewhere
  const zeros = tf.zeros([H, B]) as Tensor2D;
  let dh = tf.transpose(dhLast) as Tensor2D; // [H, B]
  let dc: Tensor2D | null = null;
  const dzs: Tensor2D[] = new Array(T);
  for (let t = T - 1; t >= 0; t--) {
    const st = steps[t];
    const dO = tf.mul(dh, st.tc);
    let dcT = tf.mul(tf.mul(dh, st.o), tf.sub(one, tf.square(st.tc))) as Tensor2D;
    if (dc) dcT = tf.add(dcT, dc);
    const dI = tf.mul(dcT, st.g);
    const dF = st.cPrev ? tf.mul(dcT, st.cPrev) : zeros;
    const dG = tf.mul(dcT, st.i);
    dc = tf.mul(dcT, st.f) as Tensor2D;
    const dA = tf.concat([dI, dF, dG, dO], 0);
    const dz = tf.mul(tf.mul(dA, tf.mul(st.a, tf.sub(one, st.a))), q) as Tensor2D; // [4H, B]
    dzs[t] = dz;
    if (t > 0) dh = tf.matMul(cache.recurrentKernel, dz); // [H, 4H]·[4H, B]
  }
  // dZ as [4H, T·B] with columns (t, b), matching the rows of xTB and of the stacked h_{t-1}.
  const dZ = tf.reshape(tf.transpose(tf.reshape(tf.concat(dzs, 0), [T, G, B]), [1, 0, 2]), [G, T * B]) as Tensor2D;
  const hPrev = tf.concat(steps.map((st) => st.hPrev ?? zeros), 0); // [T·H, B]
  const hTB = tf.reshape(tf.transpose(tf.reshape(hPrev, [T, H, B]), [0, 2, 1]), [T * B, H]) as Tensor2D; // rows (t, b)
  const inputs = tf.concat([cache.xTB, hTB], 1) as Tensor2D; // [T·B, F+H]
  const dWU = tf.transpose(tf.matMul(dZ, inputs)) as Tensor2D; // [F+H, 4H]
  return {
    kernel: tf.slice(dWU, [0, 0], [F, G]) as Tensor2D,
    recurrentKernel: tf.slice(dWU, [F, 0], [H, G]) as Tensor2D,
    bias: tf.sum(dZ, 1) as Tensor1D,
  };
}

type LstmFn = (x: Tensor3D, kernel: Tensor2D, recurrentKernel: Tensor2D, bias: Tensor1D) => Tensor2D;
let customGradFn: LstmFn | null = null;

function flattenCache(c: LstmCache): Tensor[] {
  if (c.kind === 'wasm') return [c.recurrentKernel, c.XH, c.A, c.S, c.C];
  const flat: Tensor[] = [c.xTB, c.recurrentKernel];
  for (const st of c.steps) flat.push(st.a, st.i, st.f, st.g, st.o, st.tc, st.cPrev ?? st.tc, st.hPrev ?? st.tc);
  return flat;
}

function unflattenCache(c: LstmCache, saved: Tensor[]): LstmCache {
  if (c.kind === 'wasm') {
    const [recurrentKernel, XH, A, S, C] = saved;
    return { kind: 'wasm', recurrentKernel: recurrentKernel as Tensor2D, XH, A, S, C };
  }
  const [xTB, rk] = saved as Tensor2D[];
  const steps: Step[] = [];
  for (let t = 0; t < c.T; t++) {
    const [a, i, f, g, o, tc, cPrev, hPrev] = saved.slice(2 + 8 * t, 10 + 8 * t) as Tensor2D[];
    steps.push({ a, i, f, g, o, tc, cPrev: t === 0 ? null : cPrev, hPrev: t === 0 ? null : hPrev });
  }
  return { ...c, xTB, recurrentKernel: rk, steps };
}

/**
 * The LSTM as a differentiable op for autograd (`tf.grads`, `tf.variableGrads`, `optimizer.minimize`): last hidden
 * state [B, H] of x [B, T, F]. Gradients flow to the weights; the gradient for x is zeros.
 */
export function lstmLastHidden(x: Tensor3D, p: LstmParams): Tensor2D {
  const tf = getTf();
  if (!customGradFn) {
    customGradFn = tf.customGrad(((...args: unknown[]) => {
      const [xx, kernel, recurrentKernel, bias, save] = args as [Tensor3D, Tensor2D, Tensor2D, Tensor1D, (t: Tensor[]) => void];
      const { h, cache } = lstmForward(xx, { kernel, recurrentKernel, bias }, true);
      const c = cache as LstmCache;
      save(flattenCache(c));
      return {
        value: h,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const grads = lstmBackward(unflattenCache(c, saved), dy as Tensor2D);
          return [tf.zerosLike(xx), grads.kernel, grads.recurrentKernel, grads.bias];
        },
      };
    }) as never) as unknown as LstmFn;
  }
  return customGradFn(x, p.kernel, p.recurrentKernel, p.bias);
}

// ---------------------------------------------------------------------------------------------------------------
// Implementation choice
// ---------------------------------------------------------------------------------------------------------------

export type LstmImplementation = 'auto' | 'generic';
let requested: LstmImplementation | null = null; // null: SIGNALOPS_LSTM_IMPL (config.ts)
let wasmCheck: boolean | null = null;

/** 'auto' (default): fused WASM kernels on the WASM backend when they pass the self-check; 'generic': tf ops only. */
export function setLstmImplementation(impl: LstmImplementation): void {
  requested = impl;
}

/** Which implementation {@link lstmForward} uses on the current backend. */
export function lstmImplementation(): 'wasm-fused' | 'generic' {
  return useWasmKernels() ? 'wasm-fused' : 'generic';
}

function useWasmKernels(): boolean {
  if ((requested ?? config().SIGNALOPS_LSTM_IMPL) === 'generic') return false;
  const tf = getTf();
  if (tf.getBackend() !== 'wasm') return false;
  if (wasmCheck === null) {
    try {
      registerWasmLstmKernels();
      wasmCheck = true; // lets selfCheck call the kernels
      wasmCheck = selfCheck();
      if (!wasmCheck) logger().warn('fused WASM LSTM kernels disagree with the generic ops; using generic ops');
    } catch (err) {
      wasmCheck = false;
      logger().warn({ err: String(err) }, 'fused WASM LSTM kernels failed; using generic ops');
    }
  }
  return wasmCheck;
}

/** Compares the fused kernels with the generic ops on a small random problem (forward and gradients). */
function selfCheck(): boolean {
  const tf = getTf();
  return tf.tidy(() => {
    const B = 3;
    const T = 4;
    const F = 2;
    const H = 3;
    const seq = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * 0.8);
    const x = tf.tensor3d(seq(B * T * F, 1.7), [B, T, F]);
    const p: LstmParams = {
      kernel: tf.tensor2d(seq(F * 4 * H, 2.3), [F, 4 * H]),
      recurrentKernel: tf.tensor2d(seq(H * 4 * H, 0.9), [H, 4 * H]),
      bias: tf.tensor1d(seq(4 * H, 3.1)),
    };
    const dh = tf.tensor2d(seq(B * H, 1.1), [B, H]);
    const a = lstmForward(x, p, true);
    const b = genericForward(x, p, true);
    const ga = lstmBackward(a.cache as LstmCache, dh);
    const gb = genericBackward(b.cache as GenericCache, dh);
    const pairs: [Tensor, Tensor][] = [
      [a.h, b.h],
      [ga.kernel, gb.kernel],
      [ga.recurrentKernel, gb.recurrentKernel],
      [ga.bias, gb.bias],
    ];
    return pairs.every(([u, v]) => u.shape.join() === v.shape.join() && tf.max(tf.abs(tf.sub(u, v))).dataSync()[0] < 1e-4);
  });
}
