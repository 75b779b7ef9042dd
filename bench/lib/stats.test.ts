import { describe, expect, it } from 'vitest';
import { pairedStats, spreadPct } from './stats';

describe('bench stats', () => {
  it('ratio of means and per-round ratios', () => {
    expect(pairedStats([100, 200], [50, 150])).toEqual({ ratio: 0.667, paired: [0.5, 0.75] });
    expect(pairedStats([null, 10], [5, 20])).toEqual({ ratio: 1.25, paired: [null, 2] });
    expect(pairedStats([], [1]).ratio).toBeNull();
  });
  it('spread between rounds as % of the mean; null under two values', () => {
    expect(spreadPct([90, 110])).toBe(20);
    expect(spreadPct([5])).toBeNull();
    expect(spreadPct([null, 4, 4])).toBe(0);
  });
});
