import { describe, expect, it } from 'vitest';
import { freshness, fromWeekdayTime, saturdaysToProbe, weekdayTime } from './freshness';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('freshness (1h, 24/7 clock)', () => {
  const last = at('2024-01-03T10:00:00Z'); // a Wednesday: the bar 10:00-11:00
  it('on time: the next bar (11:00-12:00) is due at 12:00, the last closed at 11:00', () => {
    const f = freshness(last, '1h', at('2024-01-03T11:30:00Z'))!;
    expect(f).toMatchObject({
      lastBar: '2024-01-03T10:00:00.000Z',
      lastBarClose: '2024-01-03T11:00:00.000Z',
      expectedNext: '2024-01-03T12:00:00.000Z',
      lateBy: 0,
      graceMs: H,
      status: 'fresh',
      stale: false,
      clock: '24/7',
      marketClosed: false,
    });
    expect(freshness(last, '1h', at('2024-01-03T12:00:00Z'))!.status).toBe('fresh');
  });
  it('late within one bar of grace, stale beyond it', () => {
    expect(freshness(last, '1h', at('2024-01-03T12:30:00Z'))).toMatchObject({ status: 'late', lateBy: 30 * 60_000, stale: false });
    expect(freshness(last, '1h', at('2024-01-03T13:00:00Z'))).toMatchObject({ status: 'late', lateBy: H });
    expect(freshness(last, '1h', at('2024-01-03T13:00:01Z'))).toMatchObject({ status: 'stale', stale: true, lateBy: H + 1000 });
    expect(freshness(last, '1h', at('2024-01-03T13:30:00Z'), { graceBars: 2 })).toMatchObject({ status: 'late', graceMs: 2 * H });
  });
  it('a weekend counts on the 24/7 clock (crypto)', () => {
    const fri = at('2024-01-05T23:00:00Z');
    expect(freshness(fri, '1h', at('2024-01-06T12:00:00Z'))).toMatchObject({ status: 'stale', marketClosed: false, clock: '24/7' });
  });
  it('null without bars or with an unknown timeframe; accepts ISO strings and Dates', () => {
    expect(freshness(null, '1h', Date.now())).toBeNull();
    expect(freshness(last, 'unknown', Date.now())).toBeNull();
    expect(freshness('2024-01-03T10:00:00.000Z', '1h', new Date(at('2024-01-03T11:30:00Z')))!.expectedNext).toBe('2024-01-03T12:00:00.000Z');
  });
  it('a last bar in the future (a dataset stored ahead of UTC) is fresh', () => {
    expect(freshness(last, '1h', last - 5 * H)).toMatchObject({ status: 'fresh', lateBy: 0 });
  });
});

describe('freshness on the weekday clock (stocks, FX: no Saturday bars)', () => {
  it("Friday's last hourly bar: the next is due Monday 01:00 UTC, and the weekend is 'market closed', not late", () => {
    expect(new Date(at('2024-01-05T00:00:00Z')).getUTCDay()).toBe(5);
    const fri = at('2024-01-05T23:00:00Z');
    const sat = freshness(fri, '1h', at('2024-01-06T12:00:00Z'), { clock: 'weekdays' })!;
    expect(sat).toMatchObject({ lastBarClose: '2024-01-06T00:00:00.000Z', expectedNext: '2024-01-08T01:00:00.000Z', lateBy: 0, status: 'fresh', clock: 'weekdays', marketClosed: true });
    expect(freshness(fri, '1h', at('2024-01-08T01:30:00Z'), { clock: 'weekdays' })).toMatchObject({ status: 'late', lateBy: 30 * 60_000, marketClosed: false });
    expect(freshness(fri, '1h', at('2024-01-08T03:00:00Z'), { clock: 'weekdays' })).toMatchObject({ status: 'stale', lateBy: 2 * H });
  });
  it("Friday's daily bar: Monday is fresh, Tuesday late, Wednesday stale", () => {
    const fri = at('2024-01-05T00:00:00Z');
    const opts = { clock: 'weekdays' as const };
    expect(freshness(fri, '1d', at('2024-01-08T12:00:00Z'), opts)).toMatchObject({ expectedNext: '2024-01-09T00:00:00.000Z', status: 'fresh' });
    expect(freshness(fri, '1d', at('2024-01-09T12:00:00Z'), opts)).toMatchObject({ status: 'late', lateBy: 12 * H });
    expect(freshness(fri, '1d', at('2024-01-10T00:00:01Z'), opts)).toMatchObject({ status: 'stale' });
  });
  it("Thursday's daily bar: Friday's bar closes Saturday 00:00; weekend hours do not add lateness", () => {
    const thu = at('2024-01-04T00:00:00Z');
    const f = freshness(thu, '1d', at('2024-01-08T10:00:00Z'), { clock: 'weekdays' })!;
    expect(f).toMatchObject({ lastBarClose: '2024-01-05T00:00:00.000Z', expectedNext: '2024-01-06T00:00:00.000Z', lateBy: 10 * H, status: 'late' });
  });
  it('weekly bars always use the 24/7 clock', () => {
    expect(freshness(at('2024-01-01T00:00:00Z'), '1w', at('2024-01-10T00:00:00Z'), { clock: 'weekdays' })!.clock).toBe('24/7');
  });
});

describe('the weekday clock', () => {
  it('skips Saturday and Sunday, and maps back to the earliest instant', () => {
    const mon = at('2024-01-08T00:00:00Z');
    const fri = at('2024-01-05T10:00:00Z');
    expect(weekdayTime(mon) - weekdayTime(fri)).toBe(14 * H);
    expect(weekdayTime(at('2024-01-07T15:00:00Z'))).toBe(weekdayTime(mon));
    for (const t of [fri, mon + 5 * H, at('2024-01-10T23:59:00Z')]) expect(fromWeekdayTime(weekdayTime(t))).toBe(t);
    expect(new Date(fromWeekdayTime(weekdayTime(mon))).toISOString()).toBe('2024-01-06T00:00:00.000Z');
  });
  it('probes up to four whole Saturdays inside the range, none under a week of bars', () => {
    expect(saturdaysToProbe(at('2024-01-01T00:00:00Z'), at('2024-01-06T23:00:00Z'))).toEqual([]);
    const sats = saturdaysToProbe(at('2023-06-01T00:00:00Z'), at('2024-01-08T00:00:00Z'));
    expect(sats.map((s) => new Date(s).toISOString())).toEqual(['2024-01-06T00:00:00.000Z', '2023-12-30T00:00:00.000Z', '2023-12-23T00:00:00.000Z', '2023-12-16T00:00:00.000Z']);
    const short = saturdaysToProbe(at('2024-01-01T00:00:00Z'), at('2024-01-12T00:00:00Z'));
    expect(short.map((s) => new Date(s).toISOString())).toEqual(['2024-01-06T00:00:00.000Z']);
    for (const s of sats) expect(new Date(s).getUTCDay()).toBe(6);
  });
});
