import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf } from '../ml/backend';
import { createArtifact, loadArtifact, type ModelArtifact, type Predictor } from '../ml/artifact';
import { plantedSamples } from '../ml/testing';
import { trainModel } from '../ml/train';
import { isDomainError } from '../errors';
import { ComputeThread, workerExecArgv } from './compute-thread';
import { engineOptionsFromEnv } from './engine';

const T = 8;
const F = 4;
let artifact: ModelArtifact;
let local: Predictor;

beforeAll(async () => {
  await initTf();
  const data = { train: plantedSamples(128, T, F, 1), timeSteps: T, features: F };
  const r = await trainModel({ model: { type: 'lstm', units: 8 }, epochs: 2, batchSize: 32 } as never, data);
  artifact = createArtifact(r.model, { featureOrder: ['a', 'b', 'c', 'd'], inputTransform: 'test/v1', scaler: {}, labelRule: {}, temperature: 1.3 });
  r.model.dispose();
  local = await loadArtifact(artifact);
}, 120_000);

afterAll(() => local?.dispose());

const maxDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('ComputeThread', () => {
  it('predicts what the in-process predictor predicts; concurrent calls each get their own answer', async () => {
    const ct = new ComputeThread();
    try {
      await ct.load('v1', artifact);
      const test = plantedSamples(40, T, F, 2);
      const expected = local.predictProba(test.x, test.n);
      const x = test.x.slice();
      const got = await ct.predictProba('v1', x, test.n);
      expect(maxDiff(got, expected)).toBeLessThan(1e-5);
      expect(x.length).toBe(0); // transferred to the worker

      const inputs = Array.from({ length: 16 }, (_, i) => plantedSamples(1 + (i % 5), T, F, 10 + i));
      const answers = await Promise.all(inputs.map((s) => ct.predictProba('v1', s.x.slice(), s.n)));
      answers.forEach((a, i) => expect(maxDiff(a, local.predictProba(inputs[i].x, inputs[i].n))).toBeLessThan(1e-5));
      expect(ct.stats).toEqual({ starts: 1, crashes: 0 });
    } finally {
      await ct.close();
    }
  });

  it('a bad artifact rejects the load with the DomainError loadArtifact gives; an unknown version rejects clearly', async () => {
    const ct = new ComputeThread();
    try {
      const bytes = Buffer.from(artifact.weights.base64, 'base64');
      bytes[5] ^= 1;
      const corrupt = { ...artifact, weights: { ...artifact.weights, base64: bytes.toString('base64') } };
      const inProcess = (await loadArtifact(corrupt).then(
        () => null,
        (e: unknown) => e,
      )) as Error & { code: string };
      const threaded = (await ct.load('bad', corrupt).catch((e: unknown) => e)) as Error;
      expect(isDomainError(threaded)).toBe(true);
      expect(threaded).toMatchObject({ name: 'DomainError', code: inProcess.code, message: inProcess.message });
      expect(threaded.message).toMatch(/checksum/);
      const invalid = (await ct.load('bad2', { ...artifact, temperature: 0 }).catch((e: unknown) => e)) as Error;
      expect(isDomainError(invalid)).toBe(true);
      expect(invalid.message).toMatch(/invalid model artifact at 'temperature'/);
      await expect(ct.predictProba('bad', new Float32Array(T * F), 1)).rejects.toThrow(/version bad is not loaded/);
      await ct.load('v1', artifact); // the thread is still fine
      expect((await ct.predictProba('v1', new Float32Array(T * F), 1)).length).toBe(3);
    } finally {
      await ct.close();
    }
  });

  it('a worker that dies rejects the pending calls; the next call starts a fresh worker that knows the versions', async () => {
    const crashes: string[] = [];
    const ct = new ComputeThread({ onCrash: (why) => crashes.push(why) });
    try {
      await ct.load('v1', artifact);
      const big = plantedSamples(3000, T, F, 3);
      const pending = [ct.predictProba('v1', big.x.slice(), big.n), ct.predictProba('v1', big.x.slice(), big.n)];
      void ct.currentWorker()!.terminate();
      for (const r of await Promise.allSettled(pending)) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason.message).toMatch(/compute thread exited .*pending call\(s\) failed/);
      }
      expect(crashes).toHaveLength(1);
      const test = plantedSamples(5, T, F, 4);
      const got = await ct.predictProba('v1', test.x.slice(), test.n);
      expect(maxDiff(got, local.predictProba(test.x, test.n))).toBeLessThan(1e-5);
      expect(ct.stats).toEqual({ starts: 2, crashes: 1 });
    } finally {
      await ct.close();
    }
  });

  it('close() ends the worker: no handle left open, later calls reject', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const ct = new ComputeThread();
    await ct.load('v1', artifact);
    const w = ct.currentWorker()!;
    const exited = new Promise<number>((r) => w.once('exit', r));
    await ct.close();
    await exited;
    expect(ct.currentWorker()).toBeNull();
    await expect(ct.predictProba('v1', new Float32Array(T * F), 1)).rejects.toThrow(/closed/);
    await new Promise((r) => setImmediate(r));
    expect(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length).toBeLessThanOrEqual(before);
  });

  it("the worker's flags: eval and tsx's own flags are dropped (the worker registers tsx itself)", () => {
    expect(workerExecArgv(['--require', '/x/tsx/dist/preflight.cjs', '--import', 'file:///x/tsx/dist/loader.mjs', '--eval', 'code', '--enable-source-maps'])).toEqual(['--enable-source-maps']);
    expect(workerExecArgv(['--import', 'tsx', '--import=tsx/esm', '--no-warnings'])).toEqual(['--no-warnings']);
  });

  it('SERVING_COMPUTE_THREAD: on/off when the environment names it, else unset (the engine follows the process); a bad value names the variable', () => {
    expect(engineOptionsFromEnv({ SERVING_COMPUTE_THREAD: 'on' }).computeThread).toBe(true);
    expect(engineOptionsFromEnv({ SERVING_COMPUTE_THREAD: 'off' }).computeThread).toBe(false);
    expect(engineOptionsFromEnv({}).computeThread).toBeUndefined();
    expect(() => engineOptionsFromEnv({ SERVING_COMPUTE_THREAD: 'yes' })).toThrow(/SERVING_COMPUTE_THREAD/);
  });
});
