/**
 * WASM-backend specialisation of the fast LSTM (see lstm.ts for the maths): the whole forward recurrence and the
 * whole backward recurrence are each ONE registered kernel, so the engine's per-op overhead is paid twice per batch
 * instead of ~30 times per time step. Inside the kernels:
 *
 *  - matMuls run through the backend's own kernels (XNNPACK) with the constant weight matrix always on the right,
 *    where XNNPACK packs it once and caches it: forward a_t = σ([x_t, h_{t−1}, 1]·Wcat) is one fused matMul+sigmoid
 *    per step (bias folded into Wcat as a row, g-gate columns pre-scaled by 2 so that tanh(z) = 2σ(2z) − 1);
 *    backward dh_{t−1} = dz_t·Uᵀ is one plain matMul per step; the weight gradients are one matMul over all steps
 *    (dZᵀ·[x, h, 1] gives dW, dU and db at once; dZᵀ is written transposed by the cell loop, because XNNPACK
 *    re-packs a fresh right operand on every call and packing the larger dZ costs as much as the product);
 *  - the elementwise cell maths runs as plain JS loops over views of the WASM heap (no transcendental functions in
 *    JS: the sigmoids run in the backend's vectorised Sigmoid kernel).
 *
 * It relies on the WASM backend's kernel-facing API (makeOutput, dataIdMap, typedArrayFromHeap, disposeData and the
 * registered kernel functions), which is what every WASM kernel uses. A self-check against the generic
 * implementation runs the first time (see lstm.ts); on any mismatch the generic path is used.
 */
import { getTf, type KernelFunc, type NamedAttrMap, type TensorInfo } from './backend';

export const LSTM_FWD_KERNEL = 'SignalOpsLstmForward';
export const LSTM_BWD_KERNEL = 'SignalOpsLstmBackward';

interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

interface Kernels {
  fusedMatMul: KernelFunc;
  matMul: KernelFunc;
  sigmoid: KernelFunc;
  transpose: KernelFunc;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A Float32Array view of a tensor's memory. Re-take views after any allocation (heap growth detaches them). */
function view(be: WasmBackend, t: TensorInfo): Float32Array {
  return new Float32Array(be.wasm.HEAPU8.buffer, be.dataIdMap.get(t.dataId).memoryOffset, sizeOf(t.shape));
}

function as3d(t: TensorInfo, shape: [number, number, number]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

function kernels(): Kernels {
  const tf = getTf();
  const get = (name: string) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`wasm kernel ${name} missing`);
    return k.kernelFunc;
  };
  // Looked up per call: the backend module may have re-registered (patched) them.
  return { fusedMatMul: get(tf._FusedMatMul), matMul: get(tf.BatchMatMul), sigmoid: get(tf.Sigmoid), transpose: get(tf.Transpose) };
}

const NO_TRANSPOSE = { transposeA: false, transposeB: false } as const;

/** Tracks the tensors a kernel allocates, so that every path (errors included) frees all but the outputs. */
class Allocations {
  private readonly live = new Set<TensorInfo>();
  constructor(private readonly be: WasmBackend) {}
  alloc(shape: number[]): TensorInfo {
    return this.track(this.be.makeOutput(shape, 'float32'));
  }
  track(t: TensorInfo): TensorInfo {
    this.live.add(t);
    return t;
  }
  free(t: TensorInfo): void {
    if (this.live.delete(t)) this.be.disposeData(t.dataId);
  }
  /** Hands a tensor over to the caller (a kernel output). */
  keep(t: TensorInfo): TensorInfo {
    this.live.delete(t);
    return t;
  }
  freeAll(): void {
    for (const t of this.live) this.be.disposeData(t.dataId);
    this.live.clear();
  }
}

/**
 * Forward. Inputs x [B,T,F], kernel [F,4H], recurrentKernel [H,4H], bias [4H]; attr keep.
 * Outputs: h_T [B,H]; with keep also XH [T,B,F+H+1] (step inputs), A [T,B,4H] (σ of the scaled pre-activations),
 * S [T,B,H] (σ(2c_t), so tanh(c_t) = 2S − 1), C [T,B,H] (c_t).
 */
