/**
 * `npm run bench -- train [--quick] [--samples N]`
 *
 * One process, side by side, on the default LSTM shape (T=30, F=16 features, H=64 units, batch 128, 3 classes,
 * 4,096 seeded random samples; `--quick`: 1,024):
 *
 *  1. a `tf.matMul` ceiling: plain matMuls (no transpose flags) of the shapes the LSTM runs, best GFLOP/s;
 *  2. one epoch of the stock `tf.layers.lstm` + `model.fit`, with tfjs as shipped (no kernel patches);
 *  3. the same with the WASM kernel patches of server/ml/backend.ts (flagged matMuls via an explicit transpose,
 *     slice without a full copy) — what stock layers get inside this app;
 *  4. one epoch of the app's fast LSTM (server/ml/lstm.ts through trainModel): its generic tf-ops implementation, then
 *     the fused WASM kernels (the default on WASM) — all from identical initial weights, same Adam, same unshuffled
 *     batch order. The speed ratios compare the default fast path with 2. and 3.
 *
 * FLOPs (analytic, matMuls only; elementwise work ignored): forward per sample = 2·T·4H·(F+H) (gates) + 2·H·C (head);
 * one training step = 3 × forward (forward + gradients w.r.t. activations + gradients w.r.t. weights, the usual
 * convention). Epoch FLOPs = N · 3 · (2·T·4H·(F+H) + 2·H·C) — 15.1 GFLOP for the default shape. Effective GFLOP/s =
 * epoch FLOPs / epoch wall time (batch assembly, optimiser and bookkeeping included).
 *
 * Losses: the mean training loss of the epoch and the loss on all samples after it, per implementation; they agree
 * within float tolerance because all three start from the same weights.
 *
 * The last line printed is one JSON object with all figures.
 */
import { getTf, initTf, setWasmKernelPatches, type Tensor } from '../server/ml/backend';
import { lstmImplementation, setLstmImplementation } from '../server/ml/lstm';
import { buildStockLstm, createModel, predictLogits, type NamedWeights } from '../server/ml/models';
import { createRng } from '../server/ml/random';
import { lossAndAccuracy, trainModel } from '../server/ml/train';

const T = 30;
const F = 16;
const H = 64;
const C = 3;
const BATCH = 128;
const LR = 1e-3;
const SEED = 42;

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

