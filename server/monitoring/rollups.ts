/**
 * The write side of the metric store: each web and serve process aggregates its serving metrics in memory per
 * 10-s interval and model version, and flushes completed intervals to `metric_rollups` — one statement per flush,
 * off the request path, adding to what is there (two flushes into one interval add up). When the database is down
 * the completed intervals wait in memory (bounded: the oldest are dropped and counted) and go out on recovery.
 * Process samples (CPU, memory, event-loop delay, connections) are written every 15 s the same way.
 */
import os from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { BATCH_BUCKETS, LATENCY_BUCKETS_MS, bucketOf, confidenceBucket } from './histogram';
import { emptyCounts, type Counts } from './counts';
import { OutageLog } from '../db/outage-log';

export const RAW_INTERVAL_SECONDS = 10;
const CLASS_INDEX = { SELL: 0, HOLD: 1, BUY: 2 } as const;

/** One process's counts for one interval and model version (a future `metric_rollups` row). */
export interface RollupCell extends Counts {
  bucketStart: number;
  modelName: string;
  version: number;
  symbols: Record<string, number>;
}

const newCell = (bucketStart: number, modelName: string, version: number): RollupCell => ({ bucketStart, modelName, version, symbols: {}, ...emptyCounts() });

/** At most this many distinct symbols per cell; the rest are counted under '(other)' (bounded rows). */
const MAX_SYMBOLS_PER_CELL = 200;

export interface RecorderOptions {
  processId: string;
  intervalSeconds?: number;
  /** Completed intervals kept in memory while the database cannot be written (default: one hour of 10-s intervals). */
  maxPendingIntervals?: number;
  /** Injected clock (tests). */
  now?: () => number;
  /** Flush timer period; 0 = no timer (tests flush by hand). */
  flushEveryMs?: number;
}

/**
 * Aggregates serving events per interval and model version (it implements serving's ServingObserver) and flushes
 * completed intervals to PostgreSQL.
 */
export class MetricsRecorder {
  private cells = new Map<string, RollupCell>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  readonly intervalMs: number;
  readonly stats = { flushes: 0, rowsWritten: 0, failedFlushes: 0, droppedCells: 0, lastError: null as string | null };
  /** One warning per database outage, not one per flush (server/db/outage-log.ts). */
  private readonly outage: OutageLog;
  private readonly shadowOutage: OutageLog;

  constructor(
    private readonly db: Db,
    log: Logger,
    private readonly opts: RecorderOptions,
  ) {
    this.outage = new OutageLog(log, 'writing metric roll-ups');
    this.shadowOutage = new OutageLog(log, 'writing shadow roll-ups');
    this.intervalMs = (opts.intervalSeconds ?? RAW_INTERVAL_SECONDS) * 1000;
    const every = opts.flushEveryMs ?? this.intervalMs;
    if (every > 0) {
      this.timer = setInterval(() => void this.flush(), every);
      this.timer.unref();
    }
  }

