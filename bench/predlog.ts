/**
 * `npm run bench -- predlog [--rows 200000] [--step-seconds 8] [--quick]`: the prediction log, measured in one run on
 * a scratch database (DATABASE_URL's server → a temporary database, dropped afterwards; else an embedded PostgreSQL).
 *
 *  1. Bytes per logged prediction: `--rows` realistic entries (3 models × 2 versions, 12 symbols, 16 indicators, bar
 *     time on 80 %, an imputed field on 10 %, 22-character input hashes) written with the real PredictionLogWriter
 *     (default options: buffer 20,000, flush every 250 ms, 2,000 rows per insert), then VACUUM ANALYZE;
 *     pg_total_relation_size / rows, split into heap, TOAST and each index. The same write, back to back (fill the
 *     buffer, flush, repeat), gives the writer's insert capacity (rows/s).
 *  2. The sustained rate the writer keeps up with: a fresh writer (default options) is offered a steady rate
 *     (entries pushed every 5 ms, on this thread, as the serve process does) for `--step-seconds` per step, at
 *     increasing rates; per step: written, dropped (overflow), the backlog left at the end. Sustained = the highest
 *     offered rate with no drops and under half a second of input unwritten when the step ends; first drop = the
 *     lowest offered rate that dropped.
 *  3. The retention job's delete rate: prunePredictionLog (default 10,000 rows per statement, 50 ms pauses) deleting
 *     every row written so far, while a writer is offered 5,000 rows/s of new entries (kept): deleted rows/s
 *     (wall, pauses included, and in statements only), and what the concurrent writer wrote and dropped.
 * Last line: one JSON object with every figure.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import pino from 'pino';
import { openDb, type Db } from '../server/db/client';
import { scratchDatabase } from '../server/db/scratch';
import { PredictionLogWriter, type PredictionLogEntry } from '../server/serving/prediction-log';
import { prunePredictionLog, PRUNE_BATCH_SQL, PRUNE_BATCH_SIZE, PRUNE_PAUSE_MS } from '../server/monitoring/retention';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const r1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = pino({ level: 'silent' });

const MODELS = ['eurusd-lstm', 'btc-gru', 'spx-mlp'];
const VERSION_IDS = MODELS.map(() => [crypto.randomUUID(), crypto.randomUUID()]);
const SYMBOLS = ['EURUSD', 'GBPUSD', 'USDJPY', 'AUDUSD', 'USDCHF', 'USDCAD', 'BTCUSDT', 'ETHUSDT', 'SPX', 'NDX', 'XAUUSD', 'EURJPY'];
// Indicator magnitudes of a EURUSD hour bar, in FEATURE_NAMES order (adx, rsi, ema 12/21/50, vwap, atr, bollinger u/l,
// stoch k/d, macd line/signal, …): real[] stores 4 bytes each whatever the value, the variation only avoids constants.
const BASE = [24.1, 51.3, 1.0842, 1.0839, 1.0831, 1.0840, 0.0012, 1.0871, 1.0809, 62.5, 58.1, 0.00031, 0.00022, 0.00009, 1.0844, 1520];

/** A pool of realistic entries; `at` is set at push time. */
function makeEntries(n: number): PredictionLogEntry[] {
  const out: PredictionLogEntry[] = [];
  for (let i = 0; i < n; i++) {
    const m = i % MODELS.length;
    const p = [Math.random(), Math.random(), Math.random()];
    const s = p[0] + p[1] + p[2];
    const probs = p.map((x) => x / s) as [number, number, number];
    const best = probs.indexOf(Math.max(...probs));
    out.push({
      at: 0,
      modelName: MODELS[m],
      versionId: VERSION_IDS[m][i % 7 === 0 ? 1 : 0],
      version: i % 7 === 0 ? 2 : 1,
      symbol: SYMBOLS[i % SYMBOLS.length],
      barTime: i % 5 === 0 ? null : Date.UTC(2026, 10, 1) + (i % 5000) * 3_600_000,
      inputHash: crypto.randomBytes(17).toString('base64url').slice(0, 22),
      direction: ['SELL', 'HOLD', 'BUY'][best],
      confidence: Math.round(probs[best] * 10000) / 100,
      probabilities: probs,
      latencyMs: Math.round((1 + Math.random() * 14) * 1000) / 1000,
      cacheHit: i % 10 < 3,
      imputed: i % 10 === 0 ? ['rsi_value'] : [],
      stepsReal: i % 10 === 0 ? 29 : 30,
      features: BASE.map((b) => b * (1 + (Math.random() - 0.5) * 0.02)),
    });
  }
  return out;
}

