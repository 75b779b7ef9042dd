import fs from 'node:fs';
import path from 'node:path';
import { optString, type OptionValues } from '../cli/options';
import type { CliCommand } from '../cli/types';
import { CliError } from '../cli/types';
import { datasetFeatures } from './feature-table';
import { appendCandles, MAX_APPEND_JSON_BYTES } from './append';
import { importCandles, type ImportResult } from './import';
import { errorWhere } from './parse/parse-candles';
import { DEFAULT_LABEL_RULE, LabelRuleSchema, type LabelRule } from './labels';
import { FormatOptionSchema, parseMappingSpec } from './parse/formats';
import { listDatasets } from './store';
import { parseOrThrow } from './validate';

type Values = OptionValues;
const str = optString;

const fmtInt = (n: number) => n.toLocaleString('en-US');

/** The report document of `import` and `append` (--json): what the README documents. */
const reportDoc = (r: ImportResult) => ({
  dataset: r.dataset,
  read: r.read,
  inserted: r.inserted,
  skipped: r.skipped,
  existing: r.existing,
  conflicts: r.conflicts,
  first: r.first,
  last: r.last,
  errors: r.errors.map((e) => (e.line !== undefined ? { line: e.line, reason: e.reason } : { bar: e.bar, field: e.field, reason: e.reason })),
});

/** The report in words: what was merged, what was already there, what conflicted, what was bad. */
function reportLines(r: ImportResult, verb: string): string[] {
  const bad = r.errorCount - r.conflicts;
  return [
    `${r.created ? 'created' : verb} dataset '${r.dataset}' (${r.symbol}, ${r.timeframe}, ${r.format})`,
    `rows read ${fmtInt(r.read)}, inserted ${fmtInt(r.inserted)}, skipped ${fmtInt(r.skipped)}` +
      (r.existing ? ` (${fmtInt(r.existing)} already stored)` : '') +
      (r.conflicts ? ` (${fmtInt(r.conflicts)} conflicting: stored bars kept)` : '') +
      (bad ? ` (${fmtInt(bad)} bad rows)` : ''),
    `range ${r.first ?? '-'} → ${r.last ?? '-'}; dataset now ${fmtInt(r.rowCount)} bars, last ${r.lastBar ?? '-'}`,
    ...r.notes.map((n) => `note: ${n}`),
    ...r.errors.slice(0, 20).map((e) => `${errorWhere(e)}: ${e.reason}`),
    ...(r.errorCount > 20 ? [`… and ${fmtInt(r.errorCount - 20)} more problems (see --json)`] : []),
  ];
}

const importCommand: CliCommand = {
  summary: 'Import a candle CSV (MetaTrader, CryptoDataDownload, Yahoo, or generic with --map) into a dataset',
  usage:
    'import <file> --dataset <name> [--symbol S] [--timeframe 1h] [--format auto|metatrader|cryptodatadownload|yahoo|generic] [--map ts=Date,open=O,...] [--strict]',
  options: {
    dataset: { type: 'string', short: 'd', description: 'dataset name (created on first import; later imports merge)' },
    symbol: { type: 'string', description: 'symbol, e.g. EURUSD (default: from the file or its name)' },
    timeframe: { type: 'string', description: 'bar size, e.g. 15m, 1h, 1d (default: inferred from the timestamps)' },
    format: { type: 'string', description: 'auto (default), metatrader, cryptodatadownload, yahoo or generic' },
    map: { type: 'string', description: 'column mapping for generic files: ts=<col>[,time=<col>],open=<col>,high=<col>,low=<col>,close=<col>[,volume=<col>]' },
    strict: { type: 'boolean', description: 'reject the whole file when any row is bad (default: skip bad rows and report them)' },
  },
  async run(ctx, { positionals, values }) {
    const file = positionals[0];
    if (!file) throw new CliError('import: missing <file> (usage: import <file> --dataset <name>)', 2);
    const dataset = str(values, 'dataset');
    if (!dataset) throw new CliError('import: --dataset <name> is required', 2);
    const map = str(values, 'map');
    const format = parseOrThrow(FormatOptionSchema, str(values, 'format') ?? (map ? 'generic' : 'auto'), 'format');
    const bar = ctx.progress(`importing ${file}`);
    let result;
    try {
      result = await importCandles(ctx.db, {
        source: file,
        dataset,
        symbol: str(values, 'symbol'),
        timeframe: str(values, 'timeframe'),
        format,
        mapping: map ? parseMappingSpec(map) : undefined,
        strict: values.strict === true,
        actor: ctx.actor,
        onProgress: ({ bytes, totalBytes }) => bar.update(bytes, totalBytes ?? bytes),
      });
    } finally {
      bar.done();
    }
    ctx.result(reportDoc(result), reportLines(result, 'merged into').join('\n'));
  },
};