  private now() {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** The cell the last event went to: most events in a row hit the same interval and version. */
  private last: RollupCell | null = null;

  private cell(modelName: string, version: number): RollupCell {
    const start = Math.floor(this.now() / this.intervalMs) * this.intervalMs;
    const l = this.last;
    if (l && l.bucketStart === start && l.version === version && l.modelName === modelName) return l;
    const key = `${start}|${modelName}|${version}`;
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = newCell(start, modelName, version)));
    this.last = c;
    return c;
  }

  prediction(e: { model: string; version: number; latencyMs: number; cacheHit: boolean; imputed: boolean; direction: 'BUY' | 'HOLD' | 'SELL'; confidence: number; symbol: string }): void {
    const c = this.cell(e.model, e.version);
    c.requests++;
    if (e.cacheHit) c.cacheHits++;
    else c.cacheMisses++;
    if (e.imputed) c.imputed++;
    if (e.confidence < 50) c.lowConfidence++;
    c.latencySumMs += e.latencyMs;
    c.latencyHist[bucketOf(e.latencyMs, LATENCY_BUCKETS_MS)]++;
    c.confidenceHist[confidenceBucket(e.confidence)]++;
    c.classes[CLASS_INDEX[e.direction]]++;
    const sym = e.symbol.toUpperCase();
    if (c.symbols[sym] !== undefined || Object.keys(c.symbols).length < MAX_SYMBOLS_PER_CELL) c.symbols[sym] = (c.symbols[sym] ?? 0) + 1;
    else c.symbols['(other)'] = (c.symbols['(other)'] ?? 0) + 1;
  }

  failure(e: { status: number; model: string | null; version: number | null; latencyMs: number }): void {
    const c = this.cell(e.model ?? '', e.version ?? 0);
    c.requests++;
    if (e.status >= 500) c.errors5xx++;
    else c.errors4xx++;
    c.latencySumMs += e.latencyMs;
    c.latencyHist[bucketOf(e.latencyMs, LATENCY_BUCKETS_MS)]++;
  }

  batch(e: { model: string; version: number; size: number }): void {
    this.cell(e.model, e.version).batchHist[bucketOf(e.size, BATCH_BUCKETS)]++;
  }

  private shadowCells = new Map<string, ShadowCell>();

  /** A shadow prediction (never returned): agreement with the primary, confidence difference, its own latency. */
  shadow(e: ShadowEvent): void {
    const start = Math.floor(this.now() / this.intervalMs) * this.intervalMs;
    const key = `${start}|${e.model}|${e.version}|${e.primaryVersion}`;
    let c = this.shadowCells.get(key);
    if (!c) {
      if (this.shadowCells.size >= 10_000) return; // bounded (the database is away for long): drop
      this.shadowCells.set(key, (c = { bucketStart: start, modelName: e.model, version: e.version, primaryVersion: e.primaryVersion, requests: 0, agree: 0, errors: 0, confidenceDiffSum: 0, confidenceAbsDiffSum: 0, latencySumMs: 0, latencyHist: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0), classes: [0, 0, 0], primaryClasses: [0, 0, 0] }));
    }
    c.requests++;
    c.primaryClasses[CLASS_INDEX[e.primaryDirection]]++;
    if (e.direction === null || e.confidence === null) {
      c.errors++;
      return;
    }
    if (e.direction === e.primaryDirection) c.agree++;
    const d = e.confidence - e.primaryConfidence;
    c.confidenceDiffSum += d;
    c.confidenceAbsDiffSum += Math.abs(d);
    c.latencySumMs += e.latencyMs;
    c.latencyHist[bucketOf(e.latencyMs, LATENCY_BUCKETS_MS)]++;
    c.classes[CLASS_INDEX[e.direction]]++;
  }

  /** Cells not yet written (completed and current). */
  get pending(): number {
    return this.cells.size;
  }

  /** Writes completed intervals (all of them with `all`, e.g. at shutdown). Never throws. */
  flush(all = false): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (all ? this.flush(true) : undefined));
    this.flushing = this.write(all).finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(all: boolean) {
    const current = Math.floor(this.now() / this.intervalMs) * this.intervalMs;
    const dueShadow = [...this.shadowCells.entries()].filter(([, c]) => all || c.bucketStart < current);
    if (dueShadow.length) {
      try {
        await writeShadowRollups(this.db, this.opts.processId, this.intervalMs / 1000, dueShadow.map(([, c]) => c));
        for (const [k] of dueShadow) this.shadowCells.delete(k);
        this.shadowOutage.ok();
      } catch (e) {
        this.shadowOutage.failed(e, { pending: this.shadowCells.size, kept: 'in memory' });
      }
    }
    const due = [...this.cells.entries()].filter(([, c]) => all || c.bucketStart < current);
    if (!due.length) return;
    const rows = due.map(([, c]) => c);
    try {
      await writeRollups(this.db, this.opts.processId, this.intervalMs / 1000, rows);
      for (const [k, c] of due) {
        this.cells.delete(k);
        if (c === this.last) this.last = null; // written: the next event starts a new cell
      }
      this.stats.flushes++;
      this.stats.rowsWritten += rows.length;
      this.stats.lastError = null;
      this.outage.ok();
    } catch (e) {
      this.stats.failedFlushes++;
      this.stats.lastError = (e as Error).message.slice(0, 200);
      this.outage.failed(e, { pending: this.cells.size, kept: 'in memory' });
      this.bound();
    }
  }

  /** Keeps at most maxPendingIntervals distinct intervals in memory; drops the oldest and counts them. */
  private bound() {
    const max = this.opts.maxPendingIntervals ?? 360;
    const starts = [...new Set([...this.cells.values()].map((c) => c.bucketStart))].sort((a, b) => a - b);
    if (starts.length <= max) return;
    const cutoff = starts[starts.length - max];
    for (const [k, c] of this.cells) {
      if (c.bucketStart < cutoff) {
        this.cells.delete(k);
        if (c === this.last) this.last = null;
        this.stats.droppedCells++;
      }
    }
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    await this.flush(true);
  }
}