function forwardKernel(args: { inputs: NamedAttrMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const be = args.backend as WasmBackend;
  const k = kernels();
  const { x, kernel, recurrentKernel, bias } = args.inputs as unknown as Record<string, TensorInfo>;
  const keep = Boolean(args.attrs?.keep);
  const [B, T, F] = x.shape;
  const H = recurrentKernel.shape[0];
  const G = 4 * H;
  const K1 = F + H + 1;
  const mem = new Allocations(be);
  try {
    // Wcat = [W; U; b] with the g-gate columns scaled by 2.
    const wcat = mem.alloc([1, K1, G]);
    const XH = keep ? mem.alloc([T, B, K1]) : null;
    const A = keep ? mem.alloc([T, B, G]) : null;
    const S = keep ? mem.alloc([T, B, H]) : null;
    const C = keep ? mem.alloc([T, B, H]) : null;
    let xh = mem.alloc([1, B, K1]);
    {
      const wv = view(be, wcat);
      wv.set(view(be, kernel), 0);
      wv.set(view(be, recurrentKernel), F * G);
      wv.set(view(be, bias), (F + H) * G);
      for (let r = 0; r < K1; r++) for (let j = 2 * H; j < 3 * H; j++) wv[r * G + j] *= 2;
      const hv = view(be, xh);
      hv.fill(0);
      stepInput(view(be, x), hv, 0, B, T, F, H);
    }
    const cState = new Float32Array(B * H);
    for (let t = 0; t < T; t++) {
      const a = mem.track(
        k.fusedMatMul({
          inputs: { a: as3d(xh, [1, B, K1]), b: wcat },
          backend: be as never,
          attrs: { ...NO_TRANSPOSE, activation: 'sigmoid' },
        }) as TensorInfo,
      );
      const c2 = mem.alloc([B, H]);
      cellState(view(be, a), cState, view(be, c2), B, H);
      const s = mem.track(k.sigmoid({ inputs: { x: c2 }, backend: be as never }) as TensorInfo);
      mem.free(c2);
      const last = t === T - 1;
      const next = mem.alloc(last ? [B, H] : [1, B, K1]);
      {
        const av = view(be, a);
        const sv = view(be, s);
        const nv = view(be, next);
        if (XH && A && S && C) {
          view(be, XH).set(view(be, xh), t * B * K1);
          view(be, A).set(av, t * B * G);
          view(be, S).set(sv, t * B * H);
          view(be, C).set(cState, t * B * H);
        }
        if (last) cellOutput(av, sv, nv, H, 0, B, H);
        else {
          cellOutput(av, sv, nv, K1, F, B, H);
          stepInput(view(be, x), nv, t + 1, B, T, F, H);
        }
      }
      mem.free(a);
      mem.free(s);
      mem.free(xh);
      xh = next;
    }
    const outputs: TensorInfo[] = [mem.keep(xh)];
    if (XH && A && S && C) outputs.push(mem.keep(XH), mem.keep(A), mem.keep(S), mem.keep(C));
    return outputs;
  } finally {
    mem.freeAll();
  }
}

/**
 * Backward. Inputs dh [B,H] (dL/dh_T), recurrentKernel [H,4H], XH, A, S, C from the forward.
 * Outputs dKernel [F,4H], dRecurrentKernel [H,4H], dBias [4H].
 */
function backwardKernel(args: { inputs: NamedAttrMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const be = args.backend as WasmBackend;
  const k = kernels();
  const { dh, recurrentKernel, XH, A, S, C } = args.inputs as unknown as Record<string, TensorInfo>;
  const [T, B, K1] = XH.shape;
  const H = recurrentKernel.shape[0];
  const G = 4 * H;
  const F = K1 - H - 1;
  const TB = T * B;
  const mem = new Allocations(be);
  try {
    const UT = mem.track(k.transpose({ inputs: { x: recurrentKernel }, backend: be as never, attrs: { perm: [1, 0] } }) as TensorInfo);
    // dZᵀ [4H, T·B] (columns (t, b)) is written directly by the cell loop, so the weight-gradient matMul needs no
    // transpose and its freshly computed right operand is the smaller XH.
    const dZT = mem.alloc([G, TB]);
    const dc = new Float32Array(B * H);
    let dhCur: TensorInfo = dh; // the input; later steps own theirs
    for (let t = T - 1; t >= 0; t--) {
      const dz = mem.alloc([B, G]);
      {
        const av = view(be, A).subarray(t * B * G, (t + 1) * B * G);
        const sv = view(be, S).subarray(t * B * H, (t + 1) * B * H);
        const cPrev = t > 0 ? view(be, C).subarray((t - 1) * B * H, t * B * H) : null;
        cellBackward(av, sv, cPrev, view(be, dhCur), dc, view(be, dz), view(be, dZT), t * B, TB, B, H);
      }
      if (t > 0) {
        const next = mem.track(k.matMul({ inputs: { a: dz, b: UT }, backend: be as never, attrs: { ...NO_TRANSPOSE } }) as TensorInfo);
        mem.free(dhCur); // no-op for the input dh
        dhCur = next;
      }
      mem.free(dz);
    }
    const dWcatT = mem.track(
      k.matMul({
        inputs: { a: dZT, b: { dataId: XH.dataId, shape: [TB, K1], dtype: 'float32' } },
        backend: be as never,
        attrs: { ...NO_TRANSPOSE },
      }) as TensorInfo,
    ); // [4H, K1]
    const dK = mem.alloc([F, G]);
    const dU = mem.alloc([H, G]);
    const db = mem.alloc([G]);
    splitWeightGrads(view(be, dWcatT), view(be, dK), view(be, dU), view(be, db), F, H);
    return [mem.keep(dK), mem.keep(dU), mem.keep(db)];
  } finally {
    mem.freeAll();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Inner loops: small monomorphic functions over Float32Arrays, which V8 optimises well.
// ---------------------------------------------------------------------------------------------------------------

/** c_t = f·c_{t−1} + i·(2σ_g − 1), written to `c` (in place) and 2c_t to `c2` (input of σ for tanh). */
function cellState(a: Float32Array, c: Float32Array, c2: Float32Array, B: number, H: number): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const ao = b * G;
    const ro = b * H;
    for (let j = 0; j < H; j++) {
      const cn = a[ao + H + j] * c[ro + j] + a[ao + j] * (2 * a[ao + 2 * H + j] - 1);
      c[ro + j] = cn;
      c2[ro + j] = 2 * cn;
    }
  }
}

/** h_t = o·(2σ(2c_t) − 1), written to row b of `out` at column `col` (row stride `stride`). */
function cellOutput(a: Float32Array, s: Float32Array, out: Float32Array, stride: number, col: number, B: number, H: number): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const ao = b * G + 3 * H;
    const ro = b * H;
    const no = b * stride + col;
    for (let j = 0; j < H; j++) out[no + j] = a[ao + j] * (2 * s[ro + j] - 1);
  }
}

