import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { randomWalkCandles, toCsv } from './synthetic';
import { createApiKey } from '../auth/apikeys';
import { parseMappingSpec } from './parse/formats';
import type { Db } from '../db/client';

/** The Data page's retry: POST /api/v1/datasets with `map=` (the CLI's --map spec), validated by zod. */
describe('REST upload with a column mapping', () => {
  let db: Db;
  let POST: (req: Request) => Promise<Response>;
  let key: string;
  const csv = toCsv(randomWalkCandles(300, { seed: 5 }), 'generic'); // header When,O,H,L,C,Qty: not recognised
  const post = (query: string) =>
    POST(new Request(`http://x/api/v1/datasets?${query}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'text/csv' }, body: csv }));
  const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string; field?: string; details?: Record<string, unknown> } }).error;

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    process.env.DATABASE_URL = t.url;
    ({ POST } = await import('../../app/api/v1/datasets/route'));
    ({ key } = await createApiKey(db, { name: 'uploader', scopes: ['train'] }, 'test'));
  });

  it('without a mapping: 400 with the file header, so a form can offer its columns', async () => {
    const res = await post('dataset=mapped');
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.details).toMatchObject({ reason: 'unrecognised-header', header: ['When', 'O', 'H', 'L', 'C', 'Qty'] });
  });

  it('with the mapping: imports every row', async () => {
    const res = await post(`dataset=mapped&map=${encodeURIComponent('ts=When,open=O,high=H,low=L,close=C,volume=Qty')}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ dataset: 'mapped', read: 300, inserted: 300, skipped: 0, format: 'generic' });
    // Columns by 1-based number work too (what the page sends for awkward names).
    const byNumber = await post(`dataset=mapped-n&map=${encodeURIComponent('ts=#1,open=#2,high=#3,low=#4,close=#5')}`);
    expect(byNumber.status).toBe(200);
    expect(await byNumber.json()).toMatchObject({ inserted: 300 });
  });

  it.each([
    ['ts=When,open=O,high=H,low=L', 'map.close', /map: missing close/],
    ['ts=When,opn=O,high=H,low=L,close=C', 'map.opn', /unknown key 'opn'/],
    ['ts=When,open=O,high=H,low=L,close=', 'map.close', /missing close/],
    ['When,O', 'map', /is not key=column/],
    ['', 'map.ts', /missing ts/],
    ['ts=Date,open=O,high=H,low=L,close=C', 'ts', /column 'Date' \(for ts\) is not in the header \(When, O, H, L, C, Qty\)/],
  ])('bad mapping %j → 400 naming %s', async (spec, field, message) => {
    const res = await post(`dataset=bad&map=${encodeURIComponent(spec)}`);
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('the parser is the zod schema the CLI uses', () => {
    expect(parseMappingSpec('TS=When, open=O ,high=H,low=L,close=C')).toEqual({ ts: 'When', open: 'O', high: 'H', low: 'L', close: 'C' });
  });
});
