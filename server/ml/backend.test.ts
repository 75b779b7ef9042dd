import { beforeAll, describe, expect, it } from 'vitest';
import { getTf, initTf, setWasmKernelPatches, tfInfo, wasmKernelPatches, type Tensor } from './backend';

const tf = getTf();
beforeAll(async () => {
  await initTf();
});

describe('backend', () => {
  it('initialises once and reports its choice', async () => {
    const a = await initTf();
    const b = await initTf();
    expect(a).toEqual(b);
    expect(tfInfo()).toEqual(a);
    expect(['node', 'wasm', 'cpu']).toContain(a.backend);
    expect(tf.getBackend()).toBe(a.backend === 'node' ? 'tensorflow' : a.backend);
    if (a.backend === 'wasm') expect(a.kernelPatches).toBe(true);
  });

  it('kernel patches give the same results as the stock kernels', () => {
    const cases: Array<() => Tensor> = [
      () => tf.matMul(tf.range(0, 24).reshape([6, 4]).div(7), tf.range(0, 30).reshape([6, 5]).sin(), true, false),
      () => tf.matMul(tf.range(0, 24).reshape([4, 6]).cos(), tf.range(0, 30).reshape([5, 6]).div(3), false, true),
      () => tf.matMul(tf.range(0, 24).reshape([2, 4, 3]).cos(), tf.range(0, 30).reshape([2, 5, 3]), false, true),
      () => tf.fused.matMul({ a: tf.range(0, 12).reshape([4, 3]).sin(), b: tf.range(0, 8).reshape([2, 4]), transposeA: true, transposeB: true, bias: tf.ones([2]), activation: 'relu' }),
      () => tf.slice(tf.range(0, 60).reshape([3, 4, 5]), [1, 1, 2], [2, 2, 3]),
      () => tf.slice(tf.range(0, 60).reshape([6, 10]), [0, 3], [6, 4]),
      () => tf.slice(tf.range(0, 240).reshape([2, 3, 4, 10]), [1, 0, 1, 0], [1, 3, 2, 10]),
      () => tf.slice(tf.range(0, 60).reshape([3, 20]), [1, 0], [2, 20]),
      () => tf.slice(tf.range(0, 2 * 70 * 40).reshape([2, 70, 40]), [0, 5, 3], [2, 60, 35]),
      () => tf.slice(tf.range(0, 10, 1, 'int32'), [2], [5]),
    ];
    const was = wasmKernelPatches();
    try {
      const results = [false, true].map((on) => {
        setWasmKernelPatches(on);
        return cases.map((f) => tf.tidy(() => f()));
      });
      for (let i = 0; i < cases.length; i++) {
        const [stock, patched] = [results[0][i], results[1][i]];
        expect(patched.shape).toEqual(stock.shape);
        const a = stock.dataSync();
        const b = patched.dataSync();
        for (let k = 0; k < a.length; k++) expect(b[k]).toBeCloseTo(a[k], 4);
      }
      tf.dispose(results.flat());
    } finally {
      setWasmKernelPatches(was);
    }
  });
});
