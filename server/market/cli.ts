import { optString, type OptionValues } from '../cli/options';
import type { CliCommand } from '../cli/types';
import { CliError } from '../cli/types';
import { datasetFeatures } from './feature-table';
import { importCandles } from './import';
import { DEFAULT_LABEL_RULE, LabelRuleSchema, type LabelRule } from './labels';
import { FormatOptionSchema, parseMappingSpec } from './parse/formats';
import { listDatasets } from './store';
import { parseOrThrow } from './validate';

type Values = OptionValues;
const str = optString;

const fmtInt = (n: number) => n.toLocaleString('en-US');

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
    const doc = {
      dataset: result.dataset,
      read: result.read,
      inserted: result.inserted,
      skipped: result.skipped,
      first: result.first,
      last: result.last,
      errors: result.errors.map((e) => ({ line: e.line, reason: e.reason })),
    };
    const lines = [
      `${result.created ? 'created' : 'merged into'} dataset '${result.dataset}' (${result.symbol}, ${result.timeframe}, ${result.format})`,
      `rows read ${fmtInt(result.read)}, inserted ${fmtInt(result.inserted)}, skipped ${fmtInt(result.skipped)}` +
        (result.existing ? ` (${fmtInt(result.existing)} already stored)` : '') +
        (result.errorCount ? ` (${fmtInt(result.errorCount)} bad rows)` : ''),
      `range ${result.first ?? '-'} → ${result.last ?? '-'}; dataset now ${fmtInt(result.rowCount)} bars`,
      ...result.notes.map((n) => `note: ${n}`),
      ...result.errors.slice(0, 20).map((e) => `line ${e.line}: ${e.reason}`),
      ...(result.errorCount > 20 ? [`… and ${fmtInt(result.errorCount - 20)} more bad rows (see --json)`] : []),
    ];
    ctx.result(doc, lines.join('\n'));
  },
};

const datasetsCommand: CliCommand = {
  summary: 'List datasets (rows, range, symbol, timeframe)',
  usage: 'datasets [--json]',
  async run(ctx) {
    const list = await listDatasets(ctx.db);
    const human = list.length
      ? [
          ['name', 'symbol', 'timeframe', 'rows', 'first', 'last'].join('\t'),
          ...list.map((d) => [d.name, d.symbol, d.timeframe, fmtInt(d.rowCount), d.firstTs ?? '-', d.lastTs ?? '-'].join('\t')),
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
  datasets: datasetsCommand,
  features: featuresCommand,
};
