import { describe, expect, it } from 'vitest';
import { backtest } from './backtest';

describe('backtest (hand-made series)', () => {
  it('one position per signal, held for the horizon, non-overlapping, costs per side', () => {
    //            BUY   (ign) HOLD  SELL  (ign) BUY
    const signals = [2, 0, 1, 0, 2, 2];
    const fwd = [0.1, 0.5, 0.3, -0.2, 0.9, -0.05];
    const r = backtest({ signals, forwardReturns: fwd, horizon: 2, costBps: 10, periodsPerYear: 252 });
    // trades: BUY at 0 (+0.1), SELL at 3 (+0.2), BUY at 5 (−0.05); cost 2·10 bp = 0.002 each
    expect(r.trades).toBe(3);
    expect(r.longs).toBe(2);
    expect(r.shorts).toBe(1);
    expect(r.wins).toBe(2);
    expect(r.winRate).toBeCloseTo(2 / 3, 12);
    const nets = [0.098, 0.198, -0.052];
    expect(r.totalReturn).toBeCloseTo(nets.reduce((e, x) => e * (1 + x), 1) - 1, 12);
    expect(r.avgTradeReturn).toBeCloseTo(nets.reduce((a, b) => a + b) / 3, 12);
    expect(r.curve).toHaveLength(6);
    expect(r.curve[1].equity).toBeCloseTo(1.098, 12);
    expect(r.curve[2].equity).toBeCloseTo(1.098, 12); // flat bar
    expect(r.curve[5].equity).toBeCloseTo(1 + r.totalReturn, 12);
    // bars 0,1 | 3,4 | 5 in position
    expect(r.exposure).toBeCloseTo(5 / 6, 12);
    // peak after bar 4 = 1.098·1.198; the last trade loses 5.2 %
    expect(r.maxDrawdown).toBeCloseTo(0.052, 12);
  });

  it('Sharpe: mean/std of per-bar returns × √periodsPerYear; no trades → 0', () => {
    const r = backtest({ signals: [2, 1, 2, 1], forwardReturns: [0.01, 0, 0.03, 0], horizon: 1, costBps: 0, periodsPerYear: 4 });
    const bars = [0.01, 0, 0.03, 0];
    const mean = bars.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(bars.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    expect(r.sharpe).toBeCloseTo((mean / sd) * 2, 10);
    const flat = backtest({ signals: [1, 1], forwardReturns: [0.1, 0.1], horizon: 1, costBps: 5, periodsPerYear: 252 });
    expect(flat).toMatchObject({ trades: 0, sharpe: 0, totalReturn: 0, maxDrawdown: 0 });
    expect(Number.isNaN(flat.winRate)).toBe(true);
  });

  it('uses times as the curve x and validates its inputs', () => {
    const r = backtest({ signals: [2], forwardReturns: [0.01], times: [1000], horizon: 3, costBps: 0, periodsPerYear: 1 });
    expect(r.curve).toEqual([{ t: 1000, equity: expect.closeTo(1.01, 12) }]);
    expect(() => backtest({ signals: [2], forwardReturns: [], horizon: 1, costBps: 0, periodsPerYear: 1 })).toThrow(/1 signals but 0/);
    expect(() => backtest({ signals: [2], forwardReturns: [NaN], horizon: 1, costBps: 0, periodsPerYear: 1 })).toThrow(/not finite/);
    expect(() => backtest({ signals: [2], forwardReturns: [0], horizon: 0, costBps: 0, periodsPerYear: 1 })).toThrow(/horizon/);
  });
});
