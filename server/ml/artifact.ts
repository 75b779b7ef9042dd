/**
 * Model artifacts: everything serving needs, in one JSON-able object — model type and config, input geometry (window
 * T, features, classes), class order, feature order, input transform id, scaler and label rule (opaque JSON from
 * server/market), calibration temperature, and the weights (float32 little-endian, base64, with a SHA-256).
 *
 * `splitArtifact` / `joinArtifact` move the weights out into a Buffer (e.g. a bytea column) and back.
 * `loadArtifact` rebuilds the model and returns a predictor whose outputs equal the trained model's bit for bit on
 * the same backend.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { DomainError } from '../errors';
import { initTf, tfInfo } from './backend';
import { createModel, predictLogits, ZModelConfig, type Model, type ModelConfig, type NamedWeights } from './models';
import { softmaxRows } from './probs';
import { CLASS_ORDER } from './types';

export const ARTIFACT_FORMAT = 'signalops.model/v1';

const ZWeightEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(1)),
  /** Offset in float32 elements into the weight data. */
  offset: z.number().int().min(0),
  length: z.number().int().min(0),
});

const ZWeightsMeta = z.object({
  dtype: z.literal('float32'),
  byteOrder: z.literal('little-endian'),
  manifest: z.array(ZWeightEntry),
  byteLength: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const ZModelArtifact = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  model: ZModelConfig,
  /** timeSteps is the window T. */
  shape: z.object({ timeSteps: z.number().int().min(1), features: z.number().int().min(1), classes: z.number().int().min(2) }),
  classOrder: z.array(z.string()).min(2),
  featureOrder: z.array(z.string()),
  inputTransform: z.string().min(1),
  scaler: z.unknown(),
  labelRule: z.unknown(),
  temperature: z.number().positive().finite(),
  /** The raw indicators the input transform reads, with their medians over the training part (serving imputes missing ones). */
  rawFeatures: z.object({ names: z.array(z.string()), medians: z.array(z.number()) }).optional(),
  /**
   * Medians of the model inputs (featureOrder, after the input transform, before the scaler) over the training part:
   * scale-free values serving imputes an input with when an indicator it reads is missing.
   */
  inputMedians: z.array(z.number()).optional(),
  weights: ZWeightsMeta.extend({ base64: z.string() }),
  training: z.object({ tfBackend: z.string().nullable(), tfVersion: z.string().nullable(), createdAt: z.string() }),
});
export type ModelArtifact = z.output<typeof ZModelArtifact>;
export type ArtifactMeta = Omit<ModelArtifact, 'weights'> & { weights: z.output<typeof ZWeightsMeta> };

export interface ArtifactInputs {
  featureOrder: readonly string[];
  /** Id of the input transform applied before the scaler (server/market's TRANSFORM_ID). */
  inputTransform: string;
  /** Opaque JSON: the scaler fitted on the training part. */
  scaler: unknown;
  /** Opaque JSON: the label rule (horizon, threshold, …). */
  labelRule: unknown;
  /** Calibration temperature (1 = none). */
  temperature: number;
  /** Raw indicator names and their training medians. */
  rawFeatures?: { names: readonly string[]; medians: readonly number[] };
  /** Training medians of the model inputs (before scaling). */
  inputMedians?: readonly number[];
}

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('artifact weights are little-endian; this platform is big-endian');
}

function encodeWeights(weights: NamedWeights): { meta: z.output<typeof ZWeightsMeta>; bytes: Buffer } {
  assertLittleEndian();
  const total = weights.reduce((a, w) => a + w.values.length, 0);
  const all = new Float32Array(total);
  const manifest: z.output<typeof ZWeightEntry>[] = [];
  let offset = 0;
  for (const w of weights) {
    const expected = w.shape.reduce((a, b) => a * b, 1);
    if (expected !== w.values.length) throw new Error(`artifact: weight '${w.name}' has ${w.values.length} values for shape [${w.shape}]`);
    all.set(w.values, offset);
    manifest.push({ name: w.name, shape: [...w.shape], offset, length: w.values.length });
    offset += w.values.length;
  }
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  return { meta: { dtype: 'float32', byteOrder: 'little-endian', manifest, byteLength: bytes.byteLength, sha256 }, bytes };
}

function decodeWeights(meta: z.output<typeof ZWeightsMeta>, bytes: Uint8Array): NamedWeights {
  assertLittleEndian();
  if (bytes.byteLength !== meta.byteLength) throw new DomainError('UNPROCESSABLE_CONTENT', `artifact: weights have ${bytes.byteLength} bytes, the manifest says ${meta.byteLength}`);
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== meta.sha256) throw new DomainError('UNPROCESSABLE_CONTENT', 'artifact: weight checksum mismatch (corrupted artifact)');
  // Copy into an aligned buffer.
  const all = new Float32Array(meta.byteLength / 4);
  new Uint8Array(all.buffer).set(bytes);
  return meta.manifest.map((e) => {
    if (e.offset + e.length > all.length) throw new DomainError('UNPROCESSABLE_CONTENT', `artifact: weight '${e.name}' lies outside the data`);
    return { name: e.name, shape: e.shape, values: all.slice(e.offset, e.offset + e.length) };
  });
}