/** `45 min`, `5 h`, `12 d`. */
const delay = (ms: number) => (ms < 3_600_000 ? `${Math.max(1, Math.round(ms / 60_000))} min` : ms < 86_400_000 ? `${Math.round(ms / 3_600_000)} h` : `${fmtInt(Math.round(ms / 86_400_000))} d`);

/** A file that holds JSON bars: a `.json` name, or text that starts with `[` or `{`. */
function looksLikeJson(file: string, head: string): boolean {
  return path.extname(file).toLowerCase() === '.json' || /^\s*[[{]/.test(head);
}

const appendCommand: CliCommand = {
  summary: 'Append closed bars (a JSON file of bars, or a CSV) to an existing dataset; never creates one',
  usage: 'append <file.json|file.csv|-> --dataset <name> [--symbol S] [--strict] [--format auto] [--map ts=…,open=…]',
  options: {
    dataset: { type: 'string', short: 'd', description: 'an existing dataset (import creates one; append refuses a name that does not exist)' },
    symbol: { type: 'string', description: "must be the dataset's symbol (a guard against the wrong market)" },
    strict: { type: 'boolean', description: 'reject everything when any bar is bad or conflicts with a stored bar' },
    format: { type: 'string', description: 'CSV only: auto (default), metatrader, cryptodatadownload, yahoo or generic' },
    map: { type: 'string', description: 'CSV only: column mapping, as for import' },
  },
  async run(ctx, { positionals, values }) {
    const file = positionals[0];
    if (!file) throw new CliError('append: missing <file> (usage: append <file.json|file.csv|-> --dataset <name>; - reads stdin)', 2);
    const dataset = str(values, 'dataset');
    if (!dataset) throw new CliError('append: --dataset <name> is required', 2);
    let bytes: Buffer;
    try {
      bytes = file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
    } catch {
      throw new CliError(`append: cannot read '${file}'`, 2);
    }
    const common = { dataset, symbol: str(values, 'symbol'), strict: values.strict === true };
    let result;
    if (looksLikeJson(file, bytes.subarray(0, 64).toString('utf8'))) {
      if (bytes.length > MAX_APPEND_JSON_BYTES) throw new CliError(`append: ${file} is ${bytes.length} bytes; JSON appends take at most ${MAX_APPEND_JSON_BYTES} (use a CSV file)`, 2);
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new CliError(`append: ${file} is not valid JSON: ${(e as Error).message}`, 2);
      }
      const bars = Array.isArray(body) ? body : body && typeof body === 'object' ? (body as { bars?: unknown }).bars : undefined;
      if (!Array.isArray(bars)) throw new CliError(`append: ${file} must hold an array of bars or { "bars": [...] }`, 2);
      result = await appendCandles(ctx.db, { ...common, bars }, ctx.actor);
    } else {
      const map = str(values, 'map');
      result = await appendCandles(
        ctx.db,
        {
          ...common,
          csv: bytes,
          format: parseOrThrow(FormatOptionSchema, str(values, 'format') ?? (map ? 'generic' : 'auto'), 'format'),
          mapping: map ? parseMappingSpec(map) : undefined,
          fileName: file === '-' ? undefined : path.basename(file),
        },
        ctx.actor,
      );
    }
    const f = result.freshness;
    const fresh = f ? [`freshness: ${f.status}; next bar expected by ${f.expectedNext}${f.lateBy ? ` (late by ${delay(f.lateBy)})` : ''}`] : [];
    ctx.result({ ...reportDoc(result), lastBar: result.lastBar, freshness: result.freshness }, [...reportLines(result, 'appended to'), ...fresh].join('\n'));
  },
};

const datasetsCommand: CliCommand = {
  summary: 'List datasets (rows, range, symbol, timeframe, freshness)',
  usage: 'datasets [--json]',
  async run(ctx) {
    const list = await listDatasets(ctx.db);
    const human = list.length
      ? [
          ['name', 'symbol', 'timeframe', 'rows', 'first', 'last', 'freshness', 'next expected'].join('\t'),
          ...list.map((d) =>
            [d.name, d.symbol, d.timeframe, fmtInt(d.rowCount), d.firstTs ?? '-', d.lastTs ?? '-', d.freshness?.status ?? '-', d.freshness?.expectedNext ?? '-'].join('\t'),
          ),
        ].join('\n')
      : 'no datasets yet: import one with `import <file> --dataset <name>`';
    ctx.result(list, human);
  },
};

function labelRuleFrom(values: Values): LabelRule {
  const horizon = str(values, 'horizon');
  const k = str(values, 'k');
  const threshold = str(values, 'threshold');
  if (k !== undefined && threshold !== undefined) throw new CliError('features: give --k (ATR multiple) or --threshold (fixed), not both', 2);
  const h = horizon !== undefined ? Number(horizon) : DEFAULT_LABEL_RULE.horizon;
  if (threshold !== undefined) {
    const pct = threshold.trim().endsWith('%');
    const t = Number(threshold.replace('%', '')) / (pct ? 100 : 1);
    return parseOrThrow(LabelRuleSchema, { kind: 'pct', horizon: h, threshold: t }, 'label');
  }
  return parseOrThrow(LabelRuleSchema, { kind: 'atr', horizon: h, k: k !== undefined ? Number(k) : DEFAULT_LABEL_RULE.kind === 'atr' ? DEFAULT_LABEL_RULE.k : 1 }, 'label');
}

const csvCell = (v: number | string | null | undefined) => (v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : v);

const featuresCommand: CliCommand = {
  summary: 'Print the 16 indicator features (and labels) of a dataset',
  usage: 'features <dataset> [--from D] [--to D] [--labels [--horizon 12] [--k 1 | --threshold 0.2%]] [--format csv|json]',
  options: {
    from: { type: 'string', description: 'first bar (YYYY-MM-DD or ISO), inclusive' },
    to: { type: 'string', description: 'last bar (YYYY-MM-DD or ISO), inclusive' },
    labels: { type: 'boolean', description: 'add the BUY/HOLD/SELL label column' },
    horizon: { type: 'string', description: 'label horizon in bars (default 12)' },
    k: { type: 'string', description: 'label threshold as a multiple of ATR/close (default 1)' },
    threshold: { type: 'string', description: 'fixed label threshold instead of k × ATR, e.g. 0.2% or 0.002' },
    format: { type: 'string', description: 'csv (default) or json' },
  },
  async run(ctx, { positionals, values }) {
    const dataset = positionals[0];
    if (!dataset) throw new CliError('features: missing <dataset> (usage: features <dataset> --format csv|json)', 2);
    const format = str(values, 'format') ?? (ctx.json ? 'json' : 'csv');
    if (format !== 'csv' && format !== 'json') throw new CliError(`format: must be csv or json, got '${format}'`, 2);
    const labels = values.labels === true ? labelRuleFrom(values) : undefined;
    const t = await datasetFeatures(ctx.db, { dataset, from: str(values, 'from'), to: str(values, 'to'), labels });
    const rows = t.rows.map((r) => {
      const o: Record<string, number | string | null> = { timestamp: r.ts };
      t.featureNames.forEach((n, i) => (o[n] = r.values[i]));
      if (labels) o.label = r.label ?? null;
      return o;
    });
    const doc = { dataset: t.dataset, featureNames: t.featureNames, labelRule: t.labelRule, classBalance: t.classBalance, rows };
    if (format === 'json' || ctx.json) {
      ctx.result(doc, JSON.stringify(doc, null, 2));
      return;
    }
    const header = ['timestamp', ...t.featureNames, ...(labels ? ['label'] : [])];
    const out = [header.join(',')];
    for (const r of t.rows) out.push([r.ts, ...r.values.map(csvCell), ...(labels ? [csvCell(r.label)] : [])].join(','));
    ctx.result(doc, out.join('\n'));
  },
};

export const marketCommands: Record<string, CliCommand> = {
  import: importCommand,
  append: appendCommand,
  datasets: datasetsCommand,
  features: featuresCommand,
};
