import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../db/test-db';
import { DomainError } from '../errors';
import { appendCandles, MAX_APPEND_BARS } from './append';
import { hashCandles } from './hash';
import { importCandles } from './import';
import { getDataset, listDatasets, listImports, loadCandles } from './store';
import { randomWalkCandles, toCsv } from './synthetic';
import type { Candle } from './types';

let t: Awaited<ReturnType<typeof createTestDb>>;
const H = 3_600_000;
const D = 24 * H;
const candles = randomWalkCandles(400, { seed: 21, price: 1.1 });
const bar = (c: Candle) => ({ ts: new Date(c.ts).toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
const fail = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as DomainError);
const count = async (dataset: string) =>
  Number((await t.pool.query('select count(*) n from candles c join datasets d on d.id = c.dataset_id where d.name = $1', [dataset])).rows[0].n);

beforeAll(async () => {
  t = await createTestDb();
  await importCandles(t.db, { source: Buffer.from(toCsv(candles.slice(0, 200), 'mt-comma')), dataset: 'fx', symbol: 'EURUSD', actor: 'test' });
});

describe('appendCandles (JSON bars)', () => {
  it('merges an overlap, answers the report with the new last bar and freshness, and the same bars again insert 0', async () => {
    const bars = candles.slice(150, 250).map(bar);
    const r = await appendCandles(t.db, { dataset: 'fx', bars }, 'test');
    expect(r).toMatchObject({ dataset: 'fx', read: 100, inserted: 50, existing: 50, conflicts: 0, skipped: 50, errors: [], errorCount: 0, format: 'json', created: false, rowCount: 250 });
    expect(r.first).toBe(bars[0].ts);
    expect(r.last).toBe(bars[99].ts);
    expect(r.lastBar).toBe(new Date(candles[249].ts).toISOString());
    expect(r.freshness).toMatchObject({ lastBar: r.lastBar, expectedNext: new Date(candles[249].ts + 2 * H).toISOString(), clock: '24/7', status: 'stale' });
    const d = await getDataset(t.db, 'fx');
    expect(d.contentHash).toBe(hashCandles(candles.slice(0, 250)));
    expect(await loadCandles(t.db, 'fx')).toEqual(candles.slice(0, 250));

    const again = await appendCandles(t.db, { dataset: 'fx', bars }, 'test');
    expect(again).toMatchObject({ read: 100, inserted: 0, existing: 100, conflicts: 0, errors: [], rowCount: 250 });
    const after = await getDataset(t.db, 'fx');
    expect(after.contentHash).toBe(d.contentHash);
    expect(after.updatedAt).toBe(d.updatedAt);
    const reports = await listImports(t.db, 'fx');
    expect(reports[0]).toMatchObject({ format: 'json', read: 100, inserted: 0, skipped: 100, fileName: null, actor: 'test' });
  });

  it('takes ts, time or timestamp as ISO 8601 or epoch ms, decimal strings, in any order', async () => {
    const [a, b, c] = candles.slice(250, 253);
    const r = await appendCandles(
      t.db,
      {
        dataset: 'fx',
        bars: [
          { timestamp: c.ts, open: String(c.open), high: c.high, low: c.low, close: c.close, volume: c.volume },
          { time: new Date(a.ts).toISOString().replace('.000Z', '+00:00'), open: a.open, high: a.high, low: a.low, close: a.close, volume: String(a.volume) },
          { ts: String(b.ts), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume },
        ],
      },
      'test',
    );
    expect(r).toMatchObject({ inserted: 3, errors: [], rowCount: 253 });
    expect((await loadCandles(t.db, 'fx')).slice(-3)).toEqual([a, b, c]);
  });

  it('a bar stored with other values is a conflict: the stored bar is kept and listed; strict rejects everything (409)', async () => {
    const old = candles[10];
    const changed = { ...bar(old), close: old.close + 0.0001, high: Math.max(old.high, old.close + 0.0001) };
    const fresh = bar(candles[253]);
    const strict = await fail(appendCandles(t.db, { dataset: 'fx', bars: [changed, fresh], strict: true }, 'test'));
    expect(strict).toBeInstanceOf(DomainError);
    expect(strict!.code).toBe('CONFLICT');
    expect(strict!.message).toMatch(/^strict: the whole request was rejected: 1 bar conflicts with stored bars \(first: bars\[0\]: conflicts with the stored bar at .*\); nothing was appended$/);
    expect(await count('fx')).toBe(253);

    const r = await appendCandles(t.db, { dataset: 'fx', bars: [changed, fresh] }, 'test');
    expect(r).toMatchObject({ read: 2, inserted: 1, existing: 0, conflicts: 1, errorCount: 1 });
    expect(r.errors).toEqual([
      {
        bar: 0,
        field: 'bars[0]',
        reason: expect.stringMatching(new RegExp(`^conflicts with the stored bar at ${new Date(old.ts).toISOString()} \\(.*close: stored ${old.close}, sent ${changed.close}\\): the stored bar is kept$`)),
      },
    ]);
    expect((await loadCandles(t.db, 'fx', { from: old.ts, to: old.ts }))[0]).toEqual(old);
    expect((await listImports(t.db, 'fx'))[0].errors).toEqual(r.errors);
  });

  it('names every bad bar by index and field, stores the good ones; strict stores nothing', async () => {
    const next = candles.slice(254, 262);
    const good = bar(next[0]);
    const bars: unknown[] = [
      good,
      { ...bar(next[1]), open: 'abc' },
      (({ volume: _v, ...rest }) => rest)(bar(next[2])),
      { ...bar(next[3]), high: next[3].close / 2 },
      { ...(({ volume: _v, ...rest }) => rest)(bar(next[4])), vol: 12 },
      { ...bar(next[5]), ts: Math.floor(next[5].ts / 1000) },
      { ...bar(next[0]) },
      42,
      { ...bar(next[6]), time: next[6].ts },
      { ...bar(next[7]), ts: new Date(next[7].ts + 30 * 60_000).toISOString() },
    ];
    const before = await listImports(t.db, 'fx');
    const strict = await fail(appendCandles(t.db, { dataset: 'fx', bars, strict: true }, 'test'));
    expect(strict!.code).toBe('BAD_REQUEST');
    expect(strict!.message).toBe("strict: the whole request was rejected: 9 bad bars (first: bars[1].open: not a number: 'abc'); nothing was appended");
    expect(await count('fx')).toBe(254);
    expect(await listImports(t.db, 'fx')).toHaveLength(before.length);

    const r = await appendCandles(t.db, { dataset: 'fx', bars }, 'test');
    expect(r).toMatchObject({ read: 10, inserted: 1, existing: 0, errorCount: 9, rowCount: 255 });
    const byField = Object.fromEntries(r.errors.map((e) => [e.field, e.reason]));
    expect(Object.keys(byField)).toEqual(['bars[1].open', 'bars[2].volume', 'bars[3].high', 'bars[4].volume', 'bars[5].ts', 'bars[6].ts', 'bars[7]', 'bars[8].time', 'bars[9].ts']);
    expect(r.errors.map((e) => e.bar)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(byField['bars[2].volume']).toMatch(/^required \(send 0 for a market without volume/);
    expect(byField['bars[3].high']).toMatch(/^high .* < max\(open, close\)/);
    expect(byField['bars[4].volume']).toMatch(/^required .*; also vol: unknown field vol/);
    expect(byField['bars[5].ts']).toMatch(/looks like epoch seconds: send epoch milliseconds/);
    expect(byField['bars[6].ts']).toMatch(/^duplicate timestamp .* \(same as bars\[0\]\)$/);
    expect(byField['bars[7]']).toMatch(/^a bar is an object with fields: ts/);
    expect(byField['bars[8].time']).toBe('give one time field, not ts and time');
    expect(byField['bars[9].ts']).toMatch(/^.*T\d\d:30:00.000Z is not on the 1h grid of dataset 'fx' \(its bars open at .* ± k × 1h\)/);
  });

  it('an unknown dataset is a 404 naming it ("import it first"); nothing is created', async () => {
    const e = await fail(appendCandles(t.db, { dataset: 'nope', bars: [bar(candles[0])] }, 'test'));
    expect(e!.code).toBe('NOT_FOUND');
    expect(e!.message).toMatch(/^dataset 'nope' not found: appending adds bars to an existing dataset; import it first .* \(datasets: fx\)$/);
    expect((await listDatasets(t.db)).map((d) => d.name)).toEqual(['fx']);
  });

  it('limits and request shape: 413 over the bar limit, 400 for empty / neither / both, 409 for another symbol', async () => {
    const many = Array.from({ length: MAX_APPEND_BARS + 1 }, () => ({}));
    const big = await fail(appendCandles(t.db, { dataset: 'fx', bars: many }, 'test'));
    expect(big).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { field: 'bars' } });
    expect(big!.message).toMatch(/^bars: 50,001 bars; at most 50,000 per request/);
    expect(await fail(appendCandles(t.db, { dataset: 'fx', bars: [] }, 'test'))).toMatchObject({ code: 'BAD_REQUEST', message: 'bars: empty: send at least one bar' });
    expect(await fail(appendCandles(t.db, { dataset: 'fx' }, 'test'))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^bars: nothing to append/) });
    expect(await fail(appendCandles(t.db, { dataset: 'fx', bars: [], csv: 'x' }, 'test'))).toMatchObject({ message: 'bars: send JSON bars or a CSV file, not both' });
    expect(await fail(appendCandles(t.db, { dataset: 'fx', bars: [bar(candles[300])], symbol: 'GBPUSD' }, 'test'))).toMatchObject({
      code: 'CONFLICT',
      message: "symbol: dataset 'fx' holds EURUSD, not GBPUSD",
    });
    const allBad = await fail(appendCandles(t.db, { dataset: 'fx', bars: [{ ts: 'yesterday' }] }, 'test'));
    expect(allBad!.message).toMatch(/^bars: no valid bars: all 1 were rejected \(first: bars\[0\]\.open: required/);
    expect(await count('fx')).toBe(255);
  });

  it('nothing is half-written when the append fails at the end (15m bars into a 1h dataset)', async () => {
    const m15 = randomWalkCandles(40, { seed: 4, barMs: 15 * 60_000, start: candles[255].ts, price: 1.1 });
    const e = await fail(appendCandles(t.db, { dataset: 'fx', bars: m15.map(bar) }, 'test'));
    expect(e!.code).toBe('CONFLICT');
    expect(e!.message).toBe("timeframe: dataset 'fx' holds 1h bars but this request has 15m bars; import it into another dataset");
    expect(await count('fx')).toBe(255); // the on-grid quarter was inserted, then rolled back
  });
});

