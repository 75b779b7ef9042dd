import type { Logger } from 'pino';
import type { Db } from '../db/client';

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
 * full) and `write_failed` (a batch insert failed; its entries are not retried). Monotonic, so it can back a
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

/**
 * Writes served predictions to `prediction_log` in batches, off the hot path. The buffer is bounded: when the
 * database is slow and it fills, new entries are dropped and counted (`overflow`), requests are never blocked.
 */
export class PredictionLogWriter {
  private buffer: PredictionLogEntry[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout;
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
      this.stats.overflow++;
      dropped.overflow++;
      return;
    }
    this.buffer.push(e);
  }

  get pending() {
    return this.buffer.length;
  }

  /** Entries this writer dropped: buffer overflow + failed writes. */
  get dropped() {
    return this.stats.overflow + this.stats.failedWrites;
  }

  flush(): Promise<void> {
    if (this.flushing || !this.buffer.length) return this.flushing ?? Promise.resolve();
    this.flushing = (async () => {
      try {
        while (this.buffer.length) {
          const rows = this.buffer.splice(0, this.opts.batchSize);
          try {
            await this.write(rows);
            this.stats.written += rows.length;
          } catch (e) {
            this.stats.failedWrites += rows.length;
            dropped.write_failed += rows.length;
            this.log.warn({ err: (e as Error).message.slice(0, 300), rows: rows.length }, 'prediction log write failed; entries dropped');
          }
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
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

  async stop() {
    clearInterval(this.timer);
    await this.flush();
  }
}
