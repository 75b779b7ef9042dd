import { describe, it, expect } from 'vitest';
import { pickVersion, keyUnit, type SplitEntry } from './routing';
import { shadowAllowed } from './engine';
import { resolveSymbolRoutes, type RoutingTable } from '../promotion/traffic';

const split: SplitEntry[] = [
  { versionId: 'a', version: 1, percent: 70 },
  { versionId: 'b', version: 2, percent: 30 },
];

describe('routing rules (pure, no model)', () => {
  it('random picks follow the split within binomial bounds (20,000 draws, ±4.5σ)', () => {
    let s = 12345;
    const u = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const n = 20_000;
    let b = 0;
    for (let i = 0; i < n; i++) if (pickVersion(split, null, u()).versionId === 'b') b++;
    const sd = Math.sqrt(n * 0.3 * 0.7);
    expect(Math.abs(b - 0.3 * n)).toBeLessThan(4.5 * sd);
  });

  it('boundaries: u just below 0.7 → first, at 0.7 → second; a 100 % split always answers that version', () => {
    expect(pickVersion(split, null, 0.6999).versionId).toBe('a');
    expect(pickVersion(split, null, 0.7).versionId).toBe('b');
    expect(pickVersion([{ versionId: 'x', version: 3, percent: 100 }], null, 0.99999).versionId).toBe('x');
    expect(() => pickVersion([], null, 0.5)).toThrow(/empty/);
  });

  it('a routing key always meets the same version while the split is unchanged, and keys spread like the split', () => {
    expect(pickVersion(split, 'trader-42').versionId).toBe(pickVersion(split, 'trader-42').versionId);
    expect(keyUnit('k')).toBeGreaterThanOrEqual(0);
    expect(keyUnit('k')).toBeLessThan(1);
    let b = 0;
    for (let i = 0; i < 5000; i++) if (pickVersion(split, `key-${i}`).versionId === 'b') b++;
    expect(Math.abs(b - 1500)).toBeLessThan(4.5 * Math.sqrt(5000 * 0.21));
  });

  it('symbol routes: declared symbols first (oldest model), explicit defaults win, any-symbol models answer the rest', () => {
    const t: RoutingTable = {
      models: [
        { name: 'old', createdAt: new Date(1), symbols: ['EURUSD'], anySymbol: false, split, aliases: {}, shadow: null },
        { name: 'new', createdAt: new Date(2), symbols: ['EURUSD', 'GBPUSD'], anySymbol: false, split, aliases: {}, shadow: null },
        { name: 'any', createdAt: new Date(3), symbols: [], anySymbol: true, split, aliases: {}, shadow: null },
      ],
      symbolDefaults: { GBPUSD: 'old' /* does not serve it: ignored */ },
    };
    const r = resolveSymbolRoutes(t);
    expect(Object.fromEntries(r.bySymbol)).toEqual({ EURUSD: 'old', GBPUSD: 'new' });
    expect(r.any).toBe('any');
    const moved = resolveSymbolRoutes({ ...t, symbolDefaults: { EURUSD: 'new' } });
    expect(moved.bySymbol.get('EURUSD')).toBe('new');
  });
});

describe('shadow mirroring is best effort', () => {
  it('mirrors while the event loop is mostly idle; sheds when it is busy or too many shadows are pending', () => {
    expect(shadowAllowed({ busy: 0.1, maxBusy: 0.5, inflight: 0 })).toBe(true);
    expect(shadowAllowed({ busy: 0.7, maxBusy: 0.5, inflight: 0 })).toBe(false);
    expect(shadowAllowed({ busy: 0.1, maxBusy: 0.5, inflight: 512 })).toBe(false);
  });
});