describe('appendCandles (CSV) and import into an existing dataset', () => {
  it('a CSV append merges and reports what was already stored', async () => {
    const r = await appendCandles(t.db, { dataset: 'fx', csv: toCsv(candles.slice(250, 270), 'mt5-tab-crlf') }, 'test');
    expect(r).toMatchObject({ format: 'metatrader', read: 20, inserted: 15, existing: 5, conflicts: 0, rowCount: 270 });
    expect(r.freshness?.lastBar).toBe(new Date(candles[269].ts).toISOString());
  });

  it('an import into the dataset reports a changed row as a conflict by line, and a file without volumes is refused', async () => {
    const rows = candles.slice(260, 280).map((c, i) => (i === 2 ? { ...c, low: c.low * 0.999 } : c));
    const r = await importCandles(t.db, { source: Buffer.from(toCsv(rows, 'mt-comma')), dataset: 'fx', actor: 'test' });
    expect(r).toMatchObject({ read: 20, inserted: 10, existing: 9, conflicts: 1 });
    expect(r.errors).toEqual([{ line: 4, reason: expect.stringMatching(/^conflicts with the stored bar at .* \(low: stored .*, sent .*\): the stored bar is kept$/) }]);

    const noVolume = ['Date,Open,High,Low,Close', ...candles.slice(280, 285).map((c) => [new Date(c.ts).toISOString(), c.open, c.high, c.low, c.close].join(','))].join('\n');
    const e = await fail(appendCandles(t.db, { dataset: 'fx', csv: noVolume }, 'test'));
    expect(e).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'volume' } });
    expect(e!.message).toMatch(/^volume: this file has no volume column, but dataset 'fx' has volumes/);
    expect(await count('fx')).toBe(280);
  });

  it('daily bars: one hour off the grid is read as a daylight-saving shift (noted), half a day off is an error', async () => {
    const daily = randomWalkCandles(30, { seed: 9, barMs: D, start: Date.UTC(2024, 2, 1, 22) });
    await importCandles(t.db, { source: Buffer.from(toCsv(daily, 'generic')), dataset: 'spx', format: 'generic', mapping: { ts: 'When', open: 'O', high: 'H', low: 'L', close: 'C', volume: 'Qty' }, actor: 'test' });
    const last = daily[29];
    const shifted = { ...bar(last), ts: new Date(last.ts + D - H).toISOString() };
    const noon = { ...bar(last), ts: new Date(last.ts + 2 * D + 12 * H).toISOString() };
    const r = await appendCandles(t.db, { dataset: 'spx', bars: [shifted, noon] }, 'test');
    expect(r).toMatchObject({ inserted: 1, errorCount: 1 });
    expect(r.notes).toEqual(["1 bar is 1 h off the dataset's 1d grid: read as a daylight-saving shift of the session"]);
    expect(r.errors[0]).toMatchObject({ bar: 1, field: 'bars[1].ts' });
  });
});

