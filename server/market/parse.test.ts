import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { parseDate, parseNumber, parseTimeOfDay, parseUnix, splitLine } from './parse/fields';
import { parseMappingSpec } from './parse/formats';
import { readCandles } from './parse/source';
import { randomWalkCandles, toCsv } from './synthetic';
import type { Candle } from './types';

const H = 3_600_000;
const D = 86_400_000;

/** Feeds text in chunks of `size` bytes (splitting lines, CRLF pairs and multi-byte characters). */
function chunked(text: string, size: number): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

const expectSame = (a: readonly Candle[], b: readonly Candle[]) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toEqual(b[i]);
};

async function parseError(text: string | Buffer, opts = {}): Promise<DomainError> {
  const e = await readCandles(Buffer.isBuffer(text) ? text : Buffer.from(text), opts).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(DomainError);
  return e as DomainError;
}

describe('field parsers', () => {
  it('reads numbers strictly', () => {
    expect(parseNumber('1.08603')).toBe(1.08603);
    expect(parseNumber('1.11401E+11')).toBe(1.11401e11);
    expect(parseNumber(' 42 ')).toBe(42);
    for (const bad of ['', ' ', 'abc', '1,5', '0x10', '1.2.3', 'NaN', 'Infinity']) expect(parseNumber(bad)).toBeNaN();
  });

  it('reads dates and times as UTC and rejects impossible ones', () => {
    expect(parseDate('2015.03.09')).toBe(Date.UTC(2015, 2, 9));
    expect(parseDate('2015-03-09 14:00:00')).toBe(Date.UTC(2015, 2, 9, 14));
    expect(parseDate('2015-03-09T14:00:00Z')).toBe(Date.UTC(2015, 2, 9, 14));
    expect(parseDate('2023-01-03 09:30:00-05:00')).toBe(Date.UTC(2023, 0, 3, 14, 30));
    expect(parseTimeOfDay('14:00')).toBe(14 * H);
    for (const bad of ['2015.02.30', '2015.13.01', '15.03.2015', 'yesterday', '2015-03-09 25:00']) expect(parseDate(bad)).toBeNaN();
    expect(parseTimeOfDay('24:00')).toBeNaN();
  });

  it('tells unix seconds, milliseconds and microseconds apart', () => {
    const ms = Date.UTC(2022, 5, 13);
    expect(parseUnix(String(ms / 1000))).toBe(ms);
    expect(parseUnix(String(ms))).toBe(ms);
    expect(parseUnix(String(ms * 1000))).toBe(ms);
    expect(parseUnix('12ab')).toBeNaN();
  });

  it('splits quoted CSV fields', () => {
    expect(splitLine('a,"b,c",d', ',')).toEqual(['a', 'b,c', 'd']);
    expect(splitLine('"say ""hi""",2', ',')).toEqual(['say "hi"', '2']);
  });

  it('parses a --map spec and names what is missing', () => {
    expect(parseMappingSpec('ts=When,open=O,high=H,low=L,close=C,volume=Qty')).toEqual({ ts: 'When', open: 'O', high: 'H', low: 'L', close: 'C', volume: 'Qty' });
    expect(() => parseMappingSpec('ts=When,open=O')).toThrow(/missing high, low, close/);
    expect(() => parseMappingSpec('ts=When,opn=O')).toThrow(/unknown key 'opn'/);
  });
});

