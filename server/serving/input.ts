/**
 * From a request to the model's input tensor, as pure functions (tested directly in input.test.ts):
 *
 * 1. `completeBar`   — the current bar's 16 indicators: the given ones, else the same symbol's latest snapshot;
 *                      what neither has stays unknown (NaN) and is listed as imputed.
 * 2. `assembleWindow` — the last T steps: the client's window, else the symbol's history before this bar, the
 *                      current bar last; a short history repeats its oldest step (warm-up).
 * 3. `buildModelInput` — the input transform (16 → 15, scale-free) and the training scaler, exactly as in training.
 *                      A model input that reads an unknown indicator takes the training median of that INPUT (a
 *                      ratio or a bounded value), never an absolute price level from another market.
 */
import { badRequest } from '../errors';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from '../market/indicators';
import { transformInto, assertFeatureRow, INPUT_SOURCES, TRANSFORMED_COUNT, TRANSFORMED_FEATURE_NAMES } from '../market/transform';
import type { Scaler } from '../market/scaler';
import type { Snapshot } from './history';

export type ImputationSource = 'symbol_history' | 'training_input_medians';

export interface CompletedBar {
  /** The 16 indicators; NaN where unknown. */
  raw: Float64Array;
  /** 1 where the indicator is unknown (neither given nor in the symbol's history). */
  unknown: Uint8Array;
  /** Names of the indicators not given by the client. */
  imputed: FeatureName[];
  /** Where the imputed values came from (null when nothing was imputed). */
  imputedFrom: ImputationSource | null;
}

/** Step 1: the given indicators, else the symbol's own latest snapshot; the rest unknown. */
export function completeBar(given: Partial<Record<FeatureName, number>>, latest: ArrayLike<number> | null): CompletedBar {
  const raw = new Float64Array(FEATURE_COUNT);
  const unknown = new Uint8Array(FEATURE_COUNT);
  const imputed: FeatureName[] = [];
  let anyUnknown = false;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const name = FEATURE_NAMES[i];
    const v = given[name];
    if (v !== undefined) {
      raw[i] = v;
      continue;
    }
    imputed.push(name);
    if (latest) raw[i] = latest[i];
    else {
      raw[i] = NaN;
      unknown[i] = 1;
      anyUnknown = true;
    }
  }
  assertFeatureRow(raw, 'indicators', unknown);
  return { raw, unknown, imputed, imputedFrom: !imputed.length ? null : anyUnknown ? 'training_input_medians' : 'symbol_history' };
}

/** Step 2: the window of T steps (oldest first), the current bar last. */
export function assembleWindow(args: {
  current: Float64Array;
  T: number;
  /** The client's window: rows of 16 numbers or indicator objects, oldest first (its last step is the current bar). */
  clientWindow?: readonly (readonly number[] | Partial<Record<FeatureName, number>>)[];
  /** The symbol's history, oldest first, and this bar's time (only earlier bars are used). */
  history: readonly Snapshot[];
  barTime: number;
}): { steps: Float64Array[]; stepsReal: number } {
  const { T, current } = args;
  const steps: Float64Array[] = [];
  if (args.clientWindow) {
    const from = Math.max(0, args.clientWindow.length - T);
    for (let i = from; i < args.clientWindow.length - 1; i++) {
      const s = args.clientWindow[i];
      const row = Array.isArray(s) ? Float64Array.from(s) : Float64Array.from(FEATURE_NAMES.map((n) => (s as Record<string, number>)[n]));
      assertFeatureRow(row, `window[${i}]`);
      steps.push(row);
    }
  } else {
    const h = args.history;
    for (let i = h.length - 1; i >= 0 && steps.length < T - 1; i--) if (h[i].t < args.barTime) steps.unshift(h[i].f);
  }
  steps.push(current);
  const stepsReal = steps.length;
  while (steps.length < T) steps.unshift(steps[0]); // warm-up: repeat the oldest real step
  return { steps, stepsReal };
}

/** Largest |scaled input| served: beyond it (10⁶ training standard deviations) an input is not a plausible value. */
export const MAX_ABS_SCALED = 1e6;

/**
 * Step 3: the scaled model input (T × 15, float32). Inputs of the current bar that read an unknown indicator take
 * `inputMedians` (training medians of the inputs before scaling). Any non-finite input is a 400 naming it: no
 * confident answer from a value that is not a number.
 */
export function buildModelInput(args: {
  steps: readonly Float64Array[];
  current: Float64Array;
  unknown: Uint8Array | null;
  scaler: Pick<Scaler, 'means' | 'stds'>;
  inputMedians: ArrayLike<number> | null;
}): Float32Array {
  const { steps, current, unknown, scaler } = args;
  const F = TRANSFORMED_COUNT;
  const T = steps.length;
  const x = new Float32Array(T * F);
  const tmp = new Float64Array(F);
  const cur = new Float64Array(F);
  transformInto(current, 0, cur, 0);
  if (unknown?.some((u) => u)) {
    if (!args.inputMedians) {
      const missing = FEATURE_NAMES.filter((_, i) => unknown[i]);
      throw badRequest(`indicators: missing ${missing.join(', ')}, and this version stores no training input medians to impute with: send them`, { field: `indicators.${missing[0]}`, missing });
    }
    for (let f = 0; f < F; f++) if (INPUT_SOURCES[f].some((r) => unknown[r])) cur[f] = args.inputMedians[f];
  }
  const { means, stds } = scaler;
  for (let s = 0; s < T; s++) {
    const row = steps[s] === current ? cur : (transformInto(steps[s], 0, tmp, 0), tmp);
    for (let f = 0; f < F; f++) {
      const v = (row[f] - means[f]) / stds[f];
      // Finite in float64 is not enough: the model reads float32 (1e300 becomes Infinity there), and an input a
      // million standard deviations from anything seen in training gives no answer worth a confidence.
      if (!Number.isFinite(Math.fround(v)) || Math.abs(v) > MAX_ABS_SCALED) {
        const src = INPUT_SOURCES[f].map((r) => FEATURE_NAMES[r]).join(' and ');
        const what = Number.isFinite(Math.fround(v)) ? `${Math.abs(v).toExponential(1)} standard deviations from the training data (the limit is ${MAX_ABS_SCALED.toExponential(0)})` : 'not a finite number';
        throw badRequest(`${s === T - 1 ? 'indicators' : `window step ${s}`}: ${src} give a model input (${TRANSFORMED_FEATURE_NAMES[f]}) that is ${what}`, {
          field: s === T - 1 ? `indicators.${FEATURE_NAMES[INPUT_SOURCES[f][0]]}` : `window[${s}]`,
        });
      }
      x[s * F + f] = v;
    }
  }
  return x;
}

/**
 * The training input medians of a stored artifact: `inputMedians` when the artifact has them; for artifacts from
 * before they were stored, the transform of the raw training medians (ratios of one market's own medians, so still
 * scale-free); else null (missing indicators are then refused).
 */
export function artifactInputMedians(a: { inputMedians?: readonly number[]; rawFeatures?: { names: readonly string[]; medians: readonly number[] } }): Float64Array | null {
  if (a.inputMedians?.length === TRANSFORMED_COUNT && a.inputMedians.every(Number.isFinite)) return Float64Array.from(a.inputMedians);
  const raw = a.rawFeatures;
  if (raw && raw.names.join() === FEATURE_NAMES.join() && raw.medians.every(Number.isFinite) && raw.medians[2] > 0) {
    const out = new Float64Array(TRANSFORMED_COUNT);
    transformInto(raw.medians, 0, out, 0);
    return out;
  }
  return null;
}