describe('listDatasets freshness', () => {
  it("learns the clock from the data: no Saturday bars → weekdays; Saturday bars → 24/7; under a week → 24/7", async () => {
    // Hourly bars, Monday to Friday only, for three weeks (2024-01-01 is a Monday).
    const weekdays = randomWalkCandles(21 * 24, { seed: 2, start: Date.UTC(2024, 0, 1) }).filter((c) => {
      const d = new Date(c.ts).getUTCDay();
      return d !== 0 && d !== 6;
    });
    await importCandles(t.db, { source: Buffer.from(toCsv(weekdays, 'mt-comma')), dataset: 'stocks-1h', timeframe: '1h', actor: 'test' });
    await importCandles(t.db, { source: Buffer.from(toCsv(randomWalkCandles(50, { seed: 3, start: Date.UTC(2024, 0, 1) }), 'mt-comma')), dataset: 'short', actor: 'test' });
    const lastFri = weekdays.at(-1)!; // Friday 2024-01-19 23:00
    expect(new Date(lastFri.ts).toISOString()).toBe('2024-01-19T23:00:00.000Z');
    const sat = Date.UTC(2024, 0, 20, 12);
    const list = await listDatasets(t.db, { now: sat });
    const by = Object.fromEntries(list.map((d) => [d.name, d.freshness]));
    expect(by['stocks-1h']).toMatchObject({ clock: 'weekdays', status: 'fresh', marketClosed: true, expectedNext: '2024-01-22T01:00:00.000Z' });
    expect(by.fx).toMatchObject({ clock: '24/7', status: 'stale' });
    expect(by.short).toMatchObject({ clock: '24/7' });
    expect((await listDatasets(t.db, { now: Date.UTC(2024, 0, 22, 3) })).find((d) => d.name === 'stocks-1h')!.freshness).toMatchObject({ status: 'stale', lateBy: 2 * H });
  });
});
