/** Row-wise helpers over [n × C] matrices of logits or probabilities (plain arrays, no tfjs). */

/** Row-wise softmax of logits [n × C] divided by a temperature (1 = plain softmax). */
export function softmaxRows(logits: ArrayLike<number>, classes: number, temperature = 1): Float32Array {
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 (got ${temperature})`);
  const n = logits.length / classes;
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c] / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] / temperature - max);
    for (let c = 0; c < classes; c++) out[i * classes + c] = Math.exp(logits[i * classes + c] / temperature - max) / sum;
  }
  return out;
}

/** Argmax per row of an [n × C] matrix. */
export function argmaxRows(m: ArrayLike<number>, classes: number): Uint8Array {
  const n = m.length / classes;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (m[i * classes + c] > m[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}