async function sizes(db: Db) {
  const q = async (sql: string) => Number((await db.$client.query(sql)).rows[0].v);
  const indexes = (await db.$client.query(`select indexrelid::regclass::text as name, pg_relation_size(indexrelid) as bytes from pg_index where indrelid = 'prediction_log'::regclass order by 1`)).rows.map(
    (r) => ({ name: String(r.name), bytes: Number(r.bytes) }),
  );
  return {
    rows: await q(`select count(*)::bigint as v from prediction_log`),
    total: await q(`select pg_total_relation_size('prediction_log') as v`),
    heap: await q(`select pg_relation_size('prediction_log') as v`),
    toast: await q(`select coalesce(pg_total_relation_size(reltoastrelid), 0) as v from pg_class where oid = 'prediction_log'::regclass`),
    indexes,
  };
}

/** Offers `rate` entries/s to a fresh writer for `seconds`; returns what it wrote, dropped and left pending. */
async function offer(db: Db, pool: PredictionLogEntry[], rate: number, seconds: number) {
  const w = new PredictionLogWriter(db, silent, 'bench');
  let pushed = 0;
  let maxPending = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const el = (performance.now() - t0) / 1000;
      const due = Math.floor(Math.min(el, seconds) * rate);
      const now = Date.now();
      for (; pushed < due; pushed++) w.push({ ...pool[pushed % pool.length], at: now });
      if (w.pending > maxPending) maxPending = w.pending;
      if (el >= seconds) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const elapsed = (performance.now() - t0) / 1000;
  const writtenInStep = w.stats.written;
  const pendingAtEnd = w.pending;
  await w.stop();
  return {
    offered_rows_per_s: rate,
    seconds: r1(elapsed),
    pushed,
    written_in_step: writtenInStep,
    written_rows_per_s: Math.round(writtenInStep / elapsed),
    dropped: w.stats.overflow + w.stats.failedWrites,
    pending_at_end: pendingAtEnd,
    max_pending: maxPending,
  };
}

