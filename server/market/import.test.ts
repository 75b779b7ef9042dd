import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../db/test-db';
import { DomainError } from '../errors';
import { DEMO_DATASET, importDemoDataset } from './demo';
import { hashCandles } from './hash';
import { importCandles } from './import';
import { getDataset, listDatasets, listImports, loadCandles } from './store';
import { randomWalkCandles, toCsv } from './synthetic';

let t: Awaited<ReturnType<typeof createTestDb>>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signalops-market-'));
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const count = async (sql: string, params: unknown[] = []) => Number((await t.pool.query(sql, params)).rows[0].n);

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const H = 3_600_000;
const candles = randomWalkCandles(1000, { seed: 42, price: 1.1 });

describe('importCandles', () => {
  it('imports a MetaTrader file, infers symbol and timeframe, stores range and content hash, writes a report', async () => {
    const file = write('EURUSD_H1.csv', toCsv(candles.slice(0, 600), 'mt-comma'));
    const progress: number[] = [];
    const r = await importCandles(t.db, { source: file, dataset: 'eurusd-h1', actor: 'test', onProgress: (p) => progress.push(p.bytes / p.totalBytes!) });
    expect(r).toMatchObject({ dataset: 'eurusd-h1', read: 600, inserted: 600, skipped: 0, errors: [], format: 'metatrader', symbol: 'EURUSD', timeframe: '1h', created: true });
    expect(r.first).toBe(new Date(candles[0].ts).toISOString());
    expect(r.last).toBe(new Date(candles[599].ts).toISOString());
    expect(progress.at(-1)).toBe(1);
    const d = await getDataset(t.db, 'eurusd-h1');
    expect(d).toMatchObject({ rowCount: 600, symbol: 'EURUSD', timeframe: '1h', source: 'metatrader', createdBy: 'test', firstTs: r.first, lastTs: r.last });
    expect(d.contentHash).toBe(hashCandles(candles.slice(0, 600)));
    const stored = await loadCandles(t.db, 'eurusd-h1');
    expect(stored).toEqual(candles.slice(0, 600));
    const reports = await listImports(t.db, 'eurusd-h1');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ fileName: 'EURUSD_H1.csv', format: 'metatrader', read: 600, inserted: 600, skipped: 0, actor: 'test' });
  });

  it('is idempotent: the same file again inserts nothing and leaves the hash alone', async () => {
    const file = path.join(dir, 'EURUSD_H1.csv');
    const before = await getDataset(t.db, 'eurusd-h1');
    const r = await importCandles(t.db, { source: file, dataset: 'eurusd-h1', actor: 'test' });
    expect(r).toMatchObject({ read: 600, inserted: 0, skipped: 600, existing: 600, created: false });
    const after = await getDataset(t.db, 'eurusd-h1');
    expect(after.rowCount).toBe(600);
    expect(after.contentHash).toBe(before.contentHash);
    expect(await listImports(t.db, 'eurusd-h1')).toHaveLength(2);
  });

  it('merges an overlapping file (in another format: MT5, tab, CRLF)', async () => {
    const file = write('EURUSD_H1_part2.csv', toCsv(candles.slice(400, 1000), 'mt5-tab-crlf'));
    const r = await importCandles(t.db, { source: file, dataset: 'eurusd-h1', actor: 'test' });
    expect(r).toMatchObject({ read: 600, inserted: 400, skipped: 200 });
    const d = await getDataset(t.db, 'eurusd-h1');
    expect(d.rowCount).toBe(1000);
    expect(d.contentHash).toBe(hashCandles(candles));
    expect(d.lastTs).toBe(new Date(candles[999].ts).toISOString());
    const range = await loadCandles(t.db, 'eurusd-h1', { from: candles[10].ts, to: new Date(candles[19].ts).toISOString() });
    expect(range.map((c) => c.ts)).toEqual(candles.slice(10, 20).map((c) => c.ts));
  });

  it('skips and reports bad rows by default; --strict rejects the whole file and leaves nothing behind', async () => {
    const daily = randomWalkCandles(50, { seed: 5, barMs: 86_400_000 });
    const dl = toCsv(daily, 'yahoo').trimEnd().split('\n');
    dl[3] = dl[3].split(',').map((v, i) => (i === 1 ? 'oops' : v)).join(',');
    dl[7] = dl[7].split(',').slice(0, 3).join(',');
    dl[11] = dl[11].split(',').map((v, i) => (i === 2 ? '0.5' : v)).join(','); // high below open/close
    const file = write('AAPL.csv', dl.join('\n'));

    const strict = await importCandles(t.db, { source: file, dataset: 'aapl-strict', strict: true, actor: 'test' }).catch((e: unknown) => e);
    expect(strict).toBeInstanceOf(DomainError);
    expect((strict as DomainError).message).toBe(
      "strict: the whole file was rejected: 3 bad rows (first: line 4: unparsable number in Open: 'oops'); nothing was imported",
    );
    expect(await count("select count(*) n from datasets where name = 'aapl-strict'")).toBe(0);
    expect(await count('select count(*) n from candles c join datasets d on d.id = c.dataset_id where d.name = $1', ['aapl-strict'])).toBe(0);

    const r = await importCandles(t.db, { source: file, dataset: 'aapl', actor: 'test' });
    expect(r).toMatchObject({ read: 50, inserted: 47, skipped: 3, symbol: 'AAPL', timeframe: '1d', format: 'yahoo' });
    expect(r.errors.map((e) => e.line)).toEqual([4, 8, 12]);
    expect(r.errors[1].reason).toMatch(/^missing column Low: expected 7 fields, found 3$/);
    expect(r.errors[2].reason).toMatch(/^high 0.5 < max\(open, close\)/);
    const rep = (await listImports(t.db, 'aapl'))[0];
    expect(rep.errors).toEqual(r.errors);

    // A strict rejection of a file for an existing dataset leaves the dataset as it was.
    const before = await getDataset(t.db, 'aapl');
    await expect(importCandles(t.db, { source: file, dataset: 'aapl', strict: true, actor: 'test' })).rejects.toThrow(/^strict:/);
    expect(await getDataset(t.db, 'aapl')).toEqual(before);
    expect(await listImports(t.db, 'aapl')).toHaveLength(1);
  });

  it('rolls back inserted rows when the import fails at the end (timeframe conflict)', async () => {
    const m15 = randomWalkCandles(300, { seed: 3, barMs: 900_000, start: candles[999].ts + H });
    const file = write('EURUSD_M15.csv', toCsv(m15, 'mt-comma'));
    const e = await importCandles(t.db, { source: file, dataset: 'eurusd-h1', actor: 'test' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('CONFLICT');
    expect((e as DomainError).message).toBe("timeframe: dataset 'eurusd-h1' holds 1h bars but this file has 15m bars; import it into another dataset");
    expect((await getDataset(t.db, 'eurusd-h1')).rowCount).toBe(1000);
    expect(await count("select count(*) n from candles c join datasets d on d.id = c.dataset_id where d.name = 'eurusd-h1'")).toBe(1000);
  });

  it('imports a newest-first CryptoDataDownload stream in ascending order, with the symbol from the file', async () => {
    const text = toCsv(candles.slice(0, 200), 'cdd');
    const r = await importCandles(t.db, { source: Readable.from([Buffer.from(text)]), dataset: 'btc-1h', fileName: 'Binance_BTCUSDT_1h.csv', actor: 'test' });
    expect(r).toMatchObject({ read: 200, inserted: 200, symbol: 'BTCUSDT', format: 'cryptodatadownload', timeframe: '1h' });
    const stored = await loadCandles(t.db, 'btc-1h');
    expect(stored.map((c) => c.ts)).toEqual(candles.slice(0, 200).map((c) => c.ts));
  });

  it('explains unusable files in one line and creates nothing', async () => {
    const garbage = write('garbage.csv', Array.from({ length: 20 }, (_, i) => Array.from({ length: 10 }, (_, j) => `x${i * j}q`).join(',')).join('\n'));
    const empty = write('empty.csv', '');
    const binary = write('image.png', '\x89PNG\r\n\x1a\n\0\0\0\rIHDR');
    for (const [file, re] of [
      [garbage, /^file: unrecognised CSV header on line 1 \(10 columns/],
      [empty, /^file: the file is empty/],
      [binary, /^file: this is a binary file/],
      [path.join(dir, 'nope.csv'), /^file: no such file/],
    ] as const) {
      const e = await importCandles(t.db, { source: file, dataset: 'junk', actor: 'test' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).message).toMatch(re);
      expect((e as DomainError).message).not.toContain('\n');
    }
    await expect(importCandles(t.db, { source: garbage, dataset: 'bad name!', actor: 'test' })).rejects.toThrow(/^dataset: a dataset name is/);
    expect((await listDatasets(t.db)).map((d) => d.name)).not.toContain('junk');
  });

  it('getDataset names the known datasets when one is missing', async () => {
    await expect(getDataset(t.db, 'missing')).rejects.toThrow(/^dataset 'missing' not found \(datasets: aapl, btc-1h, eurusd-h1\)$/);
  });

  it('imports the demo dataset from the vega-datasets package once', async () => {
    const first = await importDemoDataset(t.db);
    expect(first.created).toBe(true);
    expect(first.result).toMatchObject({ read: 5105, inserted: 5105, skipped: 0, errors: [] });
    const d = await getDataset(t.db, DEMO_DATASET);
    expect(d).toMatchObject({ symbol: 'SPX', timeframe: '1d', source: 'yahoo', rowCount: 5105, firstTs: '2000-01-03T00:00:00.000Z', createdBy: 'system' });
    expect(await importDemoDataset(t.db)).toEqual({ created: false, result: null });
  });
});
