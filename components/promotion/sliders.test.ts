import { describe, expect, it } from 'vitest';
import { apportion, rebalance, sameSplit, splitChanges, splitText, total } from './sliders';

describe('apportion', () => {
  it('splits whole units in proportion, the largest remainders first, ties to the lower index', () => {
    expect(apportion(75, [90, 10])).toEqual([68, 7]); // 67.5 / 7.5 → the tie goes to index 0
    expect(apportion(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(apportion(10, [0, 0])).toEqual([5, 5]); // all zero: equal shares
    expect(apportion(0, [3, 4])).toEqual([0, 0]);
    expect(apportion(7, [])).toEqual([]);
  });
});

describe('rebalance', () => {
  it('gives the moved slider its value and the others the rest in proportion, summing to 100', () => {
    expect(rebalance([90, 10], 1, 25)).toEqual([75, 25]);
    expect(rebalance([50, 30, 20], 0, 60)).toEqual([60, 24, 16]);
    expect(rebalance([50, 30, 20], 2, 0)).toEqual([63, 37, 0]); // 62.5 / 37.5: the tie goes to the lower index
  });

  it('always sums to 100 in whole percents, for every value of every slider', () => {
    const anchors = [
      [100, 0, 0],
      [34, 33, 33],
      [1, 2, 97],
      [0, 0, 0],
      [10, 20, 30, 40],
    ];
    for (const a of anchors)
      for (let i = 0; i < a.length; i++)
        for (let v = -5; v <= 105; v++) {
          const r = rebalance(a, i, v);
          expect(total(r)).toBe(100);
          expect(r.every((x) => Number.isInteger(x) && x >= 0 && x <= 100)).toBe(true);
          expect(r[i]).toBe(Math.min(100, Math.max(0, v)));
        }
  });

  it('is deterministic and drift-free: dragging away and back from the anchor restores it', () => {
    const anchor = [55, 30, 15];
    for (let v = 0; v <= 100; v++) rebalance(anchor, 0, v);
    expect(rebalance(anchor, 0, 55)).toEqual(anchor);
    expect(rebalance(anchor, 0, 80)).toEqual(rebalance(anchor, 0, 80));
  });

  it('shares equally among others that all had 0 (e.g. a model without traffic yet)', () => {
    expect(rebalance([0, 0, 0], 0, 40)).toEqual([40, 30, 30]);
    expect(rebalance([100, 0, 0], 0, 40)).toEqual([40, 30, 30]);
  });

  it('keeps locked sliders and caps the moved one at what they leave', () => {
    const locked = new Set([2]);
    expect(rebalance([50, 30, 20], 0, 70, locked)).toEqual([70, 10, 20]);
    expect(rebalance([50, 30, 20], 0, 95, locked)).toEqual([80, 0, 20]);
    expect(rebalance([50, 30, 20], 0, 10, new Set([1, 2]))).toEqual([50, 30, 20]); // nothing free: it keeps the rest
  });

  it('handles one slider (always 100) and none', () => {
    expect(rebalance([40], 0, 10)).toEqual([100]);
    expect(rebalance([], 0, 10)).toEqual([]);
  });

  it('rounds and clamps what a range input or a keyboard step sends', () => {
    expect(rebalance([90, 10], 1, 24.6)).toEqual([75, 25]);
    expect(rebalance([90, 10], 1, Number.NaN)).toEqual([100, 0]);
  });
});

describe('split comparisons', () => {
  it('lists per version before and after, and tells equal splits apart', () => {
    const a = [
      { version: 1, percent: 90 },
      { version: 2, percent: 10 },
    ];
    const b = [
      { version: 1, percent: 75 },
      { version: 2, percent: 25 },
      { version: 3, percent: 0 },
    ];
    expect(splitChanges(a, b)).toEqual([
      { version: 1, from: 90, to: 75 },
      { version: 2, from: 10, to: 25 },
      { version: 3, from: 0, to: 0 },
    ]);
    expect(sameSplit(a, b)).toBe(false);
    expect(sameSplit(a, [...a, { version: 4, percent: 0 }])).toBe(true);
    expect(splitText(b)).toBe('v1 75 % · v2 25 %');
    expect(splitText([])).toBe('no traffic');
  });
});
