/**
 * The ONE module that picks the TensorFlow.js backend (DESIGN.md "Conventions" and "Machine facts").
 *
 *   1. `@tensorflow/tfjs-node` when it is installed (dynamic import in try/catch: its install downloads libtensorflow,
 *      which fails offline, so it is usually absent);
 *   2. otherwise `@tensorflow/tfjs` + `@tensorflow/tfjs-backend-wasm`, with the .wasm binaries loaded from the
 *      installed package's dist directory on disk (a file path, never the network);
 *   3. otherwise the pure-JS `cpu` backend.
 *
 * `TF_BACKEND=auto|node|wasm|cpu` overrides the choice (`node`/`wasm` fail loudly when unavailable).
 *
 * On the WASM backend, matMuls with `transposeA`/`transposeB` set are 7–18× slower than an explicit transpose
 * followed by a plain matMul, and every matMul gradient uses those flags; and Slice copies its whole input.
 * {@link setWasmKernelPatches} wraps those kernels (see below); `initTf()` turns the patches on for the WASM backend
 * (the bench turns them off to measure tfjs as shipped).
 *
 * Everything else in the code base gets the tf namespace from {@link getTf} and tensor types from this module.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { logger } from '../log';
import { config } from '../config';

export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Variable,
  Scalar,
  Rank,
  NamedTensorMap,
  Optimizer,
  LayersModel,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs';

export type Tf = typeof tf;
export type BackendName = 'node' | 'wasm' | 'cpu';

export interface TfInfo {
  /** Which implementation runs the kernels: tfjs-node (libtensorflow), WASM, or the pure-JS CPU backend. */
  backend: BackendName;
  /** tfjs-core version. */
  version: string;
  /** WASM only: SIMD available. */
  simd?: boolean;
  /** WASM only: thread pool size (1 in Node: tfjs' WASM backend has no threads in Node). */
  threads?: number;
  /** WASM only: whether the kernel patches are active (flagged matMuls through an explicit transpose, slice without a full copy). */
  kernelPatches?: boolean;
}

let info: TfInfo | null = null;
let initPromise: Promise<TfInfo> | null = null;

/** The tf namespace (tfjs). Call {@link initTf} once before running ops. */
export function getTf(): Tf {
  return tf;
}

/** The backend chosen by {@link initTf}, or null before it finished. */
export function tfInfo(): TfInfo | null {
  return info ? { ...info } : null;
}

function requestedBackend(): 'auto' | BackendName {
  return config().TF_BACKEND; // parsed in config.ts: a bad value names the variable
}

async function tryNode(): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers and tsc from resolving the optional package.
    const name = '@tensorflow/tfjs-node';
    await import(/* webpackIgnore: true */ name);
    return tf.findBackend('tensorflow') != null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

