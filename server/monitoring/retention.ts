/**
 * Prediction-log retention: rows of `prediction_log` whose `at` is older than the horizon (now − retention days) are
 * deleted in bounded batches. Run daily by the workers (queue `monitoring.prediction-log-retention`, once across
 * workers) and on demand by `npm run cli -- prune-predictions [--dry-run]`.
 *
 * Why here: the serving stage writes the log on its hot path and knows nothing of its lifetime; monitoring (and drift)
 * read it, and monitoring already owns the retention of its roll-ups (compaction.ts). So the policy of how long
 * observations are kept lives in one folder. This module touches only the table, never the writer.
 *
 * How one run goes:
 *  1. the model names in the log, by a loose index scan of `prediction_log_model_at_idx (model_name, at)` (one index
 *     probe per distinct name — PostgreSQL before 18 has no skip scan, and the names are few);
 *  2. per model, statements of at most `batchSize` rows, each its own transaction:
 *     `delete … where ctid = any(array(select ctid … where model_name = $m and at >= $from and at < $horizon order by at
 *     limit $n))` — an index range scan plus a TID scan, so a batch costs its own rows, not the table; `$from` is the
 *     newest `at` the previous batch deleted, so later batches do not walk the dead index entries of earlier ones;
 *     a batch shorter than `batchSize` ends that model;
 *  3. a short pause between statements, so locks (row locks of one statement) are brief and serving's inserts and
 *     autovacuum get the disk and the CPU in between.
 * It is exact at any granularity (`at < horizon`, microseconds), idempotent, and correct without an index on `at`
 * alone (the existing one already makes it a range scan). One run at a time (a session advisory lock): a second
 * concurrent run returns `skipped` instead of deleting the same rows twice over.
 */
import type { Db } from '../db/client';

export const PRUNE_BATCH_SIZE = 10_000;
export const PRUNE_PAUSE_MS = 50;
/** Advisory-lock key of a retention run ("so-plret" in ASCII). */
const PRUNE_LOCK_KEY = '8318833335081760116';

export interface PruneOptions {
  retentionDays: number;
  now?: Date;
  /** Rows per delete statement (default 10,000). */
  batchSize?: number;
  /** Pause between statements (default 50 ms). */
  pauseMs?: number;
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** Stop between statements when aborted (worker shutdown). */
  signal?: AbortSignal;
  /** Stop between statements after this long; the rest is deleted by the next run. */
  maxSeconds?: number;
  /** After each statement (progress; tests count statements). */
  onBatch?: (b: { model: string; deleted: number; deletedSoFar: number }) => void;
}

export interface PruneResult {
  table: 'prediction_log';
  dryRun: boolean;
  retentionDays: number;
  /** Rows with `at` before this instant are past retention. */
  horizon: string;
  /** Dry run: the rows that would be deleted; otherwise 0. */
  expired: number;
  deleted: number;
  /** Delete statements executed. */
  batches: number;
  batchSize: number;
  /** Deleted (dry run: expired) rows per model name; only models with any. */
  byModel: Record<string, number>;
  seconds: number;
  /** deleted / seconds (pauses included). */
  rowsPerSecond: number;
  /** False when stopped early (aborted, time budget) or skipped: expired rows may remain. */
  complete: boolean;
  stoppedBy: 'aborted' | 'time budget' | null;
  /** Set when another run held the lock; nothing was done. */
  skipped: string | null;
}

