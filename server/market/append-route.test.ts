import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../db/test-db';
import { apiKeyCaller, userCaller } from '../trpc/test-helpers';
import type { Db } from '../db/client';
import { importCandles } from './import';
import { randomWalkCandles, toCsv } from './synthetic';
import type { Candle } from './types';

/** POST /api/v1/datasets/{name}/candles (the route module, called with a Request) and tRPC data.append. */
describe('appending bars over REST and tRPC', () => {
  let db: Db;
  let POST: (req: Request) => Promise<Response>;
  let key: string;
  const candles = randomWalkCandles(300, { seed: 8, price: 1.3 });
  const bar = (c: Candle) => ({ ts: new Date(c.ts).toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
  const post = (name: string, body: BodyInit, headers: Record<string, string>, query = '') =>
    POST(new Request(`http://x/api/v1/datasets/${encodeURIComponent(name)}/candles${query}`, { method: 'POST', headers: { 'x-api-key': key, ...headers }, body }));
  const json = (name: string, body: unknown, query = '') => post(name, JSON.stringify(body), { 'content-type': 'application/json' }, query);
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; field?: string; request_id?: string } }).error;

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    process.env.DATABASE_URL = t.url;
    ({ POST } = await import('../../app/api/v1/datasets/[name]/candles/route'));
    ({ key } = await apiKeyCaller(db, ['train']));
    await importCandles(db, { source: Buffer.from(toCsv(candles.slice(0, 100), 'mt-comma')), dataset: 'gbpusd-h1', symbol: 'GBPUSD', actor: 'test' });
  });

  it('JSON { bars }: merges, answers the report with freshness; the same body again inserts 0', async () => {
    const body = { bars: candles.slice(90, 120).map(bar) };
    const res = await json('gbpusd-h1', body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const r = await res.json();
    expect(r).toMatchObject({ dataset: 'gbpusd-h1', read: 30, inserted: 20, existing: 10, conflicts: 0, errors: [], rowCount: 120, lastBar: body.bars[29].ts, format: 'json' });
    expect(r.freshness).toMatchObject({ lastBar: body.bars[29].ts, status: 'stale' });
    expect(await (await json('gbpusd-h1', body)).json()).toMatchObject({ inserted: 0, existing: 30 });
  });

  it('a bare array, application/json with a charset, ?strict=true, and a bad bar named by index', async () => {
    const res = await post('gbpusd-h1', JSON.stringify([bar(candles[120]), { ...bar(candles[121]), low: candles[121].high * 2 }]), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r).toMatchObject({ read: 2, inserted: 1, errorCount: 1 });
    expect(r.errors).toEqual([{ bar: 1, field: 'bars[1].low', reason: expect.stringMatching(/^low .* > min\(open, close\)/) }]);
    const strict = await json('gbpusd-h1', [{ ...bar(candles[122]), open: -1 }, bar(candles[123])], '?strict=true');
    expect(strict.status).toBe(400);
    expect((await errorOf(strict)).message).toMatch(/^strict: the whole request was rejected: 1 bad bar \(first: bars\[0\]\.open: non-positive price: open = -1\)/);
    const conflict = await json('gbpusd-h1', { bars: [{ ...bar(candles[5]), volume: candles[5].volume + 1 }], strict: true });
    expect(conflict.status).toBe(409);
  });

  it('text/csv is streamed through the import pipeline with line numbers', async () => {
    const lines = toCsv(candles.slice(121, 140), 'mt-comma').trimEnd().split('\n');
    lines[3] = lines[3].replace(/,[^,]+,([^,]+,[^,]+,[^,]+)$/, ',oops,$1');
    const res = await post('gbpusd-h1', lines.join('\n') + '\n', { 'content-type': 'text/csv' });
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r).toMatchObject({ format: 'metatrader', read: 19, inserted: 18, existing: 0, errorCount: 1 }); // bar 121 was refused above
    expect(r.errors).toEqual([{ line: 4, reason: expect.stringMatching(/^unparsable number in Adj Close: 'oops'/) }]);
  });

  it('every bad request is a 4xx naming the problem, never a 500', async () => {
    const cases: [Response, number, RegExp][] = [
      [await json('missing', { bars: [bar(candles[0])] }), 404, /^dataset 'missing' not found: appending adds bars to an existing dataset; import it first/],
      [await post('gbpusd-h1', '{"bars": [', { 'content-type': 'application/json' }), 400, /^Request body is not valid JSON/],
      [await post('gbpusd-h1', '', { 'content-type': 'application/json' }), 400, /^Request body is empty/],
      [await json('gbpusd-h1', { bars: [], extra: 1 }), 400, /^extra: unknown field/],
      [await json('gbpusd-h1', { candles: [] }), 400, /^candles: unknown field/],
      [await json('gbpusd-h1', { bars: 'x' }), 400, /^bars: must be an array/],
      [await json('gbpusd-h1', {}), 400, /^bars: required/],
      [await json('gbpusd-h1', 42), 400, /^body: send \{ "bars"/],
      [await json('gbpusd-h1', [{ ts: 'soon' }]), 400, /^bars: no valid bars/],
      [await json('gbpusd-h1', { bars: [bar(candles[200])], symbol: 'EURUSD' }), 409, /^symbol: dataset 'gbpusd-h1' holds GBPUSD, not EURUSD/],
      [await json('bad name!', { bars: [bar(candles[0])] }), 400, /^dataset: a dataset name is/],
      [await json('gbpusd-h1', { bars: [bar(candles[200])] }, '?strict=maybe'), 400, /^strict: must be true or false/],
      [await json('gbpusd-h1', { bars: Array.from({ length: 50_001 }, () => 0) }), 413, /^bars: 50,001 bars; at most 50,000/],
      [await post('gbpusd-h1', '<bars/>', { 'content-type': 'application/xml' }), 415, /^Content-Type: send application\/json .* or text\/csv; got 'application\/xml'/],
      [await post('gbpusd-h1', new TextEncoder().encode('x'), {}), 415, /got none$/],
      [await post('gbpusd-h1', '', { 'content-type': 'text/csv' }), 400, /^file: the file is empty/],
    ];
    for (const [res, status, message] of cases) {
      const e = await errorOf(res);
      expect({ status: res.status, message: e.message }).toEqual({ status, message: expect.stringMatching(message) });
      expect(e.request_id).toBeTruthy();
    }
    const big = await post('gbpusd-h1', 'x', { 'content-type': 'text/csv', 'content-length': String(65 * 1024 * 1024) });
    expect(big.status).toBe(413);
  });

  it('401 without a credential, 403 for a read-only key or an analyst', async () => {
    const anon = await POST(new Request('http://x/api/v1/datasets/gbpusd-h1/candles', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }));
    expect(anon.status).toBe(401);
    const { key: readKey } = await apiKeyCaller(db, ['read', 'predict']);
    const ro = await POST(
      new Request('http://x/api/v1/datasets/gbpusd-h1/candles', { method: 'POST', headers: { 'x-api-key': readKey, 'content-type': 'application/json' }, body: '[]' }),
    );
    expect(ro.status).toBe(403);
    expect((await errorOf(ro)).message).toMatch(/needs an API key with the 'train' scope/);
    const analyst = await userCaller(db, 'analyst');
    await expect(analyst.data.append({ dataset: 'gbpusd-h1', bars: [bar(candles[150])] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // An append-only `data` key (the trading app's bar feed) may append, and nothing more.
    const { key: dataKey, caller: dataCaller } = await apiKeyCaller(db, ['data']);
    const ok = await POST(new Request('http://x/api/v1/datasets/gbpusd-h1/candles', { method: 'POST', headers: { 'x-api-key': dataKey, 'content-type': 'application/json' }, body: '[]' }));
    expect(ok.status).not.toBe(403);
    await expect(dataCaller.training.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('tRPC data.append: JSON bars or CSV text, typed report with freshness; 404 for an unknown dataset', async () => {
    const engineer = await userCaller(db, 'engineer');
    const r = await engineer.data.append({ dataset: 'gbpusd-h1', bars: candles.slice(140, 150).map(bar) });
    expect(r).toMatchObject({ inserted: 10, existing: 0, rowCount: 149 }); // 121 and 123 were refused above
    expect(r.freshness?.lastBar).toBe(new Date(candles[149].ts).toISOString());
    const csv = await engineer.data.append({ dataset: 'gbpusd-h1', csv: toCsv(candles.slice(145, 155), 'mt-comma') });
    expect(csv).toMatchObject({ inserted: 5, existing: 5, format: 'metatrader' });
    await expect(engineer.data.append({ dataset: 'nope', bars: [bar(candles[0])] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engineer.data.append({ dataset: 'gbpusd-h1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const list = await engineer.data.list();
    expect(list[0].freshness).toMatchObject({ lastBar: new Date(candles[154].ts).toISOString(), clock: '24/7' });
    const detail = await engineer.data.get({ name: 'gbpusd-h1' });
    expect(detail.dataset.freshness?.expectedNext).toBe(new Date(candles[154].ts + 2 * 3_600_000).toISOString());
    expect(detail.imports[0]).toMatchObject({ format: 'metatrader', inserted: 5 });
  });
});
