/**
 * Test helpers for the leakage guards: a small multinomial logistic regression (plain TS, full-batch gradient
 * descent) and the constant baselines. Lives outside the test file so other stages' tests can reuse it.
 */
export interface Dataset {
  x: Float32Array;
  y: Uint8Array;
  n: number;
  /** Values per sample. */
  d: number;
}

/** The last step of each [n, T, F] window: [n, F]. */
export function lastStep(x: Float32Array, n: number, T: number, F: number): Dataset['x'] {
  const out = new Float32Array(n * F);
  for (let s = 0; s < n; s++) out.set(x.subarray((s * T + T - 1) * F, (s * T + T) * F), s * F);
  return out;
}

export function trainSoftmax(data: Dataset, opts: { classes?: number; steps?: number; lr?: number; l2?: number } = {}): (row: ArrayLike<number>) => number {
  const K = opts.classes ?? 3;
  const { x, y, n, d } = data;
  const W = new Float64Array(K * (d + 1));
  const steps = opts.steps ?? 300;
  const lr = opts.lr ?? 0.5;
  const l2 = opts.l2 ?? 1e-3;
  const grad = new Float64Array(W.length);
  const p = new Float64Array(K);
  const logits = (row: ArrayLike<number>, o: number, out: Float64Array) => {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let z = W[k * (d + 1) + d];
      for (let j = 0; j < d; j++) z += W[k * (d + 1) + j] * row[o + j];
      out[k] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += out[k] = Math.exp(out[k] - max);
    for (let k = 0; k < K; k++) out[k] /= sum;
  };
  for (let it = 0; it < steps; it++) {
    grad.fill(0);
    for (let s = 0; s < n; s++) {
      logits(x, s * d, p);
      for (let k = 0; k < K; k++) {
        const g = p[k] - (y[s] === k ? 1 : 0);
        const base = k * (d + 1);
        for (let j = 0; j < d; j++) grad[base + j] += g * x[s * d + j];
        grad[base + d] += g;
      }
    }
    for (let i = 0; i < W.length; i++) W[i] -= lr * (grad[i] / n + l2 * W[i]);
  }
  return (row) => {
    const out = new Float64Array(K);
    logits(row, 0, out);
    let best = 0;
    for (let k = 1; k < K; k++) if (out[k] > out[best]) best = k;
    return best;
  };
}

export function accuracy(predict: (row: ArrayLike<number>) => number, data: Dataset): number {
  let ok = 0;
  for (let s = 0; s < data.n; s++) if (predict(data.x.subarray(s * data.d, (s + 1) * data.d)) === data.y[s]) ok++;
  return ok / data.n;
}

/** Best constant predictor on `test` (the majority class of the test part itself: an upper bound for any constant). */
export function bestConstantAccuracy(test: Uint8Array, classes = 3): number {
  const c = new Array(classes).fill(0);
  for (const y of test) c[y]++;
  return Math.max(...c) / test.length;
}

/** Predicting the training majority class on `test`. */
export function priorAccuracy(train: Uint8Array, test: Uint8Array, classes = 3): number {
  const c = new Array(classes).fill(0);
  for (const y of train) c[y]++;
  const major = c.indexOf(Math.max(...c));
  return test.filter((y) => y === major).length / test.length;
}