describe('format detection and parsing', () => {
  const hourly = randomWalkCandles(60, { seed: 7, barMs: H, price: 1.1 });
  const daily = randomWalkCandles(40, { seed: 8, barMs: D, start: Date.UTC(2021, 0, 4), price: 150 });

  it.each([
    ['mt-comma', 'metatrader', hourly],
    ['mt5-tab-crlf', 'metatrader', hourly],
    ['mt-daily', 'metatrader', daily],
    ['mt4-headerless', 'metatrader', hourly.map((c) => ({ ...c }))],
    ['cdd', 'cryptodatadownload', hourly],
    ['yahoo', 'yahoo', daily],
    ['vega', 'yahoo', daily],
  ] as const)('%s files are read as %s, ascending, with every row', async (kind, format, candles) => {
    const { candles: got, summary } = await readCandles(chunked(toCsv(candles, kind), 97));
    expect(summary.format).toBe(format);
    expect(summary.read).toBe(candles.length);
    expect(summary.errorCount).toBe(0);
    expect(summary.newestFirst).toBe(kind === 'cdd');
    expect(summary.barMs).toBe(candles[1].ts - candles[0].ts);
    expectSame(got, candles);
  });

  it('reads a web ReadableStream of Uint8Array chunks (a Request body)', async () => {
    const bytes = new TextEncoder().encode(toCsv(hourly, 'mt5-tab-crlf'));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.subarray(i, i + 1000));
        c.close();
      },
    });
    const { candles } = await readCandles(body as unknown as AsyncIterable<Uint8Array>);
    expectSame(candles, hourly);
  });

  it('takes MetaTrader tick volume and a renamed close column, and Yahoo Close rather than Adj Close', async () => {
    const mt = await readCandles(Buffer.from(toCsv(hourly, 'mt-comma')));
    expect(mt.summary.notes.join(' ')).toMatch(/Adj Close/);
    expect(mt.candles[0].volume).toBe(hourly[0].volume); // <TICKVOL>, not <VOL> (1.1E+11)
    const y = await readCandles(Buffer.from(toCsv(daily, 'yahoo')));
    expect(y.candles.map((c) => c.close)).toEqual(daily.map((c) => c.close));
  });

  it('reads the symbol and the base-coin volume from a CryptoDataDownload file', async () => {
    const { summary, candles } = await readCandles(Buffer.from(toCsv(hourly, 'cdd')));
    expect(summary.symbol).toBe('BTC/USDT');
    expect(summary.notes.join(' ')).toMatch(/Volume BTC/);
    expect(candles[5].volume).toBe(hourly[5].volume);
  });

  it('needs a mapping for an unknown header, and uses it', async () => {
    const text = toCsv(hourly, 'generic');
    const e = await parseError(text);
    expect(e.message).toMatch(/unrecognised CSV header on line 1 \(6 columns/);
    expect(e.message).toMatch(/--format generic --map/);
    const { candles, summary } = await readCandles(Buffer.from(text), { mapping: parseMappingSpec('ts=When,open=O,high=H,low=L,close=C,volume=Qty') });
    expect(summary.format).toBe('generic');
    expectSame(candles, hourly);
    const missing = await parseError(text, { mapping: parseMappingSpec('ts=Date,open=O,high=H,low=L,close=C') });
    expect(missing.message).toBe("map: column 'Date' (for ts) is not in the header (When, O, H, L, C, Qty)");
  });

  it('fills volume with 0 and says so when a file has none', async () => {
    const text = 'Date,Open,High,Low,Close\n2021-01-04,10,11,9,10.5\n2021-01-05,10.5,11,10,10.8\n';
    const { candles, summary } = await readCandles(Buffer.from(text));
    expect(candles.map((c) => c.volume)).toEqual([0, 0]);
    expect(summary.notes.join(' ')).toMatch(/no volume column/);
  });
});

