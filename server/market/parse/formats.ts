import { z } from 'zod';
import { badRequest } from '../../errors';
import { parseDate, parseNumber, parseTimeOfDay, splitLine } from './fields';

/**
 * Candle file formats and header detection. A format is recognised from its header (and, for CryptoDataDownload,
 * the URL line above it); the result is a ColumnPlan that says which field holds what.
 *
 *   metatrader          <DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>  (comma or tab; daily files
 *                       have no <TIME>; the close column is sometimes renamed, e.g. `Adj Close`; volume = <TICKVOL>);
 *                       also the header-less MT4 export `2015.03.09,14:00,o,h,l,c,vol`.
 *   cryptodatadownload  URL line, then unix,date,symbol,open,high,low,close,Volume <COIN>,Volume USDT,tradecount
 *                       (newest first; unix in s/ms/µs; volume = base-coin volume).
 *   yahoo               Date,Open,High,Low,Close[,Adj Close],Volume — also vega-datasets' lowercase
 *                       date,open,high,low,close,adjclose,volume. Close is the plain close, not the adjusted one.
 *   generic             any delimited file with a user mapping (ts=<col>[,time=<col>],open=…,high=…,low=…,close=…[,volume=…]);
 *                       auto-detected too when the header uses plain names (timestamp/open/high/low/close/volume).
 */
export const CANDLE_FORMATS = ['metatrader', 'cryptodatadownload', 'yahoo', 'generic'] as const;
export type CandleFormat = (typeof CANDLE_FORMATS)[number];
export const FormatOptionSchema = z.enum(['auto', ...CANDLE_FORMATS]);
export type FormatOption = z.infer<typeof FormatOptionSchema>;

export const ColumnMappingSchema = z.object({
  ts: z.string().min(1),
  time: z.string().min(1).optional(),
  open: z.string().min(1),
  high: z.string().min(1),
  low: z.string().min(1),
  close: z.string().min(1),
  volume: z.string().min(1).optional(),
});
export type ColumnMapping = z.infer<typeof ColumnMappingSchema>;

/** `ts=Date,open=O,high=H,low=L,close=C,volume=V` → mapping (the CLI's `--map`). */
export function parseMappingSpec(spec: string): ColumnMapping {
  const raw: Record<string, string> = {};
  for (const part of spec.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq < 1) throw badRequest(`map: '${part}' is not key=column (expected e.g. ts=Date,open=Open,high=High,low=Low,close=Close,volume=Volume)`, { field: 'map' });
    raw[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  const unknown = Object.keys(raw).filter((k) => !['ts', 'time', 'open', 'high', 'low', 'close', 'volume'].includes(k));
  if (unknown.length) throw badRequest(`map: unknown key ${unknown.map((k) => `'${k}'`).join(', ')} (keys: ts, time, open, high, low, close, volume)`, { field: `map.${unknown[0]}` });
  const r = ColumnMappingSchema.safeParse(raw);
  if (!r.success) {
    const fields = r.error.issues.map((i) => i.path.join('.'));
    throw badRequest(`map: missing ${fields.join(', ')} (expected ts=…,open=…,high=…,low=…,close=…[,volume=…])`, { field: `map.${fields[0]}` });
  }
  return r.data;
}

export type TsKind = 'date' | 'unix' | 'date-or-unix';

export interface ColumnPlan {
  format: CandleFormat;
  delimiter: string;
  /** Physical line number (1-based) of the header; 0 for a header-less file. */
  headerLine: number;
  /** Column names as written in the file (generated for header-less files). */
  header: string[];
  idx: { ts: number; time: number; open: number; high: number; low: number; close: number; volume: number; symbol: number };
  tsKind: TsKind;
  /** Fields a row needs (highest used index + 1). */
  minFields: number;
  /** The vendor writes newest first (CryptoDataDownload); the parser still checks the data. */
  newestFirst: boolean;
  notes: string[];
}

const normalise = (s: string) =>
  s
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/^<|>$/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, ' ');

