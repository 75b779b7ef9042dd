import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { dbErrorOf, logFieldsOf } from '../errors';
import { isDatabaseUnavailable } from '../db/unavailable';

export interface PredictionLogEntry {
  at: number;
  modelName: string;
  versionId: string;
  version: number;
  symbol: string;
  barTime: number | null;
  inputHash: string;
  direction: string;
  confidence: number;
  probabilities: [number, number, number];
  latencyMs: number;
  cacheHit: boolean;
  imputed: string[];
  stepsReal: number;
  features: number[];
  /** A shadow prediction (never returned). */
  shadow?: boolean;
}

/**
 * Prediction-log entries this process has dropped, since it started, over every writer: `overflow` (the buffer was
 * full, also when entries kept through a database outage no longer fit) and `write_failed` (the database rejected a
 * row — only that row: writes bisect around it —, or a write failed otherwise, or the database was still unreachable
 * when the writer stopped). Monotonic, so it can back a
 * Prometheus counter (`signalops_prediction_log_dropped_total`, server/monitoring/prometheus.ts — which reads it through
 * serving's gauges, as monitoring never imports serving): `predictionLogDropped()` / `predictionLogDroppedTotal()`.
 */
const dropped = { overflow: 0, write_failed: 0 };

/** Dropped prediction-log entries of this process by reason (monotonic). */
export function predictionLogDropped(): { overflow: number; write_failed: number } {
  return { ...dropped };
}

/** Dropped prediction-log entries of this process, every reason (monotonic): `signalops_prediction_log_dropped_total`. */
export function predictionLogDroppedTotal(): number {
  return dropped.overflow + dropped.write_failed;
}

/** Retry delays while the database is unreachable: 250 ms, doubling, at most 5 s. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * Writes served predictions to `prediction_log` in batches, off the hot path. The buffer is bounded: when the
 * database is slow and it fills, new entries are dropped and counted (`overflow`), requests are never blocked.
 *
 * While the database is unreachable (server/db/unavailable.ts) a batch that could not be written goes back to the
 * front of the buffer — kept, not dropped; only what no longer fits in `maxBuffer` is dropped (and counted as
 * `overflow`) — and writes are retried with exponential backoff (250 ms → 5 s). One warning when the outage starts,
 * one line when writes succeed again saying how many entries were kept and how many dropped.
 */
export class PredictionLogWriter {
  private buffer: PredictionLogEntry[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout;
  /** The database is unreachable since `since`; the next write is attempted at `retryAt`. */
  private outage: { since: number; retryAt: number; delayMs: number; attempts: number; overflowBefore: number } | null = null;
  readonly stats = { written: 0, overflow: 0, failedWrites: 0 };

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly servedBy: string,
    private readonly opts: { maxBuffer: number; flushMs: number; batchSize: number } = { maxBuffer: 20_000, flushMs: 250, batchSize: 2000 },
  ) {
    this.timer = setInterval(() => void this.flush(), opts.flushMs);
    this.timer.unref();
  }

  push(e: PredictionLogEntry) {
    if (this.buffer.length >= this.opts.maxBuffer) {
      this.countOverflow(1);
      return;
    }
    this.buffer.push(e);
  }

  get pending() {
    return this.buffer.length;
  }

  /** True while writes wait for the database to come back. */
  get waitingForDatabase() {
    return this.outage !== null;
  }

  /** Entries this writer dropped: buffer overflow + failed writes. */
  get dropped() {
    return this.stats.overflow + this.stats.failedWrites;
  }