/** Copies x[:, t, :] into columns 0..F−1 of the step input [B, F+H+1] and sets its constant-1 column. */
function stepInput(x: Float32Array, xh: Float32Array, t: number, B: number, T: number, F: number, H: number): void {
  const K1 = F + H + 1;
  for (let b = 0; b < B; b++) {
    const src = (b * T + t) * F;
    const dst = b * K1;
    for (let f = 0; f < F; f++) xh[dst + f] = x[src + f];
    xh[dst + F + H] = 1;
  }
}

/**
 * One step of BPTT through the cell: dz (pre-activation gradients, [B, 4H]), also written transposed into columns
 * col..col+B−1 of dZᵀ [4H, TB] (the stores stay in cache lines shared by consecutive b), and dc (in place).
 */
function cellBackward(
  a: Float32Array,
  s: Float32Array,
  cPrev: Float32Array | null,
  dh: Float32Array,
  dc: Float32Array,
  dz: Float32Array,
  dZT: Float32Array,
  col: number,
  TB: number,
  B: number,
  H: number,
): void {
  const G = 4 * H;
  const HT = H * TB;
  for (let b = 0; b < B; b++) {
    const ao = b * G;
    const ro = b * H;
    for (let j = 0; j < H; j++) {
      const i = a[ao + j];
      const f = a[ao + H + j];
      const g = 2 * a[ao + 2 * H + j] - 1;
      const o = a[ao + 3 * H + j];
      const tc = 2 * s[ro + j] - 1;
      const d = dh[ro + j];
      const dcT = dc[ro + j] + d * o * (1 - tc * tc);
      const cp = cPrev === null ? 0 : cPrev[ro + j];
      const zi = dcT * g * i * (1 - i);
      const zf = dcT * cp * f * (1 - f);
      const zg = dcT * i * (1 - g * g);
      const zo = d * tc * o * (1 - o);
      dz[ao + j] = zi;
      dz[ao + H + j] = zf;
      dz[ao + 2 * H + j] = zg;
      dz[ao + 3 * H + j] = zo;
      const zt = j * TB + col + b;
      dZT[zt] = zi;
      dZT[zt + HT] = zf;
      dZT[zt + 2 * HT] = zg;
      dZT[zt + 3 * HT] = zo;
      dc[ro + j] = dcT * f;
    }
  }
}

/** dWcatᵀ [G, F+H+1] → dKernel [F, G], dRecurrent [H, G], dBias [G]. */
function splitWeightGrads(w: Float32Array, k: Float32Array, u: Float32Array, bias: Float32Array, F: number, H: number): void {
  const G = 4 * H;
  const K1 = F + H + 1;
  for (let j = 0; j < G; j++) {
    const row = j * K1;
    for (let f = 0; f < F; f++) k[f * G + j] = w[row + f];
    for (let r = 0; r < H; r++) u[r * G + j] = w[row + F + r];
    bias[j] = w[row + F + H];
  }
}

let registered = false;

/** Registers the two kernels for the 'wasm' backend (idempotent). */
export function registerWasmLstmKernels(): void {
  if (registered) return;
  const tf = getTf();
  if (!tf.getKernel(LSTM_FWD_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: LSTM_FWD_KERNEL, backendName: 'wasm', kernelFunc: forwardKernel as unknown as KernelFunc });
  }
  if (!tf.getKernel(LSTM_BWD_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: LSTM_BWD_KERNEL, backendName: 'wasm', kernelFunc: backwardKernel as unknown as KernelFunc });
  }
  registered = true;
}
