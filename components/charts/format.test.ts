import { describe, it, expect } from 'vitest';
import { dateOnly, dateTime, hourMinute, monthDayTime, runOrigin, timeOfDay } from './format';

describe('date formatters (one set for every page and chart)', () => {
  const t = Date.UTC(2026, 10, 26, 17, 50, 1, 123);
  it('formats a Date, an ISO string and epoch ms the same way, in UTC', () => {
    for (const d of [new Date(t), new Date(t).toISOString(), t]) {
      expect(dateTime(d)).toBe('2026-11-26 17:50');
      expect(dateOnly(d)).toBe('2026-11-26');
      expect(timeOfDay(d)).toBe('17:50:01');
      expect(hourMinute(d)).toBe('17:50');
      expect(monthDayTime(d)).toBe('11-26 17:50');
    }
    // An offset in the input is converted to UTC.
    expect(dateTime('2026-11-26T19:50:01+02:00')).toBe('2026-11-26 17:50');
  });
  it('answers — for a missing or invalid value instead of throwing', () => {
    for (const f of [dateTime, dateOnly, timeOfDay, hourMinute, monthDayTime]) {
      expect(f(null)).toBe('—');
      expect(f(undefined)).toBe('—');
      expect(f('')).toBe('—');
      expect(f('not a date')).toBe('—');
      expect(f(Number.NaN)).toBe('—');
      expect(f(new Date('nope'))).toBe('—');
    }
    // Epoch 0 is a real time, not "missing".
    expect(dateTime(0)).toBe('1970-01-01 00:00');
  });
});

describe('runOrigin: who started a run, said once', () => {
  it.each([
    ['cli', 'cli', 'cli'],
    ['cli --inline', 'cli', 'cli --inline'],
    ['cli eval', 'cli', 'cli eval'],
    ['manual', 'admin', 'manual · admin'],
    ['schedule (0 2 * * 0)', 'schedule', 'schedule (0 2 * * 0)'],
    ['schedule', 'schedule', 'schedule'],
    ['manual', 'user:admin', 'manual · admin'],
    ['manual', 'apikey:trading-app', 'manual · key trading-app'],
    ['', 'admin', 'manual · admin'],
    ['manual', '', 'manual'],
  ])('%s by %s → %s', (trigger, by, shown) => {
    expect(runOrigin(trigger, by)).toBe(shown);
  });
});
