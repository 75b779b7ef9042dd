import { beforeAll, describe, expect, it } from 'vitest';
import { getTf, initTf, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D } from './backend';
import { lstmBackward, lstmForward, lstmImplementation, lstmLastHidden, setLstmImplementation, type LstmParams } from './lstm';
import { buildStockLstm, createModel, type NamedWeights } from './models';
import { createRng } from './random';
import { trainModel } from './train';

const tf = getTf();
beforeAll(async () => {
  await initTf();
});

function rand(shape: number[], seed: number, scale = 0.5): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

const B = 5;
const T = 7;
const F = 3;
const H = 4;

function setup() {
  const x = tf.tensor3d(rand([B, T, F], 1, 1), [B, T, F]);
  const p: LstmParams = {
    kernel: tf.tensor2d(rand([F, 4 * H], 2), [F, 4 * H]),
    recurrentKernel: tf.tensor2d(rand([H, 4 * H], 3), [H, 4 * H]),
    bias: tf.tensor1d(rand([4 * H], 4, 0.3)),
  };
  const stock = tf.sequential({ layers: [tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', inputShape: [T, F], recurrentInitializer: 'zeros' })] });
  stock.setWeights([p.kernel, p.recurrentKernel, p.bias]);
  return { x, p, stock };
}

describe.each(['auto', 'generic'] as const)('fast LSTM (%s implementation) vs tf.layers.lstm', (impl) => {
  it('same forward output and same weight gradients on identical weights', () => {
    setLstmImplementation(impl);
    try {
      if (impl === 'generic') expect(lstmImplementation()).toBe('generic');
      if (impl === 'auto' && tf.getBackend() === 'wasm') expect(lstmImplementation()).toBe('wasm-fused');
      const { x, p, stock } = setup();
      const r = tf.tensor2d(rand([B, H], 5), [B, H]);
      const stockH = stock.predict(x) as Tensor;
      const fastH = tf.tidy(() => lstmForward(x, p, false).h);
      expect(maxAbsDiff(stockH, fastH)).toBeLessThan(1e-6);

      // d/dW of Σ h·r — stock through autograd, ours through the hand-written BPTT (and through customGrad).
      const vars = stock.trainableWeights.map((w) => (w as unknown as { val: Tensor }).val);
      const stockGrads = tf.variableGrads(() => tf.sum(tf.mul(stock.apply(x) as Tensor, r)), vars as never).grads;
      const stockList = Object.values(stockGrads);
      const manual = tf.tidy(() => {
        const { cache } = lstmForward(x, p, true);
        const g = lstmBackward(cache!, r);
        return [g.kernel, g.recurrentKernel, g.bias];
      });
      const viaCustomGrad = tf.grads((k: Tensor, u: Tensor, b: Tensor) =>
        tf.sum(tf.mul(lstmLastHidden(x as Tensor3D, { kernel: k as Tensor2D, recurrentKernel: u as Tensor2D, bias: b as Tensor1D }), r)),
      )([p.kernel, p.recurrentKernel, p.bias]);
      for (let k = 0; k < 3; k++) {
        const scale = tf.tidy(() => tf.max(tf.abs(stockList[k])).dataSync()[0]);
        expect(scale).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(stockList[k], manual[k])).toBeLessThan(1e-5 * Math.max(1, scale));
        expect(maxAbsDiff(stockList[k], viaCustomGrad[k])).toBeLessThan(1e-5 * Math.max(1, scale));
      }
      tf.dispose([x, p.kernel, p.recurrentKernel, p.bias, r, stockH, fastH, ...stockList, ...manual, ...viaCustomGrad]);
      stock.dispose();
    } finally {
      setLstmImplementation('auto');
    }
  });
});

describe('edge shapes', () => {
  it.each([
    [1, 1, 1, 1],
    [3, 1, 2, 5],
    [1, 9, 4, 3],
  ])('B=%i T=%i F=%i H=%i: fast = stock, forward and gradients', (b, t, f, h) => {
    const x = tf.tensor3d(rand([b, t, f], 21, 1), [b, t, f]);
    const p: LstmParams = {
      kernel: tf.tensor2d(rand([f, 4 * h], 22), [f, 4 * h]),
      recurrentKernel: tf.tensor2d(rand([h, 4 * h], 23), [h, 4 * h]),
      bias: tf.tensor1d(rand([4 * h], 24, 0.3)),
    };
    const stock = tf.sequential({ layers: [tf.layers.lstm({ units: h, recurrentActivation: 'sigmoid', inputShape: [t, f], recurrentInitializer: 'zeros' })] });
    stock.setWeights([p.kernel, p.recurrentKernel, p.bias]);
    const r = tf.tensor2d(rand([b, h], 25), [b, h]);
    const stockH = stock.predict(x) as Tensor;
    const fastH = tf.tidy(() => lstmForward(x, p, false).h);
    expect(maxAbsDiff(stockH, fastH)).toBeLessThan(1e-6);
    const vars = stock.trainableWeights.map((w) => (w as unknown as { val: Tensor }).val);
    const stockList = Object.values(tf.variableGrads(() => tf.sum(tf.mul(stock.apply(x) as Tensor, r)), vars as never).grads);
    const manual = tf.tidy(() => {
      const g = lstmBackward(lstmForward(x, p, true).cache!, r);
      return [g.kernel, g.recurrentKernel, g.bias];
    });
    for (let k = 0; k < 3; k++) expect(maxAbsDiff(stockList[k], manual[k])).toBeLessThan(1e-5);
    tf.dispose([x, p.kernel, p.recurrentKernel, p.bias, r, stockH, fastH, ...stockList, ...manual]);
    stock.dispose();
  });
});

describe('training equivalence', () => {
  it('lstm model training matches tf.layers.lstm + fit from identical weights (same losses within float tolerance)', async () => {
    const n = 48;
    const shape = { timeSteps: 6, features: 3, classes: 3 };
    const rng = createRng(11);
    const x = Float32Array.from({ length: n * 6 * 3 }, () => rng.normal());
    const y = Uint8Array.from({ length: n }, () => rng.int(3));
    const seed = 5;
    const init = createModel({ type: 'lstm', units: 8 }, shape, seed);
    const weights: NamedWeights = init.getWeights();
    init.dispose();

    const ours = await trainModel(
      { model: { type: 'lstm', units: 8 }, epochs: 3, batchSize: 16, learningRate: 0.01, seed, shuffle: false, patience: 0 },
      { train: { x, y, n }, timeSteps: 6, features: 3 },
    );
    const stock = buildStockLstm(shape, 8, weights);
    stock.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const xs = tf.tensor3d(x, [n, 6, 3]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 3);
    const hist = await stock.fit(xs, ys, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
    const stockLoss = hist.history.loss as number[];
    for (let e = 0; e < 3; e++) expect(ours.history[e].loss).toBeCloseTo(stockLoss[e], 5);
    // and the trained weights agree
    const ow = ours.model.getWeights();
    const sw = stock.getWeights();
    for (let k = 0; k < sw.length; k++) {
      const d = Math.max(...Array.from(sw[k].dataSync() as Float32Array, (v, i) => Math.abs(v - ow[k].values[i])));
      expect(d).toBeLessThan(1e-4);
    }
    ours.model.dispose();
    stock.dispose();
    tf.dispose([xs, ys]);
  });
});