/** One statement for any number of cells; adds to existing rows of the same interval, process and version. */
export async function writeRollups(db: Db, processId: string, intervalSeconds: number, rows: RollupCell[]): Promise<void> {
  if (!rows.length) return;
  const doc = rows.map((c) => ({
    bucket_start: new Date(c.bucketStart).toISOString(),
    model_name: c.modelName,
    version: c.version,
    requests: c.requests,
    errors_4xx: c.errors4xx,
    errors_5xx: c.errors5xx,
    cache_hits: c.cacheHits,
    cache_misses: c.cacheMisses,
    imputed: c.imputed,
    low_confidence: c.lowConfidence,
    latency_sum_ms: c.latencySumMs,
    latency_hist: c.latencyHist,
    batch_hist: c.batchHist,
    confidence_hist: c.confidenceHist,
    classes: c.classes,
    symbols: c.symbols,
  }));
  await db.$client.query(
    `insert into metric_rollups (bucket_start, interval_seconds, process_id, model_name, version, requests, errors_4xx, errors_5xx,
       cache_hits, cache_misses, imputed, low_confidence, latency_sum_ms, latency_hist, batch_hist, confidence_hist, classes, symbols)
     select r.bucket_start, $2, $3, r.model_name, r.version, r.requests, r.errors_4xx, r.errors_5xx, r.cache_hits, r.cache_misses,
       r.imputed, r.low_confidence, r.latency_sum_ms, r.latency_hist, r.batch_hist, r.confidence_hist, r.classes, r.symbols
     from jsonb_to_recordset($1::jsonb) as r(bucket_start timestamptz, model_name text, version int, requests int, errors_4xx int,
       errors_5xx int, cache_hits int, cache_misses int, imputed int, low_confidence int, latency_sum_ms float8, latency_hist int[],
       batch_hist int[], confidence_hist int[], classes int[], symbols jsonb)
     on conflict (interval_seconds, bucket_start, process_id, model_name, version) do update set
       requests = metric_rollups.requests + excluded.requests,
       errors_4xx = metric_rollups.errors_4xx + excluded.errors_4xx,
       errors_5xx = metric_rollups.errors_5xx + excluded.errors_5xx,
       cache_hits = metric_rollups.cache_hits + excluded.cache_hits,
       cache_misses = metric_rollups.cache_misses + excluded.cache_misses,
       imputed = metric_rollups.imputed + excluded.imputed,
       low_confidence = metric_rollups.low_confidence + excluded.low_confidence,
       latency_sum_ms = metric_rollups.latency_sum_ms + excluded.latency_sum_ms,
       latency_hist = so_int_array_add(metric_rollups.latency_hist, excluded.latency_hist),
       batch_hist = so_int_array_add(metric_rollups.batch_hist, excluded.batch_hist),
       confidence_hist = so_int_array_add(metric_rollups.confidence_hist, excluded.confidence_hist),
       classes = so_int_array_add(metric_rollups.classes, excluded.classes),
       symbols = so_jsonb_count_add(metric_rollups.symbols, excluded.symbols)`,
    [JSON.stringify(doc), intervalSeconds, processId],
  );
}

export interface ShadowEvent {
  model: string;
  version: number;
  primaryVersion: number;
  primaryDirection: 'BUY' | 'HOLD' | 'SELL';
  primaryConfidence: number;
  /** null when the shadow failed. */
  direction: 'BUY' | 'HOLD' | 'SELL' | null;
  confidence: number | null;
  latencyMs: number;
}

interface ShadowCell {
  bucketStart: number;
  modelName: string;
  version: number;
  primaryVersion: number;
  requests: number;
  agree: number;
  errors: number;
  confidenceDiffSum: number;
  confidenceAbsDiffSum: number;
  latencySumMs: number;
  latencyHist: number[];
  classes: number[];
  primaryClasses: number[];
}

/** Shadow cells into `shadow_rollups`, adding to rows of the same interval, process and version pair. */
export async function writeShadowRollups(db: Db, processId: string, intervalSeconds: number, rows: ShadowCell[]): Promise<void> {
  if (!rows.length) return;
  const doc = rows.map((c) => ({
    bucket_start: new Date(c.bucketStart).toISOString(),
    model_name: c.modelName,
    version: c.version,
    primary_version: c.primaryVersion,
    requests: c.requests,
    agree: c.agree,
    errors: c.errors,
    cds: c.confidenceDiffSum,
    cads: c.confidenceAbsDiffSum,
    lat: c.latencySumMs,
    latency_hist: c.latencyHist,
    classes: c.classes,
    primary_classes: c.primaryClasses,
  }));
  await db.$client.query(
    `insert into shadow_rollups (bucket_start, interval_seconds, process_id, model_name, version, primary_version, requests, agree, errors,
       confidence_diff_sum, confidence_abs_diff_sum, latency_sum_ms, latency_hist, classes, primary_classes)
     select r.bucket_start, $2, $3, r.model_name, r.version, r.primary_version, r.requests, r.agree, r.errors, r.cds, r.cads, r.lat,
       r.latency_hist, r.classes, r.primary_classes
     from jsonb_to_recordset($1::jsonb) as r(bucket_start timestamptz, model_name text, version int, primary_version int, requests int,
       agree int, errors int, cds float8, cads float8, lat float8, latency_hist int[], classes int[], primary_classes int[])
     on conflict (interval_seconds, bucket_start, process_id, model_name, version, primary_version) do update set
       requests = shadow_rollups.requests + excluded.requests,
       agree = shadow_rollups.agree + excluded.agree,
       errors = shadow_rollups.errors + excluded.errors,
       confidence_diff_sum = shadow_rollups.confidence_diff_sum + excluded.confidence_diff_sum,
       confidence_abs_diff_sum = shadow_rollups.confidence_abs_diff_sum + excluded.confidence_abs_diff_sum,
       latency_sum_ms = shadow_rollups.latency_sum_ms + excluded.latency_sum_ms,
       latency_hist = so_int_array_add(shadow_rollups.latency_hist, excluded.latency_hist),
       classes = so_int_array_add(shadow_rollups.classes, excluded.classes),
       primary_classes = so_int_array_add(shadow_rollups.primary_classes, excluded.primary_classes)`,
    [JSON.stringify(doc), intervalSeconds, processId],
  );
}

