import { describe, it, expect } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../market/indicators';
import { TRANSFORMED_COUNT, INPUT_SOURCES, transformInto } from '../market/transform';
import { completeBar, assembleWindow, buildModelInput, artifactInputMedians } from './input';

const row = (ema = 100) => Float64Array.from([25, 55, ema, ema * 1.01, ema * 0.98, ema * 1.002, ema * 0.01, ema * 1.03, ema * 0.97, 60, 55, ema * 0.001, ema * 0.0008, 1200, 0.1, 0.01]);
const unit = { means: new Array(TRANSFORMED_COUNT).fill(0), stds: new Array(TRANSFORMED_COUNT).fill(1) };
const medians = Array.from({ length: TRANSFORMED_COUNT }, (_, i) => i / 100);

describe('serving input (pure)', () => {
  it('INPUT_SOURCES matches the transform: changing a raw indicator changes exactly the inputs that read it', () => {
    const base = row();
    const a = new Float64Array(TRANSFORMED_COUNT);
    const b = new Float64Array(TRANSFORMED_COUNT);
    transformInto(base, 0, a, 0);
    for (let r = 0; r < FEATURE_COUNT; r++) {
      const bumped = Float64Array.from(base);
      bumped[r] *= 1.5;
      transformInto(bumped, 0, b, 0);
      const changed = [...a.keys()].filter((f) => a[f] !== b[f]);
      const expected = [...a.keys()].filter((f) => INPUT_SOURCES[f].includes(r));
      expect(changed, FEATURE_NAMES[r]).toEqual(expected);
    }
  });

  it('completeBar: given values, else the symbol history, else unknown — and says which', () => {
    const noHist = completeBar({ rsi_value: 40 }, null);
    expect(noHist.imputed).toHaveLength(15);
    expect(noHist.imputedFrom).toBe('training_input_medians');
    expect(noHist.unknown[1]).toBe(0);
    expect(noHist.unknown[2]).toBe(1);
    const hist = completeBar({ rsi_value: 40 }, row(2));
    expect(hist.imputedFrom).toBe('symbol_history');
    expect(hist.raw[2]).toBe(2);
    expect(completeBar(Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, row()[i]])), null).imputedFrom).toBeNull();
  });

  it('buildModelInput: inputs reading an unknown indicator take the training input medians, the rest are computed', () => {
    const bar = completeBar({ rsi_value: 40, ema_12: 1.0851 }, null);
    const { steps } = assembleWindow({ current: bar.raw, T: 3, history: [], barTime: 0 });
    const x = buildModelInput({ steps, current: bar.raw, unknown: bar.unknown, scaler: unit, inputMedians: medians });
    expect(x).toHaveLength(3 * TRANSFORMED_COUNT);
    const last = Array.from(x.slice(2 * TRANSFORMED_COUNT));
    expect(last[1]).toBeCloseTo(0.4); // rsi given
    for (let f = 0; f < TRANSFORMED_COUNT; f++) if (f !== 1) expect(last[f]).toBeCloseTo(medians[f]);
    // Without medians the request is refused, naming the missing fields.
    expect(() => buildModelInput({ steps, current: bar.raw, unknown: bar.unknown, scaler: unit, inputMedians: null })).toThrow(/missing adx_value/);
  });

  it('buildModelInput refuses inputs that are not finite (e.g. an extreme in-range value)', () => {
    const r = row();
    r[11] = 1e308; // macd_line
    r[2] = 1e-300; // ema_12
    const bar = completeBar(Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, r[i]])), null);
    const { steps } = assembleWindow({ current: bar.raw, T: 2, history: [], barTime: 0 });
    expect(() => buildModelInput({ steps, current: bar.raw, unknown: null, scaler: unit, inputMedians: medians })).toThrow(/not a finite number/);
  });

  it('assembleWindow: history before the bar, current last, warm-up repeats the oldest real step', () => {
    const cur = row(5);
    const history = [1, 2, 3].map((t) => ({ t, f: row(t) }));
    const w = assembleWindow({ current: cur, T: 5, history, barTime: 3 });
    expect(w.stepsReal).toBe(3);
    expect(w.steps.map((s) => s[2])).toEqual([1, 1, 1, 2, 5]);
    const c = assembleWindow({ current: cur, T: 2, history, barTime: 3, clientWindow: [Array.from(row(7)), Array.from(row(8)), Array.from(row(9))] });
    expect(c.steps.map((s) => s[2])).toEqual([8, 5]);
  });

  it('artifactInputMedians: stored input medians, else the transform of one market’s raw medians, else null', () => {
    expect(Array.from(artifactInputMedians({ inputMedians: medians })!)).toEqual(medians);
    const raw = Array.from(row(29_000));
    const fromRaw = artifactInputMedians({ rawFeatures: { names: [...FEATURE_NAMES], medians: raw } })!;
    expect(fromRaw[2]).toBeCloseTo(0.01); // ema21_rel: a ratio, not a price
    expect(artifactInputMedians({})).toBeNull();
  });
});
