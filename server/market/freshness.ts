import { z } from 'zod';
import { timeframeToMs } from './timeframe';

/**
 * Is a dataset up to date? Pure arithmetic over the last stored bar, the timeframe and a clock.
 *
 * A bar is stored under its OPEN time and closes one timeframe later. The last stored bar (open t) closed at t + tf;
 * the bar after it opens at t + tf and closes at t + 2 tf, so that is when it should have arrived:
 *
 *   expectedNext = t + 2 tf          lateBy = max(0, now − expectedNext)          stale = lateBy > grace (1 tf)
 *
 * "late" (0 < lateBy ≤ grace) is the normal delay of a pusher that runs a little after the close; "stale" means at
 * least one more whole bar is missing.
 *
 * Weekends: a market that does not trade on Saturdays (stocks, FX — learned from the data, see `clock`) would look
 * late every weekend. On its **weekday clock** Saturday and Sunday (UTC) do not count: expectedNext skips them and
 * lateBy only counts weekday time, so Friday's last hourly bar is expected by Monday 01:00 UTC, not Saturday. Holidays
 * are not known: a one-day holiday stays within the grace of a daily dataset, but shows as "late". Times are compared
 * with the server's UTC clock; a dataset stored in a broker's server time (MetaTrader files are read as UTC wall-clock
 * time, often UTC+2/+3) looks that many hours fresher.
 */

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const WEEKDAYS = 5 * DAY;
/** Monday 1969-12-29 00:00 UTC: the week grid of the weekday clock (the epoch was a Thursday). */
const MONDAY0 = -3 * DAY;

export type MarketClock = '24/7' | 'weekdays';

/** Weekday milliseconds (Saturday and Sunday UTC excluded) from MONDAY0 to t: a non-decreasing map of time. */
export function weekdayTime(t: number): number {
  const x = t - MONDAY0;
  const w = Math.floor(x / WEEK);
  return w * WEEKDAYS + Math.min(x - w * WEEK, WEEKDAYS);
}

/** The earliest instant whose weekday time is `wt` (a weekend maps to its Saturday 00:00). */
export function fromWeekdayTime(wt: number): number {
  const w = Math.ceil(wt / WEEKDAYS) - 1;
  return MONDAY0 + w * WEEK + (wt - w * WEEKDAYS);
}

/** Whether t falls on a Saturday or Sunday (UTC). */
export const isWeekend = (t: number) => {
  const d = new Date(t).getUTCDay();
  return d === 0 || d === 6;
};

export const FreshnessSchema = z.object({
  /** Open time of the last stored bar. */
  lastBar: z.string(),
  /** When that bar closed (open + 1 timeframe). */
  lastBarClose: z.string(),
  /** When the next closed bar should have arrived: last bar open + 2 timeframes (on the dataset's clock). */
  expectedNext: z.string(),
  /** How late the next bar is, in milliseconds (0 until expectedNext); weekday time on the weekday clock. */
  lateBy: z.number(),
  /** How late it may be before the dataset is stale: one timeframe. */
  graceMs: z.number(),
  status: z.enum(['fresh', 'late', 'stale']),
  stale: z.boolean(),
  /** `weekdays`: the dataset has no Saturday bars, so weekends do not count; `24/7`: every hour counts. */
  clock: z.enum(['24/7', 'weekdays']),
  /** It is the weekend and the dataset trades on weekdays: a missing bar is expected (the page says "market closed"). */
  marketClosed: z.boolean(),
  /** The freshness was computed at this time. */
  asOf: z.string(),
});
export type Freshness = z.infer<typeof FreshnessSchema>;

export interface FreshnessOptions {
  /** Default `24/7`. A timeframe of a week or more always uses the 24/7 clock. */
  clock?: MarketClock;
  /** Allowed delay in timeframes beyond expectedNext before "stale" (default 1). */
  graceBars?: number;
}

/** Freshness of a dataset whose last bar opened at `lastBarTs`; null without bars or with an unknown timeframe. */
export function freshness(lastBarTs: number | Date | string | null, timeframe: string, now: number | Date, opts: FreshnessOptions = {}): Freshness | null {
  if (lastBarTs === null) return null;
  const last = lastBarTs instanceof Date ? lastBarTs.getTime() : typeof lastBarTs === 'string' ? Date.parse(lastBarTs) : lastBarTs;
  const tf = timeframeToMs(timeframe);
  const at = now instanceof Date ? now.getTime() : now;
  if (!Number.isFinite(last) || !tf || !Number.isFinite(at)) return null;
  const clock: MarketClock = opts.clock === 'weekdays' && tf < WEEK ? 'weekdays' : '24/7';
  const grace = tf * (opts.graceBars ?? 1);
  let close: number;
  let next: number;
  let lateBy: number;
  if (clock === 'weekdays') {
    const w = weekdayTime(last);
    close = fromWeekdayTime(w + tf);
    next = fromWeekdayTime(w + 2 * tf);
    lateBy = Math.max(0, weekdayTime(at) - (w + 2 * tf));
  } else {
    close = last + tf;
    next = last + 2 * tf;
    lateBy = Math.max(0, at - next);
  }
  const status = lateBy === 0 ? 'fresh' : lateBy <= grace ? 'late' : 'stale';
  return {
    lastBar: new Date(last).toISOString(),
    lastBarClose: new Date(close).toISOString(),
    expectedNext: new Date(next).toISOString(),
    lateBy,
    graceMs: grace,
    status,
    stale: status === 'stale',
    clock,
    marketClosed: clock === 'weekdays' && isWeekend(at),
    asOf: new Date(at).toISOString(),
  };
}

/**
 * The Saturdays (UTC midnight) to look at when deciding a dataset's clock: the last `count` Saturdays that lie wholly
 * inside its bars' range. None when the range is shorter than a week — too little history to tell, so the 24/7
 * clock applies.
 */
export function saturdaysToProbe(firstTs: number, lastTs: number, count = 4): number[] {
  if (lastTs - firstTs < WEEK) return [];
  const out: number[] = [];
  // The Saturday 00:00 at or before lastTs − 1 day (so the whole Saturday is inside the range).
  let sat = MONDAY0 + Math.floor((lastTs - DAY - MONDAY0 - 5 * DAY) / WEEK) * WEEK + 5 * DAY;
  while (out.length < count && sat >= firstTs) {
    out.push(sat);
    sat -= WEEK;
  }
  return out;
}