describe('bad rows are reported with their line number and reason', () => {
  it('names each problem', async () => {
    const lines = [
      '<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>', // 1
      '2020.01.01,00:00:00,1.10,1.20,1.00,1.15,100,0,1', // 2 ok
      '2020.01.01,01:00:00,1.10,abc,1.00,1.15,100,0,1', // 3 number
      '2020.13.01,02:00:00,1.10,1.20,1.00,1.15,100,0,1', // 4 date
      '2020.01.01,03:00:00,1.10,1.20,1.00', // 5 missing column
      '2020.01.01,04:00:00,1.10,1.12,1.00,1.15,100,0,1', // 6 high < close
      '2020.01.01,05:00:00,1.10,1.20,1.12,1.15,100,0,1', // 7 low > open
      '2020.01.01,06:00:00,0,1.20,1.00,1.15,100,0,1', // 8 non-positive
      '2020.01.01,07:00:00,1.10,1.20,1.00,1.15,100,0,1', // 9 ok
      '2020.01.01,07:00:00,1.10,1.20,1.00,1.15,100,0,1', // 10 duplicate
      '2020.01.01,06:30:00,1.10,1.20,1.00,1.15,100,0,1', // 11 out of order
      '', // 12 blank: ignored
      '2020.01.01,08:00:00,1.10,1.20,1.00,1.15,-5,0,1', // 13 negative volume
      '2020.01.01,09:00:00,1.10,1.20,1.00,1.15,100,0,1', // 14 ok
    ];
    const { candles, summary } = await readCandles(Buffer.from(lines.join('\r\n')));
    expect(candles.map((c) => new Date(c.ts).getUTCHours())).toEqual([0, 7, 9]);
    expect(summary.read).toBe(12);
    expect(summary.errorCount).toBe(9);
    const byLine = Object.fromEntries(summary.errors.map((e) => [e.line, e.reason]));
    expect(byLine[3]).toBe("unparsable number in <HIGH>: 'abc'");
    expect(byLine[4]).toBe("unparsable date in <DATE>: '2020.13.01'");
    expect(byLine[5]).toMatch(/^missing column <CLOSE>: expected 9 fields, found 5/);
    expect(byLine[6]).toBe('high 1.12 < max(open, close) 1.15');
    expect(byLine[7]).toBe('low 1.12 > min(open, close) 1.1');
    expect(byLine[8]).toBe('non-positive price: <OPEN> = 0');
    expect(byLine[10]).toBe('duplicate timestamp 2020-01-01T07:00:00.000Z (same as line 9)');
    expect(byLine[11]).toBe('out-of-order timestamp 2020-01-01T06:30:00.000Z: earlier than 2020-01-01T07:00:00.000Z on line 9');
    expect(byLine[13]).toBe('negative volume: <TICKVOL> = -5');
    expect(summary.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 10, 11, 13]);
  });

  it('checks order in the direction of a newest-first file', async () => {
    const candles = randomWalkCandles(30, { seed: 3 });
    const lines = toCsv(candles, 'cdd').trimEnd().split('\n');
    // Swap two rows (lines 10 and 11): line 11 is now later than line 10 in a newest-first file.
    [lines[9], lines[10]] = [lines[10], lines[9]];
    lines.splice(20, 0, lines[19]); // duplicate of line 20 as line 21
    const { summary, candles: got } = await readCandles(Buffer.from(lines.join('\n')));
    expect(summary.newestFirst).toBe(true);
    expect(summary.errors.map((e) => e.line)).toEqual([11, 21]);
    expect(summary.errors[0].reason).toMatch(/^out-of-order timestamp .* later than .* on line 10 in a newest-first file$/);
    expect(summary.errors[1].reason).toMatch(/^duplicate timestamp .* \(same as line 20\)$/);
    expect(got.every((c, i) => i === 0 || c.ts > got[i - 1].ts)).toBe(true);
  });
});

describe('files that are not candle CSVs get a one-line explanation', () => {
  const oneLine = (e: DomainError) => {
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).not.toContain('\n');
  };

  it('empty', async () => {
    for (const text of ['', '\n\n  \r\n']) {
      const e = await parseError(text);
      oneLine(e);
      expect(e.message).toMatch(/empty/);
    }
  });

  it('binary', async () => {
    const bin = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37) % 256));
    const e = await parseError(bin);
    oneLine(e);
    expect(e.message).toMatch(/binary file/);
  });

  it('ten columns of garbage', async () => {
    const r = () => Math.random().toString(36).slice(2, 8);
    const text = Array.from({ length: 50 }, () => Array.from({ length: 10 }, r).join(',')).join('\n');
    const e = await parseError(text);
    oneLine(e);
    expect(e.message).toMatch(/^file: unrecognised CSV header on line 1 \(10 columns/);
  });

  it('a header without rows, and rows that are all bad', async () => {
    oneLine(await parseError('Date,Open,High,Low,Close,Volume\n'));
    const e = await parseError('Date,Open,High,Low,Close,Volume\nx,1,2,3,4,5\ny,1,2,3,4,5\n');
    oneLine(e);
    expect(e.message).toBe("file: no valid rows: all 2 data rows were rejected (first: line 2: unparsable date in Date: 'x')");
  });

  it('a forced format that does not match', async () => {
    const e = await parseError('Timestamp,Open,High,Low,Close,Volume\n2021-01-04,10,11,9,10.5,100\n', { format: 'metatrader' });
    oneLine(e);
    expect(e.message).toMatch(/^file: header does not look like a MetaTrader export: no <DATE> column/);
  });
});

describe('round trip (property)', () => {
  it('any valid series written in any supported format parses back to the same candles', async () => {
    const kinds = ['mt-comma', 'mt5-tab-crlf', 'cdd', 'yahoo', 'mt4-headerless'] as const;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 80 }), fc.constantFrom(...kinds), fc.integer({ min: 1, max: 300 }), async (seed, n, kind, chunk) => {
        const barMs = kind === 'yahoo' ? D : kind === 'mt4-headerless' ? 60_000 : H;
        const candles = randomWalkCandles(n, { seed, barMs, price: 1 + (seed % 1000) });
        const { candles: got, summary } = await readCandles(chunked(toCsv(candles, kind), chunk));
        expect(summary.errorCount).toBe(0);
        expectSame(got, candles);
      }),
      { numRuns: 40 },
    );
  });
});
