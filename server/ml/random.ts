/**
 * Seeded randomness for everything in server/ml: initial weights, shuffling, bootstrap resampling, permutation
 * importance, random baselines. One generator type (sfc32 seeded through splitmix32), so a seed reproduces a run
 * bit for bit on any backend.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded generator (sfc32). Different seeds, or the same seed with a different `stream`, give independent streams. */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number (got ${seed})`);
  const mix = splitmix32((Math.floor(seed) ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  let spare: number | null = null;
  const next = () => u32() / 4294967296;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** In-place Fisher–Yates shuffle. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, rng: Rng): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rng);
}

// ---------------------------------------------------------------------------------------------------------------
// Weight initialisers (Keras semantics), returning row-major Float32Arrays.
// ---------------------------------------------------------------------------------------------------------------

/** Glorot (Xavier) uniform for a [fanIn, fanOut] kernel. */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() * 2 - 1) * limit;
  return out;
}

/**
 * Orthogonal initialiser for a [rows, cols] matrix (Keras: QR of a normal matrix, sign-corrected). With rows < cols
 * the rows are orthonormal; otherwise the columns are. Computed in float64 by modified Gram–Schmidt.
 */
export function orthogonal(rows: number, cols: number, rng: Rng, gain = 1): Float32Array {
  // Orthonormalise k vectors of length m, where k <= m.
  const m = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const vecs: Float64Array[] = [];
  for (let v = 0; v < k; v++) {
    const x = new Float64Array(m);
    for (let i = 0; i < m; i++) x[i] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of vecs) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i] * x[i];
        for (let i = 0; i < m; i++) x[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) x[i] /= norm;
    vecs.push(x);
  }
  const out = new Float32Array(rows * cols);
  for (let v = 0; v < k; v++) {
    for (let i = 0; i < m; i++) {
      // rows < cols: vector v is row v; otherwise vector v is column v.
      if (rows < cols) out[v * cols + i] = gain * vecs[v][i];
      else out[i * cols + v] = gain * vecs[v][i];
    }
  }
  return out;
}