// --- process samples ---------------------------------------------------------------------------------------------------

export interface ProcessSample {
  at: number;
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  systemMemoryPercent: number;
  eventLoopP99Ms: number;
  openConnections: number | null;
}

/**
 * Samples this process every `everyMs` (default 15 s): CPU % (of one core, as `top` shows it), RSS, heap, system
 * memory in use, event-loop delay p99 and open connections; written to `process_samples` (bounded buffer on failure).
 */
export class ProcessSampler {
  private timer: NodeJS.Timeout | null = null;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private buffer: ProcessSample[] = [];
  latest: ProcessSample | null = null;
  readonly stats = { written: 0, dropped: 0 };
  private readonly outage: OutageLog;

  constructor(
    private readonly db: Db,
    log: Logger,
    private readonly opts: { processId: string; kind: string; everyMs?: number; connections?: () => Promise<number | null> | number | null },
  ) {
    this.outage = new OutageLog(log, 'writing a process sample');
    this.loop.enable();
    const every = opts.everyMs ?? 15_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.tick(), every);
      this.timer.unref();
    }
  }

  /** Takes one sample now (and writes what is buffered). */
  async tick(): Promise<ProcessSample> {
    const cpu = process.cpuUsage(this.lastCpu);
    const t = performance.now();
    const elapsedUs = Math.max(1, (t - this.lastAt) * 1000);
    this.lastCpu = process.cpuUsage();
    this.lastAt = t;
    const mem = process.memoryUsage();
    const sample: ProcessSample = {
      at: Date.now(),
      cpuPercent: Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      systemMemoryPercent: Math.round((1 - os.freemem() / os.totalmem()) * 1000) / 10,
      eventLoopP99Ms: Math.round((this.loop.percentile(99) / 1e6) * 100) / 100,
      openConnections: this.opts.connections ? await Promise.resolve(this.opts.connections()).catch(() => null) : null,
    };
    this.loop.reset();
    this.latest = sample;
    this.buffer.push(sample);
    if (this.buffer.length > 240) {
      this.stats.dropped += this.buffer.length - 240;
      this.buffer.splice(0, this.buffer.length - 240);
    }
    try {
      const rows = this.buffer;
      await this.db.$client.query(
        `insert into process_samples (at, process_id, kind, host, pid, cpu_percent, rss_bytes, heap_used_bytes, heap_total_bytes,
           system_memory_percent, event_loop_p99_ms, open_connections)
         select to_timestamp(r.at / 1000.0), $2, $3, $4, $5, r.cpu, r.rss, r.heap_used, r.heap_total, r.sys_mem, r.loop_p99, r.conns
         from jsonb_to_recordset($1::jsonb) as r(at float8, cpu real, rss bigint, heap_used bigint, heap_total bigint, sys_mem real, loop_p99 real, conns int)
         on conflict do nothing`,
        [
          JSON.stringify(rows.map((r) => ({ at: r.at, cpu: r.cpuPercent, rss: r.rssBytes, heap_used: r.heapUsedBytes, heap_total: r.heapTotalBytes, sys_mem: r.systemMemoryPercent, loop_p99: r.eventLoopP99Ms, conns: r.openConnections }))),
          this.opts.processId,
          this.opts.kind,
          os.hostname(),
          process.pid,
        ],
      );
      this.stats.written += rows.length;
      this.buffer = [];
      this.outage.ok();
    } catch (e) {
      this.outage.failed(e, { buffered: this.buffer.length, kept: 'in memory' });
    }
    return sample;
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.loop.disable();
  }
}