/** Builds the artifact of a trained model. */
export function createArtifact(model: Model, inputs: ArtifactInputs): ModelArtifact {
  if (inputs.featureOrder.length !== model.shape.features) {
    throw new Error(`artifact: ${inputs.featureOrder.length} feature names for a model with ${model.shape.features} features`);
  }
  if (!(inputs.temperature > 0) || !Number.isFinite(inputs.temperature)) throw new Error(`artifact: temperature must be > 0 (got ${inputs.temperature})`);
  const { meta, bytes } = encodeWeights(model.getWeights());
  const info = tfInfo();
  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    model: structuredClone(model.config),
    shape: { timeSteps: model.shape.timeSteps, features: model.shape.features, classes: model.shape.classes },
    classOrder: [...CLASS_ORDER].slice(0, model.shape.classes),
    featureOrder: [...inputs.featureOrder],
    inputTransform: inputs.inputTransform,
    scaler: structuredClone(inputs.scaler),
    labelRule: structuredClone(inputs.labelRule),
    temperature: inputs.temperature,
    ...(inputs.rawFeatures ? { rawFeatures: { names: [...inputs.rawFeatures.names], medians: [...inputs.rawFeatures.medians] } } : {}),
    ...(inputs.inputMedians ? { inputMedians: [...inputs.inputMedians] } : {}),
    weights: { ...meta, base64: bytes.toString('base64') },
    training: { tfBackend: info?.backend ?? null, tfVersion: info?.version ?? null, createdAt: new Date().toISOString() },
  };
  return artifact;
}

/** Validates an artifact read from storage (throws a DomainError naming the problem). */
export function parseArtifact(json: unknown): ModelArtifact {
  const r = ZModelArtifact.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('UNPROCESSABLE_CONTENT', `invalid model artifact at '${issue?.path.join('.')}': ${issue?.message}`);
  }
  return r.data;
}

/** Moves the weights out of the artifact: JSON metadata + raw bytes (for a bytea column). */
export function splitArtifact(artifact: ModelArtifact): { meta: ArtifactMeta; weights: Buffer } {
  const { base64, ...weightsMeta } = artifact.weights;
  return { meta: { ...artifact, weights: weightsMeta }, weights: Buffer.from(base64, 'base64') };
}

/** Inverse of {@link splitArtifact}. */
export function joinArtifact(meta: ArtifactMeta, weights: Uint8Array): ModelArtifact {
  return parseArtifact({ ...meta, weights: { ...meta.weights, base64: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64') } });
}

export interface Predictor {
  readonly model: ModelConfig;
  readonly shape: { timeSteps: number; features: number; classes: number };
  readonly classOrder: readonly string[];
  readonly featureOrder: readonly string[];
  readonly temperature: number;
  /** Calibrated class probabilities [n × C] (softmax(logits / temperature)) for windows x [n, T, F]. */
  predictProba(x: Float32Array, n: number): Float32Array;
  /** Raw logits [n × C]. */
  predictLogits(x: Float32Array, n: number): Float32Array;
  dispose(): void;
}

/** Rebuilds the model of an artifact (validated first) and returns a predictor. */
export async function loadArtifact(artifactJson: ModelArtifact | unknown): Promise<Predictor> {
  const artifact = parseArtifact(artifactJson);
  await initTf();
  const weights = decodeWeights(artifact.weights, Buffer.from(artifact.weights.base64, 'base64'));
  const model = createModel(artifact.model, artifact.shape, 0);
  try {
    model.setWeights(weights);
  } catch (err) {
    model.dispose();
    throw new DomainError('UNPROCESSABLE_CONTENT', `artifact weights do not fit the model: ${(err as Error).message}`);
  }
  const { temperature } = artifact;
  const C = artifact.shape.classes;
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('predictor has been disposed');
  };
  return {
    model: artifact.model,
    shape: artifact.shape,
    classOrder: artifact.classOrder,
    featureOrder: artifact.featureOrder,
    temperature,
    predictLogits(x, n) {
      live();
      return predictLogits(model, x, n);
    },
    predictProba(x, n) {
      live();
      return softmaxRows(predictLogits(model, x, n), C, temperature);
    },
    dispose() {
      if (!disposed) model.dispose();
      disposed = true;
    },
  };
}