export function retentionHorizon(retentionDays: number, now = new Date()): Date {
  if (!(retentionDays > 0) || !Number.isFinite(retentionDays)) throw new Error(`retention must be a positive number of days (got ${retentionDays})`);
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

const MODEL_NAMES_SQL = `with recursive m(name) as (
    (select model_name from prediction_log order by model_name limit 1)
    union all
    select (select p.model_name from prediction_log p where p.model_name > m.name order by p.model_name limit 1) from m where m.name is not null
  ) select name from m where name is not null`;

const COUNT_SQL = `select count(*)::bigint as n from prediction_log where model_name = $1 and at < $2`;

/** One bounded delete statement: $1 model, $2 lower bound (inclusive, text), $3 horizon, $4 batch size. */
export const PRUNE_BATCH_SQL = `with d as (
    delete from prediction_log where ctid = any(array(
      select ctid from prediction_log where model_name = $1 and at >= $2::timestamptz and at < $3 order by at limit $4))
    returning at
  ) select count(*)::int as n, max(at)::text as last from d`;

type Query = (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

async function modelNames(q: Query): Promise<string[]> {
  return (await q(MODEL_NAMES_SQL)).rows.map((r) => String(r.name));
}

/** How many rows of the log are past the horizon, per model (an index range count per model). */
export async function countExpiredPredictions(db: Db, opts: { retentionDays: number; now?: Date }): Promise<{ horizon: Date; total: number; byModel: Record<string, number> }> {
  const horizon = retentionHorizon(opts.retentionDays, opts.now);
  const q: Query = (t, p) => db.$client.query(t, p);
  const byModel: Record<string, number> = {};
  let total = 0;
  for (const m of await modelNames(q)) {
    const n = Number((await q(COUNT_SQL, [m, horizon])).rows[0].n);
    if (n) byModel[m] = n;
    total += n;
  }
  return { horizon, total, byModel };
}

/** Deletes prediction-log rows past retention in bounded batches (see the top of this file). */
export async function prunePredictionLog(db: Db, opts: PruneOptions): Promise<PruneResult> {
  const t0 = performance.now();
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? PRUNE_BATCH_SIZE));
  const pauseMs = Math.max(0, opts.pauseMs ?? PRUNE_PAUSE_MS);
  const horizon = retentionHorizon(opts.retentionDays, opts.now);
  const result: PruneResult = {
    table: 'prediction_log',
    dryRun: !!opts.dryRun,
    retentionDays: opts.retentionDays,
    horizon: horizon.toISOString(),
    expired: 0,
    deleted: 0,
    batches: 0,
    batchSize,
    byModel: {},
    seconds: 0,
    rowsPerSecond: 0,
    complete: true,
    stoppedBy: null,
    skipped: null,
  };
  const finish = () => {
    result.seconds = Math.round(performance.now() - t0) / 1000;
    result.rowsPerSecond = result.seconds > 0 ? Math.round(result.deleted / result.seconds) : 0;
    return result;
  };

  if (opts.dryRun) {
    const c = await countExpiredPredictions(db, { retentionDays: opts.retentionDays, now: opts.now });
    result.expired = c.total;
    result.byModel = c.byModel;
    return finish();
  }

  // One session for the whole run: it holds the advisory lock; each statement commits on its own.
  const client = await db.$client.connect();
  const q: Query = (t, p) => client.query(t, p);
  let locked = false;
  let broken: Error | undefined;
  try {
    locked = (await q('select pg_try_advisory_lock($1::bigint) as ok', [PRUNE_LOCK_KEY])).rows[0].ok === true;
    if (!locked) {
      result.complete = false;
      result.skipped = 'another prune-predictions run is in progress';
      return finish();
    }
    const deadline = opts.maxSeconds === undefined ? Infinity : t0 + opts.maxSeconds * 1000;
    const stop = (): PruneResult['stoppedBy'] => (opts.signal?.aborted ? 'aborted' : performance.now() >= deadline ? 'time budget' : null);
    outer: for (const model of await modelNames(q)) {
      let from = '-infinity';
      for (;;) {
        const why = stop();
        if (why) {
          result.stoppedBy = why;
          result.complete = false;
          break outer;
        }
        const r = (await q(PRUNE_BATCH_SQL, [model, from, horizon, batchSize])).rows[0] as { n: number; last: string | null };
        result.batches++;
        if (r.n) {
          result.deleted += r.n;
          result.byModel[model] = (result.byModel[model] ?? 0) + r.n;
          from = r.last!;
        }
        opts.onBatch?.({ model, deleted: r.n, deletedSoFar: result.deleted });
        if (r.n < batchSize) break;
        if (pauseMs) await new Promise((res) => setTimeout(res, pauseMs));
      }
    }
    return finish();
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    // A session that failed is not returned to the pool (closing it also releases the lock).
    if (locked && !broken) await q('select pg_advisory_unlock($1::bigint)', [PRUNE_LOCK_KEY]).catch(() => {});
    client.release(broken);
  }
}
