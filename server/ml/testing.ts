/** Synthetic data for the server/ml tests. */
import { createRng } from './random';
import type { Samples } from './types';

/**
 * Windows of standard-normal noise whose label is planted in feature `signalFeature` at the last step:
 * BUY when it is > 0.43, SELL when < −0.43, HOLD otherwise (≈ one third each). Forward returns follow the label.
 */
export function plantedSamples(n: number, T: number, F: number, seed: number, signalFeature = 1): Samples & { forwardReturns: Float64Array } {
  const rng = createRng(seed);
  const x = new Float32Array(n * T * F);
  const y = new Uint8Array(n);
  const forwardReturns = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < T * F; k++) x[i * T * F + k] = rng.normal();
    const v = x[i * T * F + (T - 1) * F + signalFeature];
    y[i] = v > 0.43 ? 2 : v < -0.43 ? 0 : 1;
    forwardReturns[i] = 0.01 * v + 0.002 * rng.normal();
  }
  return { x, y, n, forwardReturns };
}

/** Pure noise with random labels. */
export function noiseSamples(n: number, T: number, F: number, seed: number): Samples {
  const rng = createRng(seed);
  return {
    x: Float32Array.from({ length: n * T * F }, () => rng.normal()),
    y: Uint8Array.from({ length: n }, () => rng.int(3)),
    n,
  };
}