function wasmDistDir(): string {
  // The package's "main" is dist/tf-backend-wasm.node.js, next to the .wasm binaries. Inside a Next.js server
  // bundle, require.resolve is rewritten to a module id (a number), so fall back to looking on disk.
  try {
    const resolved: unknown = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    if (typeof resolved === 'string') return path.dirname(resolved);
  } catch {
    /* fall through */
  }
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    if (fs.existsSync(path.join(candidate, 'tfjs-backend-wasm.wasm'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error('cannot find @tensorflow/tfjs-backend-wasm/dist (run npm install)');
  }
}

/**
 * The WASM backend's emscripten glue installs process-wide handlers that rethrow ANY unhandled rejection (crashing
 * a worker or the web server over an unrelated failed query, and printing the minified glue as the "source").
 * Replace them: unhandled rejections are logged; uncaught exceptions keep Node's default (log and exit).
 */
function tameWasmProcessHandlers(): void {
  for (const l of process.listeners('unhandledRejection')) if (/throw\s+reason/.test(String(l))) process.removeListener('unhandledRejection', l);
  for (const l of process.listeners('uncaughtException')) if (/ExitStatus/.test(String(l))) process.removeListener('uncaughtException', l);
  if (!process.listeners('unhandledRejection').length) {
    process.on('unhandledRejection', (reason) => logger().error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection'));
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const dir = wasmDistDir();
    setWasmPaths({
      'tfjs-backend-wasm.wasm': path.join(dir, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': path.join(dir, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
    const ok = await tf.setBackend('wasm');
    if (ok) tameWasmProcessHandlers();
    return ok;
  } catch (err) {
    logger().warn({ err: err instanceof Error ? err.message : String(err) }, 'the WASM backend of TensorFlow.js failed to load');
    return false;
  }
}

async function doInit(): Promise<TfInfo> {
  const want = requestedBackend();
  let backend: BackendName | null = null;
  if (want === 'node' || want === 'auto') {
    if (await tryNode()) backend = 'node';
    else if (want === 'node') throw new Error('TF_BACKEND=node but @tensorflow/tfjs-node is not installed or failed to load');
  }
  if (!backend && (want === 'wasm' || want === 'auto')) {
    if (await tryWasm()) backend = 'wasm';
    else if (want === 'wasm') throw new Error('TF_BACKEND=wasm but the WASM backend failed to initialise');
  }
  if (!backend) {
    await tf.setBackend('cpu');
    backend = 'cpu';
  }
  await tf.ready();
  const next: TfInfo = { backend, version: tf.version_core };
  if (backend === 'wasm') {
    next.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const multi = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    next.threads = multi ? undefined : 1;
    next.kernelPatches = setWasmKernelPatches(true);
  }
  info = next;
  logChoice(next);
  return { ...next };
}

function logChoice(i: TfInfo): void {
  if (config().SIGNALOPS_TF_QUIET) return;
  logger().info({ tf: i }, 'tensorflow backend selected');
}

/** Chooses and initialises the backend once; later calls return the same info. */
export function initTf(): Promise<TfInfo> {
  if (!initPromise) {
    initPromise = doInit().catch((err: unknown) => {
      initPromise = null;
      throw err;
    });
  }
  return initPromise;
}

// ---------------------------------------------------------------------------------------------------------------
// WASM kernel patches
//
// 1. Transpose routing: BatchMatMul / _FusedMatMul calls with transposeA/transposeB run as Transpose + plain matMul.
// 2. Slice without a full copy: the stock WASM Slice kernel reads its input with readSync(), which copies the WHOLE
//    input tensor out of the heap before taking the slice (slicing step t of a [T, 4H, B] tensor copies all T steps).
//    The patched kernel reads a view of the heap and copies only the slice.
// Both give identical values (routing: up to float summation order inside the matMul).
// ---------------------------------------------------------------------------------------------------------------

interface WasmHeapBackend {
  disposeData(dataId: object): boolean;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const originals = new Map<string, KernelConfig>();
let patchesOn = false;

function transposeLast2(x: TensorInfo, backend: WasmHeapBackend, transposeKernel: KernelFunc): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transposeKernel({ inputs: { x }, backend: backend as never, attrs: { perm } }) as TensorInfo;
}

function routedMatMul(original: KernelConfig, transposeKernel: KernelFunc): KernelFunc {
  const inner = original.kernelFunc;
  return (args) => {
    const attrs = args.attrs as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
    if (!attrs?.transposeA && !attrs?.transposeB) return inner(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const inputs = { ...(args.inputs as Record<string, TensorInfo>) };
    const temps: TensorInfo[] = [];
    if (attrs.transposeA) {
      inputs.a = transposeLast2(inputs.a, backend, transposeKernel);
      temps.push(inputs.a);
    }
    if (attrs.transposeB) {
      inputs.b = transposeLast2(inputs.b, backend, transposeKernel);
      temps.push(inputs.b);
    }
    try {
      return inner({ ...args, inputs, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

function viewSlice(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    if (x.dtype === 'string' || x.dtype === 'complex64') return original.kernelFunc(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [b, sz] = tf.slice_util.parseSliceParams(x as never, begin, size);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(sz, x.dtype);
    // Views are taken after the allocation: a heap growth detaches older views.
    const xv = backend.typedArrayFromHeap(x);
    const ov = backend.typedArrayFromHeap(out);
    if (ov.length === 0) return out;
    const strides = tf.util.computeStrides(x.shape);
    if (tf.slice_util.isSliceContinous(x.shape, b, sz)) {
      const off = tf.slice_util.computeFlatOffset(b, strides);
      ov.set(xv.subarray(off, off + ov.length));
      return out;
    }
    const rank = sz.length;
    const inner = sz[rank - 1];
    const idx = new Array<number>(rank - 1).fill(0);
    let o = 0;
    for (;;) {
      let off = b[rank - 1];
      for (let d = 0; d < rank - 1; d++) off += (b[d] + idx[d]) * strides[d];
      if (inner >= 32) {
        ov.set(xv.subarray(off, off + inner), o);
        o += inner;
      } else {
        for (let k = 0; k < inner; k++) ov[o++] = xv[off + k];
      }
      let d = rank - 2;
      while (d >= 0 && ++idx[d] === sz[d]) idx[d--] = 0;
      if (d < 0) break;
    }
    return out;
  };
}

/**
 * Turns the WASM kernel patches (transpose routing for flagged matMuls, slice without a full copy) on or off. A no-op
 * on other backends. Returns whether the patches are now active. `initTf()` turns them on; the bench turns them off
 * to measure tfjs as shipped.
 */
export function setWasmKernelPatches(on: boolean): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  if (on === patchesOn) return patchesOn;
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  if (!transpose) return false;
  const make: Record<string, (orig: KernelConfig) => KernelFunc> = {
    [tf.BatchMatMul]: (orig) => routedMatMul(orig, transpose.kernelFunc),
    [tf._FusedMatMul]: (orig) => routedMatMul(orig, transpose.kernelFunc),
    [tf.Slice]: (orig) => viewSlice(orig),
  };
  for (const [name, wrap] of Object.entries(make)) {
    const current = originals.get(name) ?? tf.getKernel(name, 'wasm');
    if (!current) continue;
    if (!originals.has(name)) originals.set(name, current);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(on ? { kernelName: name, backendName: 'wasm', setupFunc: current.setupFunc, kernelFunc: wrap(current) } : current);
  }
  patchesOn = on;
  if (info) info.kernelPatches = on;
  return patchesOn;
}

/** Whether the WASM kernel patches are active. */
export function wasmKernelPatches(): boolean {
  return patchesOn;
}