  /** Writes what is buffered. During an outage, only once the backoff delay has passed (unless `force`). */
  flush(opts: { force?: boolean } = {}): Promise<void> {
    if (this.flushing || !this.buffer.length) return this.flushing ?? Promise.resolve();
    if (this.outage && !opts.force && Date.now() < this.outage.retryAt) return Promise.resolve();
    this.flushing = (async () => {
      try {
        while (this.buffer.length) {
          const batch = this.buffer.splice(0, this.opts.batchSize);
          const unwritten = await this.writeIsolating(batch);
          if (unwritten.rows.length) {
            this.requeue(unwritten.rows, unwritten.error);
            return;
          }
          this.recovered(batch.length);
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  private countOverflow(n: number) {
    this.stats.overflow += n;
    dropped.overflow += n;
  }

  /** The database is unreachable: `rows` go back to the front (oldest first), within the buffer's bound; back off. */
  private requeue(rows: PredictionLogEntry[], error: unknown) {
    this.buffer.unshift(...rows);
    const over = this.buffer.length - this.opts.maxBuffer;
    if (over > 0) {
      // Keep the oldest, as push() does when the buffer is full: the newest entries beyond the bound are dropped.
      this.buffer.length = this.opts.maxBuffer;
      this.countOverflow(over);
    }
    const now = Date.now();
    if (!this.outage) {
      this.outage = { since: now, retryAt: now + RETRY_FIRST_MS, delayMs: RETRY_FIRST_MS, attempts: 1, overflowBefore: this.stats.overflow - Math.max(0, over) };
      this.log.warn(
        { ...logFieldsOf(error), pending: this.buffer.length, maxBuffer: this.opts.maxBuffer },
        'prediction log: the database is unavailable; entries are kept (up to the buffer limit) and writes retried with backoff',
      );
      return;
    }
    this.outage.attempts++;
    this.outage.delayMs = Math.min(RETRY_MAX_MS, this.outage.delayMs * 2);
    this.outage.retryAt = now + this.outage.delayMs;
  }

  /** A write succeeded: if it ends an outage, say once how it went. */
  private recovered(justWritten: number) {
    const o = this.outage;
    if (!o) return;
    this.outage = null;
    this.log.info(
      { outageMs: Date.now() - o.since, attempts: o.attempts, kept: this.buffer.length + justWritten, dropped: this.stats.overflow - o.overflowBefore },
      'prediction log: the database is reachable again; entries kept through the outage are being written',
    );
  }

  /**
   * Writes `rows`; when PostgreSQL rejects a value (a data exception, class 22 — e.g. a feature beyond `real`'s range)
   * the batch is split in halves and each retried, so only the rows it rejects are dropped (and counted), never the
   * other clients' rows around them. When the database is unreachable, the rows not yet written are returned (the
   * caller keeps them); any other failure drops the batch as it is, counted.
   */
  private async writeIsolating(rows: PredictionLogEntry[]): Promise<{ rows: PredictionLogEntry[]; error?: unknown }> {
    try {
      await this.write(rows);
      this.stats.written += rows.length;
      return { rows: [] };
    } catch (e) {
      if (isDatabaseUnavailable(e)) return { rows, error: e };
      const db = dbErrorOf(e);
      if (db?.code.startsWith('22') && rows.length > 1) {
        const mid = rows.length >> 1;
        const first = await this.writeIsolating(rows.slice(0, mid));
        if (first.rows.length) return { rows: [...first.rows, ...rows.slice(mid)], error: first.error };
        return this.writeIsolating(rows.slice(mid));
      }
      this.stats.failedWrites += rows.length;
      dropped.write_failed += rows.length;
      this.log.warn({ ...logFieldsOf(e), rows: rows.length, rejected: db?.code.startsWith('22') ?? false }, db?.code.startsWith('22') ? 'prediction log row rejected by the database; dropped' : 'prediction log write failed; entries dropped');
      return { rows: [] };
    }
  }

  private async write(rows: PredictionLogEntry[]) {
    const col = <T>(f: (r: PredictionLogEntry) => T) => rows.map(f);
    await this.db.$client.query(
      `insert into prediction_log (at, model_name, version_id, version, symbol, bar_time, input_hash, direction, confidence,
         probabilities, latency_ms, cache_hit, imputed, steps_real, features, served_by, shadow)
       select to_timestamp(at / 1000.0), m, v::uuid, ver, s, case when bt is null then null else to_timestamp(bt / 1000.0) end, h, d, c,
         string_to_array(p, ',')::real[], l, ch, case when imp = '' then '{}'::text[] else string_to_array(imp, ',') end, sr,
         string_to_array(f, ',')::real[], $16, sh
       from unnest($1::float8[], $2::text[], $3::text[], $4::int[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::real[],
         $10::text[], $11::real[], $12::bool[], $13::text[], $14::int[], $15::text[], $17::bool[]) as u(at, m, v, ver, s, bt, h, d, c, p, l, ch, imp, sr, f, sh)`,
      [
        col((r) => r.at),
        col((r) => r.modelName),
        col((r) => r.versionId),
        col((r) => r.version),
        col((r) => r.symbol),
        col((r) => r.barTime),
        col((r) => r.inputHash),
        col((r) => r.direction),
        col((r) => r.confidence),
        col((r) => r.probabilities.join(',')),
        col((r) => r.latencyMs),
        col((r) => r.cacheHit),
        col((r) => r.imputed.join(',')),
        col((r) => r.stepsReal),
        col((r) => r.features.join(',')),
        this.servedBy,
        col((r) => r.shadow === true),
      ],
    );
  }

  /** Stops the timer and writes what is buffered (one attempt, also during an outage; what cannot be written is dropped and counted). */
  async stop() {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush({ force: true });
    if (this.buffer.length) {
      const n = this.buffer.length;
      this.buffer = [];
      this.stats.failedWrites += n;
      dropped.write_failed += n;
      this.log.warn({ rows: n }, 'prediction log: the database is unavailable at shutdown; buffered entries dropped');
    }
  }
}