function pickDelimiter(line: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', '\t', ';', '|']) {
    const c = line.split(d).length - 1;
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

const isUrlLine = (line: string) => /^\s*https?:\/\/\S+\s*$/i.test(line) || /cryptodatadownload/i.test(line) && !line.includes(',');

function find(names: string[], ...candidates: string[]): number {
  for (const c of candidates) {
    const i = names.indexOf(c);
    if (i >= 0) return i;
  }
  return -1;
}

function plan(
  format: CandleFormat,
  delimiter: string,
  headerLine: number,
  header: string[],
  idx: Partial<ColumnPlan['idx']> & Pick<ColumnPlan['idx'], 'ts' | 'open' | 'high' | 'low' | 'close'>,
  tsKind: TsKind,
  extra: { newestFirst?: boolean; notes?: string[] } = {},
): ColumnPlan {
  const full = { time: -1, volume: -1, symbol: -1, ...idx };
  const notes = [...(extra.notes ?? [])];
  if (full.volume < 0) notes.push('no volume column: volume is 0 on every bar (vwap falls back to the typical-price average, volume_ma is 0)');
  return {
    format,
    delimiter,
    headerLine,
    header,
    idx: full,
    tsKind,
    minFields: Math.max(full.ts, full.time, full.open, full.high, full.low, full.close, full.volume, full.symbol) + 1,
    newestFirst: extra.newestFirst ?? false,
    notes,
  };
}

const MT_HEADERLESS = ['<DATE>', '<TIME>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<TICKVOL>', '<VOL>', '<SPREAD>'];

function tryHeaderlessMetaTrader(line: string, lineNo: number): ColumnPlan | null {
  const delimiter = pickDelimiter(line);
  const f = splitLine(line, delimiter);
  if (f.length < 5 || !/^\d{4}\.\d{2}\.\d{2}$/.test(f[0].trim()) || Number.isNaN(parseDate(f[0]))) return null;
  const hasTime = !Number.isNaN(parseTimeOfDay(f[1])) && f[1].includes(':');
  const off = hasTime ? 1 : 0;
  for (let i = 1 + off; i < Math.min(f.length, 5 + off); i++) if (Number.isNaN(parseNumber(f[i]))) return null;
  const header = f.map((_, i) => (hasTime ? MT_HEADERLESS[i] : MT_HEADERLESS.filter((h) => h !== '<TIME>')[i]) ?? `column ${i + 1}`);
  return plan(
    'metatrader',
    delimiter,
    lineNo - 1,
    header,
    { ts: 0, time: hasTime ? 1 : -1, open: 1 + off, high: 2 + off, low: 3 + off, close: 4 + off, volume: f.length > 5 + off ? 5 + off : -1 },
    'date',
    { notes: ['no header line: read as a MetaTrader export (date, time, open, high, low, close, tick volume)'] },
  );
}

/** The header's column names as a person reads them (for an error a mapping form can offer; at most 200). */
const headerColumns = (header: readonly string[]) => header.slice(0, 200).map((h) => h.trim().replace(/^"|"$/g, ''));

const TS_NAMES = ['date', 'datetime', 'date time', 'timestamp', 'time', 'open time', 'opentime', 'unix', 'gmt time', 'local time'];

function mapColumns(header: string[], names: string[], mapping: ColumnMapping, headerLine: number, delimiter: string): ColumnPlan {
  const resolve = (key: keyof ColumnMapping): number => {
    const want = mapping[key];
    if (want === undefined) return -1;
    let i = header.findIndex((h) => h.trim() === want);
    if (i < 0) i = names.indexOf(normalise(want));
    if (i < 0 && /^#?\d+$/.test(want)) i = Number(want.replace('#', '')) - 1; // 1-based column number
    if (i < 0 || i >= header.length) {
      throw badRequest(`map: column '${want}' (for ${key}) is not in the header (${header.map((h) => h.trim()).join(', ')})`, {
        field: key,
        reason: 'mapping-column-not-found',
        header: headerColumns(header),
      });
    }
    return i;
  };
  return plan(
    'generic',
    delimiter,
    headerLine,
    header,
    { ts: resolve('ts'), time: resolve('time'), open: resolve('open'), high: resolve('high'), low: resolve('low'), close: resolve('close'), volume: resolve('volume') },
    'date-or-unix',
  );
}

const FORMAT_HINT =
  'expected a MetaTrader export (<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,…), a CryptoDataDownload file (URL line, then unix,date,symbol,open,…), ' +
  'a Yahoo Finance file (Date,Open,High,Low,Close[,Adj Close],Volume), or pass --format generic --map ts=<col>,open=<col>,high=<col>,low=<col>,close=<col>[,volume=<col>]';

/**
 * Reads the plan from the first lines of a file. `lines[i]` is physical line `i + 1`. Returns the plan; the data
 * starts at line `headerLine + 1`. Throws a one-line DomainError when nothing fits.
 */
export function detectFormat(lines: readonly string[], opts: { format?: FormatOption; mapping?: ColumnMapping } = {}): ColumnPlan {
  const format = opts.format ?? 'auto';
  let i = 0;
  while (i < lines.length && !lines[i].trim()) i++;
  if (i >= lines.length) throw badRequest('file: the file is empty (no lines with content)', { reason: 'empty' });
  let urlLine = false;
  if (isUrlLine(lines[i])) {
    urlLine = true;
    i++;
    while (i < lines.length && !lines[i].trim()) i++;
    if (i >= lines.length) throw badRequest('file: only a URL line, no header and no data', { reason: 'empty' });
  }
  const line = lines[i];
  const headerLine = i + 1;

  if (!opts.mapping && (format === 'auto' || format === 'metatrader')) {
    const headerless = tryHeaderlessMetaTrader(line, headerLine);
    if (headerless) return headerless;
  }

  const delimiter = pickDelimiter(line);
  const header = splitLine(line, delimiter);
  const names = header.map(normalise);
  if (opts.mapping) return mapColumns(header, names, opts.mapping, headerLine, delimiter);
  if (format === 'generic') throw badRequest('map: --format generic needs a column mapping (--map ts=<col>,open=<col>,high=<col>,low=<col>,close=<col>[,volume=<col>])');

  const bracketed = header.some((h) => /^\s*<[^>]+>\s*$/.test(h));
  const open = find(names, 'open', 'o');
  const high = find(names, 'high', 'h');
  const low = find(names, 'low', 'l');
  const missing = (cols: Record<string, number>) => Object.entries(cols).filter(([, v]) => v < 0).map(([k]) => k);

  // MetaTrader
  if (format === 'metatrader' || (format === 'auto' && bracketed && names.includes('date'))) {
    const date = find(names, 'date');
    const close = find(names, 'close', 'adj close', 'adjclose', 'last');
    const m = missing({ '<DATE>': date, '<OPEN>': open, '<HIGH>': high, '<LOW>': low, '<CLOSE>': close });
    if (m.length)
      throw badRequest(`file: header does not look like a MetaTrader export: no ${m.join(', ')} column (header: ${header.join(delimiter === '\t' ? ' ' : delimiter)})`, {
        reason: 'missing-columns',
        missing: m,
        header: headerColumns(header),
      });
    const notes: string[] = [];
    if (names[close] !== 'close') notes.push(`close read from the '${header[close].trim()}' column`);
    return plan('metatrader', delimiter, headerLine, header, {
      ts: date,
      time: find(names, 'time'),
      open,
      high,
      low,
      close,
      volume: find(names, 'tickvol', 'tick volume', 'vol', 'volume', 'real volume'),
    }, 'date', { notes });
  }

  // CryptoDataDownload
  const unix = find(names, 'unix', 'unix timestamp');
  if (format === 'cryptodatadownload' || (format === 'auto' && unix >= 0 && names.includes('symbol'))) {
    const close = find(names, 'close');
    const ts = unix >= 0 ? unix : find(names, 'date');
    const m = missing({ unix: ts, open, high, low, close });
    if (m.length)
      throw badRequest(`file: header does not look like a CryptoDataDownload file: no ${m.join(', ')} column (header: ${header.join(',')})`, {
        reason: 'missing-columns',
        missing: m,
        header: headerColumns(header),
      });
    const quote = new Set(['usdt', 'usd', 'busd', 'usdc', 'tusd', 'fdusd', 'eur']);
    let volume = names.findIndex((n) => n.startsWith('volume ') && !quote.has(n.slice(7)));
    if (volume < 0) volume = find(names, 'volume');
    return plan('cryptodatadownload', delimiter, headerLine, header, { ts, open, high, low, close, volume, symbol: find(names, 'symbol') }, unix >= 0 ? 'unix' : 'date-or-unix', {
      newestFirst: true,
      notes: volume >= 0 ? [`volume read from the '${header[volume].trim()}' column`] : [],
    });
  }

  // Yahoo Finance (and vega-datasets' sp500), or a plain OHLCV header
  const ts = find(names, ...TS_NAMES);
  const close = find(names, 'close', 'c', 'adj close', 'adjclose');
  if (format === 'yahoo' || (format === 'auto' && ts >= 0 && open >= 0 && high >= 0 && low >= 0 && close >= 0)) {
    const m = missing({ Date: ts, Open: open, High: high, Low: low, Close: close });
    if (m.length)
      throw badRequest(`file: header does not look like a Yahoo Finance file: no ${m.join(', ')} column (header: ${header.join(',')})`, {
        reason: 'missing-columns',
        missing: m,
        header: headerColumns(header),
      });
    const notes: string[] = [];
    if (names[close] !== 'close' && names[close] !== 'c') notes.push(`close read from the '${header[close].trim()}' column`);
    const time = names[ts] === 'date' ? find(names, 'time') : -1;
    const fmt: CandleFormat = names[ts] === 'date' && time < 0 ? 'yahoo' : 'generic';
    return plan(fmt, delimiter, headerLine, header, { ts, time, open, high, low, close, volume: find(names, 'volume', 'vol', 'v') }, 'date-or-unix', { notes });
  }

  const shown = header.length > 12 ? `${header.slice(0, 12).join(',')},…` : header.join(delimiter === '\t' ? ' ' : ',');
  throw badRequest(
    `file: unrecognised CSV header on line ${headerLine} (${header.length} column${header.length === 1 ? '' : 's'}: ${shown.slice(0, 160)})${urlLine ? ' after a URL line' : ''}; ${FORMAT_HINT}`,
    { reason: 'unrecognised-header', header: headerColumns(header) },
  );
}
