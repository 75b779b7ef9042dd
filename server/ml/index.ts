/**
 * server/ml — TensorFlow.js backend choice, model zoo, training loop, evaluation (metrics, calibration, backtest,
 * permutation importance) and model artifacts. The pure modules (metrics, calibration, backtest, evaluate, importance, probs) do not load tfjs
 * and can be imported directly.
 */
export { initTf, tfInfo, getTf, setWasmKernelPatches, type TfInfo, type BackendName } from './backend';
export { CLASS_ORDER, NUM_CLASSES, SELL, HOLD, BUY, type ClassName, type Samples, type InputShape } from './types';
export {
  MODEL_TYPES,
  ZModelConfig,
  resolveModelConfig,
  createModel,
  predictLogits,
  softmaxRows,
  argmaxRows,
  buildStockLstm,
  type Model,
  type ModelType,
  type ModelConfig,
  type ModelConfigInput,
  type ModelShape,
  type NamedWeights,
} from './models';
export { lstmImplementation, setLstmImplementation } from './lstm';
export {
  ZTrainConfig,
  trainModel,
  lossAndAccuracy,
  resolveClassWeights,
  TrainingCancelledError,
  type TrainConfig,
  type TrainConfigInput,
  type TrainData,
  type TrainOptions,
  type TrainResult,
  type EpochReport,
} from './train';
export * from './metrics';
export * from './calibration';
export * from './backtest';
export { permutationImportance, type FeatureImportance, type ImportanceOptions, type ProbaFn } from './importance';
export { evaluatePredictions, type EvaluationInput, type EvaluationReport, type BaselineComparison } from './evaluate';
export {
  ARTIFACT_FORMAT,
  ZModelArtifact,
  createArtifact,
  parseArtifact,
  loadArtifact,
  splitArtifact,
  joinArtifact,
  type ModelArtifact,
  type ArtifactMeta,
  type ArtifactInputs,
  type Predictor,
} from './artifact';
export { createRng, type Rng } from './random';
