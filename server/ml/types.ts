/**
 * Input types of server/ml. They match what server/market produces (structurally: no import from there).
 */

/** Class order everywhere in server/ml: index 0 = SELL, 1 = HOLD, 2 = BUY. */
export const CLASS_ORDER = ['SELL', 'HOLD', 'BUY'] as const;
export type ClassName = (typeof CLASS_ORDER)[number];
export const NUM_CLASSES: number = CLASS_ORDER.length;
export const SELL = 0;
export const HOLD = 1;
export const BUY = 2;

/** Windows of T steps × F features, one class label each. */
export interface Samples {
  /** Row-major [n, T, F]. */
  x: Float32Array;
  /** Class index per sample (CLASS_ORDER). */
  y: Uint8Array;
  n: number;
  /** Close time (ms) of the last step of each window. Optional for ml. */
  times?: ArrayLike<number>;
}

/** Model input geometry. */
export interface InputShape {
  /** T: steps per window. */
  timeSteps: number;
  /** F: features per step. */
  features: number;
}
