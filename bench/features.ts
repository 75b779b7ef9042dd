/**
 * `npm run bench -- features [file.csv] [--repeat 3]`: candle parsing, import into Postgres, and the 16 features +
 * labels, measured side by side in one run on one file (default: ../shared/data/market/fx-eurusd-h1/EURUSD_H1.csv).
 * Postgres: DATABASE_URL's server (a temporary database, dropped afterwards) or an embedded one in a temp dir.
 * Targets: import ≥ 20,000 rows/s, features + labels ≥ 100,000 rows/s. Last line: one JSON object with all figures.
 */
import path from 'node:path';
import { openDb } from '../server/db/client';
import { scratchDatabase } from '../server/db/scratch';
import { importCandles } from '../server/market/import';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX } from '../server/market/indicators';
import { computeLabels, DEFAULT_LABEL_RULE } from '../server/market/labels';
import { parseCandles } from '../server/market/parse/parse-candles';
import { openSource, readCandles } from '../server/market/parse/source';
import { buildSamples } from '../server/market/samples';
import { toColumns } from '../server/market/types';

const IMPORT_TARGET = 20_000;
const FEATURES_TARGET = 100_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function withDatabase<T>(fn: (url: string, kind: string) => Promise<T>): Promise<T> {
  const db = await scratchDatabase('so_bench');
  try {
    return await fn(db.url, db.kind.startsWith('DATABASE_URL') ? 'DATABASE_URL' : db.kind);
  } finally {
    await db.drop();
  }
}

export async function main(args: string[]): Promise<void> {
  const repeatAt = args.indexOf('--repeat');
  const repeat = repeatAt >= 0 ? Math.max(1, Number(args[repeatAt + 1]) || 3) : 3;
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--repeat') ?? path.resolve(import.meta.dirname, '..', '../shared/data/market/fx-eurusd-h1/EURUSD_H1.csv');
  console.log(`file: ${file}`);

  // 1. Parse only (streamed, rows discarded).
  const parseTimes: number[] = [];
  let rows = 0;
  for (let r = 0; r < repeat; r++) {
    const src = openSource(file);
    const t0 = performance.now();
    const s = await parseCandles(src.stream, {}, () => {});
    parseTimes.push(performance.now() - t0);
    rows = s.valid;
  }
  const parseRate = rows / (median(parseTimes) / 1000);
  console.log(`parse only:        ${fmt(parseRate)} rows/s (${fmt(rows)} rows, median of ${repeat})`);

  // 2. Features + labels (in memory).
  const { candles } = await readCandles(file);
  const cols = toColumns(candles);
  const featTimes: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    const m = computeFeatures(cols);
    const atr = new Float64Array(cols.n);
    for (let i = 0; i < cols.n; i++) atr[i] = m.values[i * FEATURE_COUNT + FEATURE_INDEX.atr_value];
    computeLabels(cols.close, DEFAULT_LABEL_RULE, atr);
    featTimes.push(performance.now() - t0);
  }
  const featRate = cols.n / (median(featTimes) / 1000);
  console.log(`features + labels: ${fmt(featRate)} rows/s (16 features, ${DEFAULT_LABEL_RULE.horizon}-bar labels; median of ${repeat})`);
  const t1 = performance.now();
  const samples = buildSamples(cols, {});
  const samplesRate = cols.n / ((performance.now() - t1) / 1000);
  console.log(`samples (T=30):    ${fmt(samplesRate)} rows/s (${fmt(samples.train.n + samples.val.n + samples.test.n)} windows, scaler fitted on train)`);

  // 3. Parse + insert into Postgres (one transaction), then the same file again (idempotent: nothing inserted).
  const db = await withDatabase(async (url, kind) => {
    const h = openDb(url, { max: 4, applicationName: 'signalops-bench' });
    try {
      const t0 = performance.now();
      const first = await importCandles(h.db, { source: file, dataset: 'bench', actor: 'bench' });
      const importMs = performance.now() - t0;
      const t2 = performance.now();
      const again = await importCandles(h.db, { source: file, dataset: 'bench', actor: 'bench' });
      const reimportMs = performance.now() - t2;
      return { kind, first, importMs, again, reimportMs };
    } finally {
      await h.close();
    }
  });
  const importRate = db.first.read / (db.importMs / 1000);
  const reimportRate = db.again.read / (db.reimportMs / 1000);
  console.log(`parse + insert:    ${fmt(importRate)} rows/s (${fmt(db.first.inserted)} inserted, ${db.kind} Postgres, one transaction)`);
  console.log(`re-import:         ${fmt(reimportRate)} rows/s (${fmt(db.again.inserted)} inserted, ${fmt(db.again.skipped)} skipped)`);
  console.log(`ratios to targets: import ${(importRate / IMPORT_TARGET).toFixed(2)}× of ${fmt(IMPORT_TARGET)}, features ${(featRate / FEATURES_TARGET).toFixed(2)}× of ${fmt(FEATURES_TARGET)}`);
  console.log(
    JSON.stringify({
      bench: 'features',
      file: path.basename(file),
      rows,
      db: db.kind,
      parse_rows_per_s: Math.round(parseRate),
      import_rows_per_s: Math.round(importRate),
      import_target_rows_per_s: IMPORT_TARGET,
      import_ratio: +(importRate / IMPORT_TARGET).toFixed(3),
      reimport_rows_per_s: Math.round(reimportRate),
      reimport_inserted: db.again.inserted,
      features_rows_per_s: Math.round(featRate),
      features_target_rows_per_s: FEATURES_TARGET,
      features_ratio: +(featRate / FEATURES_TARGET).toFixed(3),
      samples_rows_per_s: Math.round(samplesRate),
      repeat,
    }),
  );
}