export async function main(args: string[]): Promise<void> {
  const arg = (name: string, def: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && Number.isFinite(Number(args[i + 1])) ? Number(args[i + 1]) : def;
  };
  const quick = args.includes('--quick');
  const nRows = arg('rows', quick ? 50_000 : 200_000);
  const stepSeconds = arg('step-seconds', quick ? 4 : 8);
  const load0 = os.loadavg();
  const database = await scratchDatabase('so_bench_predlog');
  const log = (s: string) => console.log(s);
  log(`database: ${database.kind}; machine: ${os.cpus().length} cores, load ${load0.map((v) => v.toFixed(2)).join(' ')}`);
  const h = openDb(database.url, { max: 4, applicationName: 'signalops-bench' });
  const db = h.db;
  try {
    const pool = makeEntries(5000);

    // 1. bytes per row, and the writer's insert capacity (back to back)
    const w = new PredictionLogWriter(db, silent, 'bench');
    const t0 = performance.now();
    for (let done = 0; done < nRows; ) {
      const n = Math.min(20_000, nRows - done);
      const now = Date.now();
      for (let i = 0; i < n; i++) w.push({ ...pool[(done + i) % pool.length], at: now });
      done += n;
      await w.flush();
    }
    await w.stop();
    const capacitySeconds = (performance.now() - t0) / 1000;
    const capacity = w.stats.written / capacitySeconds;
    if (w.stats.written !== nRows) throw new Error(`wrote ${w.stats.written} of ${nRows} rows (overflow ${w.stats.overflow}, failed ${w.stats.failedWrites})`);
    await db.$client.query('vacuum analyze prediction_log');
    const sz = await sizes(db);
    const per = (b: number) => r1(b / sz.rows);
    log(`rows:              ${fmt(sz.rows)} written by PredictionLogWriter (default options) in ${capacitySeconds.toFixed(2)} s → capacity ${fmt(capacity)} rows/s back to back`);
    log(`bytes per row:     ${per(sz.total)} total = heap ${per(sz.heap)} + toast ${per(sz.toast)} + indexes ${sz.indexes.map((i) => `${i.name} ${per(i.bytes)}`).join(', ')}`);
    const perDay7000 = (sz.total / sz.rows) * 7000 * 86_400;
    log(`at 7,000 predictions/s: ${fmt(7000 * 86_400)} rows/day ≈ ${(perDay7000 / 1e9).toFixed(1)} GB/day, ${((perDay7000 * 30) / 1e12).toFixed(2)} TB for 30 days`);

    // 2. offered rates until the writer drops
    const rates = quick ? [5000, 20_000, 40_000, 80_000] : [2500, 5000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 60_000, 80_000];
    const steps: Awaited<ReturnType<typeof offer>>[] = [];
    let dropSteps = 0;
    for (const rate of rates) {
      const s = await offer(db, pool, rate, stepSeconds);
      steps.push(s);
      log(
        `offered ${fmt(rate).padStart(7)} rows/s for ${s.seconds} s: written ${fmt(s.written_rows_per_s).padStart(7)} rows/s, dropped ${fmt(s.dropped).padStart(7)}, backlog at end ${fmt(s.pending_at_end)} (max ${fmt(s.max_pending)})`,
      );
      if (s.dropped > 0 && ++dropSteps >= 2) break;
      await sleep(500);
    }
    // Kept up: nothing dropped and, when the step ended, less than half a second of input still to write.
    const keptUp = steps.filter((s) => s.dropped === 0 && s.pushed - s.written_in_step <= 0.5 * s.offered_rows_per_s);
    const sustained = keptUp.length ? Math.max(...keptUp.map((s) => s.offered_rows_per_s)) : 0;
    const firstDrop = steps.find((s) => s.dropped > 0)?.offered_rows_per_s ?? null;
    const maxWritten = Math.max(...steps.map((s) => s.written_rows_per_s));
    log(`sustained:         ${fmt(sustained)} rows/s offered with no drops and < 0.5 s behind (highest written rate in a step: ${fmt(maxWritten)} rows/s); drops start at ${firstDrop === null ? `> ${fmt(rates[rates.length - 1])}` : fmt(firstDrop)} rows/s offered`);

    // 3. retention delete rate, with serving inserting at the same time
    const before = await sizes(db);
    const horizonNow = Date.now();
    const plan = (await db.$client.query(`explain ${PRUNE_BATCH_SQL}`, [MODELS[0], '-infinity', new Date(horizonNow), PRUNE_BATCH_SIZE])).rows.map((r) => String(r['QUERY PLAN']));
    const planNodes = plan.filter((l) => /Scan|Delete/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*$/, ''));
    log(`delete plan:       ${planNodes.join(' | ')}`);
    const bg = new PredictionLogWriter(db, silent, 'bench');
    let bgPushed = 0;
    const bgRate = 5000;
    const tb = performance.now();
    const feed = setInterval(() => {
      const due = Math.floor(((performance.now() - tb) / 1000) * bgRate);
      const now = Date.now() + 1000; // after the horizon: kept
      for (; bgPushed < due; bgPushed++) bg.push({ ...pool[bgPushed % pool.length], at: now });
    }, 5);
    const pr = await prunePredictionLog(db, { retentionDays: 30, now: new Date(horizonNow + 30 * 86_400_000) });
    clearInterval(feed);
    const bgSeconds = (performance.now() - tb) / 1000;
    await bg.stop();
    const inStatements = pr.seconds - (pr.batches - MODELS.length) * (PRUNE_PAUSE_MS / 1000);
    const left = Number((await db.$client.query(`select count(*)::bigint as n from prediction_log where at < $1`, [new Date(horizonNow)])).rows[0].n);
    log(
      `retention:         deleted ${fmt(pr.deleted)} of ${fmt(before.rows)} rows in ${pr.batches} statements (≤ ${fmt(PRUNE_BATCH_SIZE)} rows, ${PRUNE_PAUSE_MS} ms pauses), ${pr.seconds} s → ${fmt(pr.rowsPerSecond)} rows/s wall, ${fmt(pr.deleted / inStatements)} rows/s in statements; ${left} expired rows left`,
    );
    log(`  meanwhile serving offered ${fmt(bgRate)} rows/s: written ${fmt(bg.stats.written)} of ${fmt(bgPushed)} in ${bgSeconds.toFixed(1)} s, dropped ${bg.stats.overflow + bg.stats.failedWrites}`);
    const dayAt7000 = (7000 * 86_400) / pr.rowsPerSecond;
    log(`  one day at 7,000 predictions/s (${fmt(7000 * 86_400)} rows) would take ${(dayAt7000 / 3600).toFixed(1)} h to delete at this rate`);
    const load1 = os.loadavg();
    log(`load average at the end: ${load1.map((v) => v.toFixed(2)).join(' ')} (2 shared cores; PostgreSQL on the same machine)`);

    console.log(
      JSON.stringify({
        bench: 'predlog',
        quick,
        machine: { cores: os.cpus().length, loadavg_start: load0.map(r1), loadavg_end: load1.map(r1), node: process.version },
        database: database.kind.startsWith('DATABASE_URL') ? 'DATABASE_URL' : 'embedded',
        postgres: String((await db.$client.query('show server_version')).rows[0].server_version),
        size: {
          rows: sz.rows,
          bytes_per_row: per(sz.total),
          heap_bytes_per_row: per(sz.heap),
          toast_bytes_per_row: per(sz.toast),
          index_bytes_per_row: Object.fromEntries(sz.indexes.map((i) => [i.name, per(i.bytes)])),
          total_bytes: sz.total,
          gb_per_day_at_7000_per_s: r1(perDay7000 / 1e9),
        },
        writer: {
          options: { maxBuffer: 20_000, flushMs: 250, batchSize: 2000 },
          capacity_rows_per_s: Math.round(capacity),
          sustained_rows_per_s: sustained,
          sustained_rule: 'highest offered step with 0 dropped and < 0.5 s of input unwritten at its end',
          max_written_rows_per_s: maxWritten,
          first_drop_offered_rows_per_s: firstDrop,
          step_seconds: stepSeconds,
          steps,
        },
        retention: {
          batch_size: PRUNE_BATCH_SIZE,
          pause_ms: PRUNE_PAUSE_MS,
          rows_before: before.rows,
          deleted: pr.deleted,
          statements: pr.batches,
          seconds: pr.seconds,
          rows_per_s: pr.rowsPerSecond,
          rows_per_s_in_statements: Math.round(pr.deleted / inStatements),
          expired_left: left,
          plan: planNodes,
          concurrent_writer: { offered_rows_per_s: bgRate, pushed: bgPushed, written: bg.stats.written, dropped: bg.stats.overflow + bg.stats.failedWrites },
          hours_per_day_of_7000_per_s: r1(dayAt7000 / 3600),
        },
      }),
    );
  } finally {
    await h.close();
    await database.drop();
  }
}
