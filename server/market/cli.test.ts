import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../cli/types';
import { CliError } from '../cli/types';
import { createTestDb } from '../db/test-db';
import { marketCommands } from './cli';
import { computeFeatures, FEATURE_NAMES, featureRow, WARMUP_BARS } from './indicators';
import { randomWalkCandles, toCsv } from './synthetic';

let t: Awaited<ReturnType<typeof createTestDb>>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signalops-market-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  t = await createTestDb();
});

function ctxFor(json: boolean) {
  const out: { doc: unknown; human?: string }[] = [];
  const progress: [number, number][] = [];
  const ctx: CliContext = {
    db: t.db,
    json,
    actor: 'cli',
    result: (doc, human) => out.push({ doc, human }),
    info: () => {},
    progress: () => ({ update: (d, tot) => progress.push([d, tot]), done: () => {} }),
  };
  return { ctx, out, progress };
}

const run = async (json: boolean, name: string, positionals: string[], values: Record<string, string | boolean> = {}) => {
  const c = ctxFor(json);
  await marketCommands[name].run(c.ctx, { positionals, values });
  expect(c.out).toHaveLength(1);
  return { ...c.out[0], progress: c.progress };
};

const candles = randomWalkCandles(400, { seed: 77 });
const file = path.join(dir, 'EURUSD_H1.csv');
fs.writeFileSync(file, toCsv(candles, 'mt-comma').replace(/\n(\S+)\n/, '\n$1\nnot,a,row\n'));

