import { describe, it, expect, beforeAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { userCaller, apiKeyCaller } from './test-helpers';
import { randomWalkCandles, toCsv } from '../market/synthetic';
import { createApiKey } from '../auth/apikeys';
import { firstStartData } from '../bin/first-start';
import { logger } from '../log';
import type { Db } from '../db/client';

describe('data router and REST upload', () => {
  let db: Db;
  let POST: (req: Request) => Promise<Response>;
  let GET: (req: Request) => Promise<Response>;
  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    // The REST route uses the process-wide database (appDb), which reads DATABASE_URL on first use.
    process.env.DATABASE_URL = t.url;
    ({ POST, GET } = await import('../../app/api/v1/datasets/route'));
  });

  it('engineers import CSV through tRPC; analysts read; the chart has real indicator series', async () => {
    const engineer = await userCaller(db, 'engineer');
    const analyst = await userCaller(db, 'analyst');
    const csv = toCsv(randomWalkCandles(400, { seed: 7 }), 'mt-comma');
    await expect(analyst.data.import({ dataset: 'walk', csv })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const r = await engineer.data.import({ dataset: 'walk', symbol: 'WALK', csv });
    expect(r).toMatchObject({ dataset: 'walk', read: 400, inserted: 400, skipped: 0 });
    const list = await analyst.data.list();
    expect(list.map((d) => d.name)).toEqual(['walk']);
    const chart = await analyst.data.chart({ dataset: 'walk', bars: 200 });
    expect(chart.points).toHaveLength(200);
    expect(chart.totalBars).toBe(400);
    const last = chart.points.at(-1)!;
    expect(last.rsi_value).toBeGreaterThanOrEqual(0);
    expect(last.rsi_value).toBeLessThanOrEqual(100);
    expect(last.bollinger_lower!).toBeLessThan(last.bollinger_upper!);
    expect(chart.points[0].t).toBeLessThan(last.t);
    expect(chart.classBalance.total).toBeGreaterThan(0);
    const { counts } = chart.classBalance;
    expect(counts.SELL + counts.HOLD + counts.BUY).toBe(chart.classBalance.total);
    // unknown dataset: 404, not 500
    await expect(analyst.data.chart({ dataset: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(analyst.data.chart({ dataset: 'walk', bars: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('POST /api/v1/datasets streams a raw CSV body and answers the import report', async () => {
    const { key } = await createApiKey(db, { name: 'uploader', scopes: ['train'] }, 'test');
    const csv = toCsv(randomWalkCandles(300, { seed: 3 }), 'mt5-tab-crlf');
    const res = await POST(
      new Request('http://x/api/v1/datasets?dataset=eurusd-test&symbol=EURUSD&timeframe=1h', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
        body: csv,
      }),
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ dataset: 'eurusd-test', read: 300, inserted: 300, skipped: 0, errors: [] });
    // Same file again: idempotent.
    const again = await POST(
      new Request('http://x/api/v1/datasets?dataset=eurusd-test', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'text/csv' }, body: csv }),
    );
    expect(await again.json()).toMatchObject({ read: 300, inserted: 0 });
  });

  it('REST: bad input is a 4xx naming the field; auth is enforced', async () => {
    const { key } = await createApiKey(db, { name: 'uploader2', scopes: ['train', 'read'] }, 'test');
    const h = { authorization: `Bearer ${key}`, 'content-type': 'text/csv' };
    const noName = await POST(new Request('http://x/api/v1/datasets', { method: 'POST', headers: h, body: 'a,b\n1,2\n' }));
    expect(noName.status).toBe(400);
    expect((await noName.json()).error.message).toMatch(/dataset/);
    const garbage = await POST(new Request('http://x/api/v1/datasets?dataset=junk', { method: 'POST', headers: h, body: 'x,y,z\nfoo,bar,baz\n' }));
    expect(garbage.status).toBe(400);
    const anon = await POST(new Request('http://x/api/v1/datasets?dataset=a', { method: 'POST', body: 'x' }));
    expect(anon.status).toBe(401);
    const readOnly = await apiKeyCaller(db, ['read']);
    const forbidden = await POST(
      new Request('http://x/api/v1/datasets?dataset=a', { method: 'POST', headers: { authorization: `Bearer ${readOnly.key}` }, body: 'x' }),
    );
    expect(forbidden.status).toBe(403);
    const list = await GET(new Request('http://x/api/v1/datasets', { headers: { authorization: `Bearer ${readOnly.key}` } }));
    expect(list.status).toBe(200);
    expect((await list.json()).datasets.length).toBeGreaterThan(0);
  });

  it('first start imports the demo dataset once', async () => {
    await firstStartData(db, logger());
    const admin = await userCaller(db, 'admin');
    const demo = (await admin.data.list()).find((d) => d.name === 'demo-sp500-daily');
    expect(demo).toMatchObject({ symbol: 'SPX', timeframe: '1d' });
    expect(demo!.rowCount).toBeGreaterThan(5000);
    // Deleted by a user: not re-imported at the next start.
    await admin.data.delete({ name: 'demo-sp500-daily' });
    await firstStartData(db, logger());
    expect((await admin.data.list()).find((d) => d.name === 'demo-sp500-daily')).toBeUndefined();
  });
});