export async function main(args: string[]): Promise<void> {
  process.env.SIGNALOPS_TF_QUIET ??= '1';
  const quick = args.includes('--quick');
  const N = Number(arg(args, '--samples') ?? (quick ? 1024 : 4096));
  if (!Number.isInteger(N) || N < BATCH) throw new Error(`--samples must be an integer ≥ ${BATCH}`);
  const info = await initTf();
  const tf = getTf();
  const log = (line: string) => console.log(line);
  log(`backend ${info.backend} (tfjs ${info.version}${info.simd !== undefined ? `, simd ${info.simd}, threads ${info.threads}` : ''}); fast LSTM path: ${lstmImplementation()}`);
  log(`shape: N=${N} T=${T} F=${F} H=${H} batch=${BATCH} classes=${C}`);

  // ---- data and initial weights (seeded) ---------------------------------------------------------------------
  const rng = createRng(SEED);
  const x = Float32Array.from({ length: N * T * F }, () => rng.normal());
  const y = Uint8Array.from({ length: N }, () => rng.int(C));
  const shape = { timeSteps: T, features: F, classes: C };
  const init = createModel({ type: 'lstm', units: H }, shape, SEED);
  const w0: NamedWeights = init.getWeights();
  init.dispose();

  const flopsPerSample = 3 * (2 * T * 4 * H * (F + H) + 2 * H * C);
  const epochFlops = N * flopsPerSample;
  log(`FLOPs per epoch: N·3·(2·T·4H·(F+H) + 2·H·C) = ${(epochFlops / 1e9).toFixed(2)} GFLOP`);

  // ---- 1. matMul ceiling ---------------------------------------------------------------------------------------
  setWasmKernelPatches(true);
  const shapes: [number, number, number][] = [
    [BATCH, F + H + 1, 4 * H], // forward step: [x, h, 1]·Wcat
    [BATCH, 4 * H, H], // backward step: dz·Uᵀ
    [BATCH * T, F, 4 * H], // input projection over all steps
    [4 * H, BATCH * T, F + H + 1], // weight gradients: dZᵀ·[x, h, 1]
  ];
  const ceilingByShape: Record<string, number> = {};
  for (const [m, k, n] of shapes) {
    const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
    const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
    const flops = 2 * m * k * n;
    const reps = Math.max(5, Math.min(400, Math.round((quick ? 1e8 : 3e8) / flops)));
    for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();
    let best = Infinity;
    for (let round_ = 0; round_ < 3; round_++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) tf.matMul(a, b).dispose();
      best = Math.min(best, (performance.now() - t0) / reps);
    }
    const gflops = flops / (best / 1000) / 1e9;
    ceilingByShape[`${m}x${k}x${n}`] = round(gflops, 2);
    log(`matMul [${m}×${k}]·[${k}×${n}]: ${best.toFixed(3)} ms, ${gflops.toFixed(1)} GFLOP/s`);
    tf.dispose([a, b]);
  }
  const ceiling = Math.max(...Object.values(ceilingByShape));
  log(`ceiling: ${ceiling.toFixed(1)} GFLOP/s`);

  // ---- 2./3. stock tf.layers.lstm + fit ------------------------------------------------------------------------
  const xs = tf.tensor3d(x, [N, T, F]);
  const ys = tf.oneHot(tf.tensor1d(y, 'int32'), C);
  async function stockEpoch(patched: boolean) {
    setWasmKernelPatches(patched);
    const model = buildStockLstm(shape, H, w0);
    // warm-up on two batches (compiles the training function, warms the JIT), then reset weights and optimiser
    model.compile({ optimizer: tf.train.adam(LR), loss: 'categoricalCrossentropy' });
    const wx = xs.slice([0, 0, 0], [2 * BATCH, T, F]);
    const wy = ys.slice([0, 0], [2 * BATCH, C]);
    await model.fit(wx, wy, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    tf.dispose([wx, wy]);
    const fresh = buildStockLstm(shape, H, w0);
    model.setWeights(fresh.getWeights());
    fresh.dispose();
    model.compile({ optimizer: tf.train.adam(LR), loss: 'categoricalCrossentropy' });
    const t0 = performance.now();
    const hist = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    const seconds = (performance.now() - t0) / 1000;
    const trainLoss = (hist.history.loss as number[])[0];
    const ev = model.evaluate(xs, ys, { batchSize: 1024 }) as Tensor;
    const lossAfter = ev.dataSync()[0];
    ev.dispose();
    model.dispose();
    return { seconds, trainLoss, lossAfter };
  }
  function report(name: string, r: { seconds: number; trainLoss: number; lossAfter: number }) {
    const gflops = epochFlops / r.seconds / 1e9;
    log(
      `${name}: epoch ${r.seconds.toFixed(2)} s, ${gflops.toFixed(2)} GFLOP/s effective = ${((100 * gflops) / ceiling).toFixed(1)} % of ceiling; ` +
        `loss ${r.trainLoss.toFixed(6)} (epoch mean), ${r.lossAfter.toFixed(6)} (after)`,
    );
    return { epochSeconds: round(r.seconds, 3), gflops: round(gflops, 3), fractionOfCeiling: round(gflops / ceiling, 4), trainLoss: r.trainLoss, lossAfter: r.lossAfter };
  }
  const stock = report('stock tf.layers.lstm + fit (tfjs as shipped)', await stockEpoch(false));
  const stockPatched = report('stock tf.layers.lstm + fit (with kernel patches)', await stockEpoch(true));
  tf.dispose([xs, ys]);

  // ---- 4. fast LSTM ----------------------------------------------------------------------------------------------
  setWasmKernelPatches(true);
  const cfg = { model: { type: 'lstm' as const, units: H }, epochs: 1, batchSize: BATCH, learningRate: LR, seed: SEED, shuffle: false, patience: 0 };
  async function fastEpoch() {
    const warm = await trainModel(cfg, { train: { x: x.subarray(0, 2 * BATCH * T * F), y: y.subarray(0, 2 * BATCH), n: 2 * BATCH }, timeSteps: T, features: F });
    warm.model.dispose();
    const run = await trainModel(cfg, { train: { x, y, n: N }, timeSteps: T, features: F }, { initialWeights: w0 });
    const after = lossAndAccuracy(predictLogits(run.model, x, N), y);
    run.model.dispose();
    return { seconds: run.history[0].epochMs / 1000, trainLoss: run.history[0].loss, lossAfter: after.loss };
  }
  let fastGeneric: ReturnType<typeof report> | null = null;
  if (lstmImplementation() !== 'generic') {
    // the same maths in plain tf ops (the implementation used on other backends), for reference
    setLstmImplementation('generic');
    fastGeneric = report('fast LSTM (generic tf ops)', await fastEpoch());
    setLstmImplementation('auto');
  }
  const fast = report(`fast LSTM (${lstmImplementation()})`, await fastEpoch());

  const ratio = stock.epochSeconds / fast.epochSeconds;
  const ratioPatched = stockPatched.epochSeconds / fast.epochSeconds;
  const lossDiff = Math.max(Math.abs(fast.trainLoss - stock.trainLoss), Math.abs(fast.lossAfter - stock.lossAfter));
  const lossDiffPatched = Math.max(Math.abs(fast.trainLoss - stockPatched.trainLoss), Math.abs(fast.lossAfter - stockPatched.lossAfter));
  log(`speed fast / stock: ${ratio.toFixed(2)}× (vs stock with kernel patches: ${ratioPatched.toFixed(2)}×)`);
  log(`loss agreement: max |Δ| fast vs stock ${lossDiff.toExponential(2)}, vs patched stock ${lossDiffPatched.toExponential(2)}`);
  console.log(
    JSON.stringify({
      bench: 'train',
      backend: info.backend,
      tfjs: info.version,
      simd: info.simd ?? null,
      fastPath: lstmImplementation(),
      shape: { samples: N, timeSteps: T, features: F, units: H, batch: BATCH, classes: C },
      epochGflop: round(epochFlops / 1e9, 4),
      ceilingGflops: round(ceiling, 2),
      ceilingByShape,
      stock,
      stockPatched,
      fast,
      fastGeneric,
      speedupFastOverStock: round(ratio, 3),
      speedupFastOverStockPatched: round(ratioPatched, 3),
      lossMaxAbsDiff: lossDiff,
      lossMaxAbsDiffPatched: lossDiffPatched,
    }),
  );
}