describe('market CLI', () => {
  it('import --json prints exactly the documented document, with a progress bar', async () => {
    const r = await run(true, 'import', [file], { dataset: 'eurusd' });
    expect(Object.keys(r.doc as object)).toEqual(['dataset', 'read', 'inserted', 'skipped', 'existing', 'conflicts', 'first', 'last', 'errors']);
    expect(r.doc).toEqual({
      dataset: 'eurusd',
      read: 401,
      inserted: 400,
      skipped: 1,
      existing: 0,
      conflicts: 0,
      first: new Date(candles[0].ts).toISOString(),
      last: new Date(candles[399].ts).toISOString(),
      errors: [{ line: 3, reason: expect.stringMatching(/^missing column/) }],
    });
    expect(r.progress.at(-1)).toEqual([fs.statSync(file).size, fs.statSync(file).size]);
  });

  it('import without --json says what happened in words', async () => {
    const r = await run(false, 'import', [file], { dataset: 'eurusd' });
    expect(r.human).toMatch(/^merged into dataset 'eurusd' \(EURUSD, 1h, metatrader\)\nrows read 401, inserted 0, skipped 401 \(400 already stored\) \(1 bad rows\)/);
    expect(r.human).toMatch(/line 3: missing column/);
  });

  it('import refuses a missing --dataset or file with a usage error', async () => {
    const c = ctxFor(true);
    await expect(marketCommands.import.run(c.ctx, { positionals: [file], values: {} })).rejects.toBeInstanceOf(CliError);
    await expect(marketCommands.import.run(c.ctx, { positionals: [], values: { dataset: 'x' } })).rejects.toThrow(/missing <file>/);
  });

  it('import --map reads a generic file', async () => {
    const g = path.join(dir, 'prices.csv');
    fs.writeFileSync(g, toCsv(candles.slice(0, 150), 'generic'));
    const r = await run(true, 'import', [g], { dataset: 'generic', map: 'ts=When,open=O,high=H,low=L,close=C,volume=Qty', symbol: 'XYZ' });
    expect(r.doc).toMatchObject({ read: 150, inserted: 150, skipped: 0 });
  });

  it('datasets lists them', async () => {
    const r = await run(true, 'datasets', []);
    expect((r.doc as { name: string; rowCount: number }[]).map((d) => [d.name, d.rowCount])).toEqual([
      ['eurusd', 400],
      ['generic', 150],
    ]);
    expect((await run(false, 'datasets', [])).human).toMatch(/^name\tsymbol\ttimeframe\trows\tfirst\tlast\tfreshness\tnext expected\neurusd\tEURUSD\t1h\t400\t.*\tstale\t2020-01-17T17:00:00.000Z\n/);
  });

  it('features prints timestamp + the 16 indicators as CSV, after the warm-up, within --from/--to', async () => {
    const r = await run(false, 'features', ['eurusd'], { format: 'csv' });
    const lines = r.human!.split('\n');
    expect(lines[0]).toBe(['timestamp', ...FEATURE_NAMES].join(','));
    expect(lines).toHaveLength(1 + 400 - WARMUP_BARS);
    const expected = featureRow(computeFeatures(candles), 250);
    const row250 = lines.find((l) => l.startsWith(new Date(candles[250].ts).toISOString()))!.split(',');
    expected.forEach((v, i) => expect(Number(row250[i + 1])).toBe(v));
    const ranged = await run(false, 'features', ['eurusd'], { from: new Date(candles[300].ts).toISOString(), to: new Date(candles[309].ts).toISOString() });
    expect(ranged.human!.split('\n')).toHaveLength(11);
  });

  it('features --labels --format json adds the label (null for the last h bars) and the class balance', async () => {
    const r = await run(false, 'features', ['eurusd'], { labels: true, horizon: '5', threshold: '0.1%', format: 'json' });
    const doc = JSON.parse(r.human!) as { rows: Record<string, unknown>[]; labelRule: unknown; classBalance: { total: number } };
    expect(doc.labelRule).toEqual({ kind: 'pct', horizon: 5, threshold: 0.001 });
    expect(doc.rows).toHaveLength(400 - WARMUP_BARS);
    expect(Object.keys(doc.rows[0])).toEqual(['timestamp', ...FEATURE_NAMES, 'label']);
    expect(doc.rows.slice(-5).map((x) => x.label)).toEqual([null, null, null, null, null]);
    expect(['SELL', 'HOLD', 'BUY']).toContain(doc.rows[0].label);
    const c0 = candles[WARMUP_BARS].close;
    const c5 = candles[WARMUP_BARS + 5].close;
    expect(doc.rows[0].label).toBe(c5 / c0 - 1 > 0.001 ? 'BUY' : c5 / c0 - 1 < -0.001 ? 'SELL' : 'HOLD');
    expect(doc.classBalance.total).toBe(400 - WARMUP_BARS - 5);
  });

  it('features names a missing dataset and a bad date', async () => {
    await expect(run(true, 'features', ['nope'])).rejects.toThrow(/^dataset 'nope' not found/);
    await expect(run(true, 'features', ['eurusd'], { from: 'last tuesday' })).rejects.toThrow(/^from: not a date: 'last tuesday'/);
  });

  it('append adds JSON bars (or CSV) to an existing dataset, reports existing and conflicts, and never creates one', async () => {
    const base = randomWalkCandles(60, { seed: 5, price: 1.2 });
    await run(true, 'import', [path.join(dir, 'base.csv')].map((p) => (fs.writeFileSync(p, toCsv(base.slice(0, 40), 'mt-comma')), p)), { dataset: 'cli-append' });
    const bars = base.slice(30, 50).map((c) => ({ ts: c.ts, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
    bars[0] = { ...bars[0], volume: bars[0].volume + 1 }; // stored with another volume: a conflict
    const jsonFile = path.join(dir, 'bars.json');
    fs.writeFileSync(jsonFile, JSON.stringify({ bars }));
    const r = await run(true, 'append', [jsonFile], { dataset: 'cli-append' });
    expect(r.doc).toMatchObject({ dataset: 'cli-append', read: 20, inserted: 10, skipped: 10, existing: 9, conflicts: 1, lastBar: new Date(base[49].ts).toISOString() });
    expect((r.doc as { errors: unknown[] }).errors).toEqual([{ bar: 0, field: 'bars[0]', reason: expect.stringMatching(/^conflicts with the stored bar .*volume: stored/) }]);
    expect((r.doc as { freshness: { status: string } }).freshness.status).toBe('stale');
    const human = await run(false, 'append', [jsonFile], { dataset: 'cli-append' });
    expect(human.human).toMatch(/^appended to dataset 'cli-append' \(BASE, 1h, json\)\nrows read 20, inserted 0, skipped 20 \(19 already stored\) \(1 conflicting: stored bars kept\)/);
    expect(human.human).toMatch(/\nbars\[0\]: conflicts with the stored bar/);
    expect(human.human).toMatch(/\nfreshness: stale; next bar expected by 2020-01-03T03:00:00.000Z \(late by \d[\d,]* d\)$/);
    const csvFile = path.join(dir, 'more.csv');
    fs.writeFileSync(csvFile, toCsv(base.slice(50, 60), 'mt-comma'));
    expect((await run(true, 'append', [csvFile], { dataset: 'cli-append' })).doc).toMatchObject({ inserted: 10, existing: 0 });
    await expect(run(true, 'append', [jsonFile], { dataset: 'cli-typo' })).rejects.toThrow(/^dataset 'cli-typo' not found: appending adds bars to an existing dataset; import it first/);
    await expect(run(true, 'append', [jsonFile], {})).rejects.toThrow(/--dataset <name> is required/);
  });
});

describe('datasetChart (the Data page)', () => {
  it('returns the last bars thinned to maxPoints, features null during warm-up, and the label balance', async () => {
    const { datasetChart } = await import('./chart');
    const all = await datasetChart(t.db, { dataset: 'eurusd', bars: 1000, maxPoints: 100 });
    expect(all.totalBars).toBe(400);
    expect(all.windowBars).toBe(400);
    expect(all.points).toHaveLength(100);
    expect(all.points.at(-1)!.t).toBe(candles[399].ts);
    expect(all.points[0].rsi_value).toBeNull();
    expect(all.points.at(-1)!.ema_21).toBeCloseTo(featureRow(computeFeatures(candles), 399)[3], 12);
    expect(all.classBalance.total).toBe(400 - WARMUP_BARS - all.labelRule.horizon);
    const last = await datasetChart(t.db, { dataset: 'eurusd', bars: 20 });
    expect(last.points.map((p) => p.t)).toEqual(candles.slice(380).map((c) => c.ts));
  });
});
