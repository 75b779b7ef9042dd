import { describe, it, expect } from 'vitest';
import { weightDisplay, CLIPPED_EXPLANATION, UNIFORM_EXPLANATION } from './weightRule';
import { indicatorWeights } from '../../server/training/weights';
import { FEATURE_NAMES } from '../../server/market/indicators';

describe('indicator weight display: signed Δ NLL and what the normalised weight did with it', () => {
  it('a negative Δ NLL shows its sign and says the weight was clipped to 0 (not a bare 0 %)', () => {
    const d = weightDisplay({ weight: 0, importance: -0.0123, note: undefined });
    expect(d.kind).toBe('clipped');
    expect(d.deltaText).toBe('−0.0123');
    expect(d.weightText).toBe('0% (clipped)');
    expect(d.explanation).toBe(CLIPPED_EXPLANATION);
    expect(d.explanation).toMatch(/shuffling this input improved the loss; weight clipped to 0/);
  });
  it('a positive one is an ordinary weight; tiny values keep their sign', () => {
    expect(weightDisplay({ weight: 0.25, importance: 0.0456 })).toMatchObject({ kind: 'positive', weightText: '25.0%', deltaText: '+0.0456', explanation: '' });
    expect(weightDisplay({ weight: 0, importance: -0.00001 }).deltaText).toBe('−1.0e-5');
    expect(weightDisplay({ weight: 0, importance: 0 })).toMatchObject({ kind: 'zero', deltaText: '±0.0000' });
  });
  it('old versions without the signed value show —; the price reference keeps its note', () => {
    expect(weightDisplay({ weight: 0.1 })).toMatchObject({ kind: 'unknown', deltaText: '—', weightText: '10.0%' });
    expect(weightDisplay({ weight: 0.1, importance: null })).toMatchObject({ kind: 'unknown', deltaText: '—' });
    expect(weightDisplay({ weight: 0, importance: 0, note: 'price reference' })).toMatchObject({ kind: 'reference', explanation: 'price reference' });
  });
  it('uniform weights when no input mattered are explained as such', () => {
    expect(weightDisplay({ weight: 1 / 15, importance: -0.002 })).toMatchObject({ kind: 'uniform', explanation: UNIFORM_EXPLANATION });
  });

  it('what the training job stores keeps the signed Δ NLL beside the clipped weight', () => {
    const inputs = ['adx', 'rsi', 'ema21_rel', 'ema50_rel', 'vwap_rel', 'atr_rel', 'bb_upper_rel', 'bb_lower_rel', 'stoch_k', 'stoch_d', 'macd_rel', 'macd_signal_rel', 'log_volume_ma', 'price_change_pct', 'volatility'];
    const importances = inputs.map((_, i) => (i === 1 ? 0.03 : i === 9 ? -0.004 : 0.01));
    const pos = importances.map((v) => Math.max(0, v));
    const total = pos.reduce((a, b) => a + b, 0);
    const w = indicatorWeights(inputs, { weights: pos.map((v) => v / total), importances, std: inputs.map(() => 0.001), metric: 'nll', repeats: 3 }, null, 0.4);
    expect(w.weights.map((x) => x.indicator)).toEqual([...FEATURE_NAMES]);
    const stochD = w.weights.find((x) => x.indicator === 'stoch_d')!;
    expect(stochD.weight).toBe(0);
    expect(stochD.importance).toBeCloseTo(-0.004, 12);
    expect(weightDisplay(stochD)).toMatchObject({ kind: 'clipped', deltaText: '−0.0040' });
    expect(weightDisplay(w.weights.find((x) => x.indicator === 'rsi_value')!).kind).toBe('positive');
    expect(weightDisplay(w.weights.find((x) => x.indicator === 'ema_12')!).kind).toBe('reference');
  });
});
