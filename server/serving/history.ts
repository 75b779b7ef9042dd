import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { computeFeatures, FEATURE_COUNT, WARMUP_BARS } from '../market/indicators';
import { readCandleColumns } from '../market/store';
import { datasets } from '../../drizzle/schema';
import { logFieldsOf } from '../errors';
import { isDatabaseUnavailable } from '../db/unavailable';

/** After a failed load, the symbol's next load waits 1 s, doubling per failure, at most 30 s. */
const LOAD_RETRY_FIRST_MS = 1000;
const LOAD_RETRY_MAX_MS = 30_000;
/** After a failed snapshot write (database unreachable), the next one waits 500 ms, doubling, at most 5 s. */
const WRITE_RETRY_FIRST_MS = 500;
const WRITE_RETRY_MAX_MS = 5000;

export interface Snapshot {
  /** Bar time, epoch ms. */
  t: number;
  /** The 16 indicators (FEATURE_NAMES order). */
  f: Float64Array;
}

interface SymbolState {
  rows: Snapshot[];
  loadedAt: number;
  loading: Promise<void> | null;
  /** Consecutive failed loads, and when the last one failed (the next waits: 1 s, doubling, at most 30 s). */
  failures: number;
  failedAt: number;
}

/**
 * Per-symbol indicator history, for completing a sequence model's window and for imputing missing indicators.
 * Source of truth: `symbol_snapshots` (from earlier requests, written in batches by every replica), and for a
 * symbol never seen, the latest candles of a dataset with that symbol (features computed here). Held in memory,
 * refreshed from the database in the background when older than `refreshMs`.
 *
 * During a database outage requests are served from what is held: a failed load is retried after 1 s, doubling per
 * failure up to 30 s (not on every request), snapshot writes are kept (within `maxPending`) and retried with backoff,
 * and each of the two says so once when the outage starts and once when it ends.
 */
export class SymbolHistory {
  private readonly bySymbol = new Map<string, SymbolState>();
  private pending: { symbol: string; t: number; f: Float64Array; source: string }[] = [];
  private timer: NodeJS.Timeout;
  dropped = 0;
  /** Loads attempted / failed, snapshot writes failed (monotonic). */
  readonly stats = { loads: 0, loadFailures: 0, writeFailures: 0 };
  /** A load failed and none succeeded since: the outage's start and how many loads failed in it (logged once). */
  private loadOutage: { since: number; failures: number } | null = null;
  private writing = false;
  /** Snapshot writes fail since `since` (the database is unreachable); the next one is tried at `retryAt`. */
  private writeOutage: { since: number; retryAt: number; delayMs: number; failures: number; droppedBefore: number } | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: { maxPerSymbol: number; refreshMs: number; flushMs: number; maxPending: number } = { maxPerSymbol: 600, refreshMs: 5000, flushMs: 500, maxPending: 20_000 },
  ) {
    this.timer = setInterval(() => void this.flush(), opts.flushMs);
    this.timer.unref();
  }

  private key(symbol: string) {
    return symbol.toUpperCase();
  }

  /** The symbol's history (oldest first), loading it on first use. */
  async rows(symbol: string): Promise<Snapshot[]> {
    const k = this.key(symbol);
    let st = this.bySymbol.get(k);
    if (!st) {
      st = { rows: [], loadedAt: 0, loading: null, failures: 0, failedAt: 0 };
      this.bySymbol.set(k, st);
      st.loading = this.load(k, st);
      await st.loading;
    } else if (st.loading && !st.loadedAt && !st.failures) await st.loading; // first load still running
    else if (!st.loading && this.due(st)) {
      st.loading = this.load(k, st); // in the background: serve what we have now
    }
    return st.rows;
  }

  /** A (re)load is due: refreshMs after the last load, or — after failures — once the backoff delay has passed. */
  private due(st: SymbolState): boolean {
    const now = Date.now();
    if (st.failures) return now - st.failedAt >= Math.min(LOAD_RETRY_MAX_MS, LOAD_RETRY_FIRST_MS * 2 ** (st.failures - 1));
    return now - st.loadedAt > this.opts.refreshMs;
  }

  private async load(symbol: string, st: SymbolState): Promise<void> {
    this.stats.loads++;
    try {
      const r = await this.db.execute<{ t: string; f: number[] }>(
        sql`select (extract(epoch from bar_time) * 1000)::float8 as t, features as f from symbol_snapshots where symbol = ${symbol} order by bar_time desc limit ${this.opts.maxPerSymbol}`,
      );
      let rows: Snapshot[] = r.rows.map((x) => ({ t: Number(x.t), f: Float64Array.from(x.f) })).reverse();
      if (!rows.length) rows = await this.fromCandles(symbol);
      // Merge with what arrived in memory meanwhile.
      const merged = new Map<number, Snapshot>();
      for (const s of rows) merged.set(s.t, s);
      for (const s of st.rows) merged.set(s.t, s);
      st.rows = [...merged.values()].sort((a, b) => a.t - b.t).slice(-this.opts.maxPerSymbol);
      st.loadedAt = Date.now();
      st.failures = 0;
      if (this.loadOutage) {
        this.log.info({ symbol, outageMs: Date.now() - this.loadOutage.since, failedLoads: this.loadOutage.failures }, 'symbol history loads again');
        this.loadOutage = null;
      }
    } catch (e) {
      st.failures++;
      st.failedAt = Date.now();
      this.stats.loadFailures++;
      if (this.loadOutage) this.loadOutage.failures++;
      else {
        this.loadOutage = { since: Date.now(), failures: 1 };
        // Never the SQL or its parameters (drizzle's message carries both): server/errors.ts logFieldsOf.
        this.log.warn(
          { symbol, ...logFieldsOf(e), unavailable: isDatabaseUnavailable(e) },
          'loading symbol history failed; serving the history held in memory, retrying with backoff (1 s to 30 s)',
        );
      }
    } finally {
      st.loading = null;
    }
  }

  /** Features of the latest candles of the most recent dataset with this symbol (none: empty). */
  private async fromCandles(symbol: string): Promise<Snapshot[]> {
    const [d] = await this.db
      .select({ id: datasets.id })
      .from(datasets)
      .where(sql`upper(${datasets.symbol}) = ${symbol}`)
      .orderBy(sql`${datasets.lastTs} desc nulls last`)
      .limit(1);
    if (!d) return [];
    // Enough bars for the indicators' warm-up before the last maxPerSymbol bars.
    const cols = await readCandleColumns(this.db.$client, d.id, { limit: this.opts.maxPerSymbol + WARMUP_BARS });
    const m = computeFeatures(cols);
    const out: Snapshot[] = [];
    for (let i = 0; i < m.n; i++) if (m.valid[i]) out.push({ t: cols.ts[i], f: m.values.slice(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT) });
    return out;
  }

  /** Adds (or replaces) the snapshot at bar time t, in memory now and in the database within flushMs. */
  record(symbol: string, t: number, f: Float64Array) {
    const st = this.bySymbol.get(this.key(symbol));
    if (st) {
      const rows = st.rows;
      let i = rows.length;
      while (i > 0 && rows[i - 1].t > t) i--;
      if (i > 0 && rows[i - 1].t === t) rows[i - 1] = { t, f };
      else rows.splice(i, 0, { t, f });
      if (rows.length > this.opts.maxPerSymbol) rows.splice(0, rows.length - this.opts.maxPerSymbol);
    }
    if (this.pending.length >= this.opts.maxPending) this.dropped++;
    else this.pending.push({ symbol: this.key(symbol), t, f, source: 'request' });
  }

  /** Writes the pending snapshots. While the database is unreachable they are kept (within maxPending) and retried with backoff. */
  async flush(opts: { force?: boolean } = {}): Promise<void> {
    if (!this.pending.length || this.writing) return;
    if (this.writeOutage && !opts.force && Date.now() < this.writeOutage.retryAt) return;
    // Last write per (symbol, bar) wins; one statement per flush.
    const dedup = new Map<string, (typeof this.pending)[number]>();
    for (const p of this.pending.splice(0)) dedup.set(`${p.symbol}|${p.t}`, p);
    const rows = [...dedup.values()];
    this.writing = true;
    try {
      await this.db.$client.query(
        `insert into symbol_snapshots (symbol, bar_time, features, source)
         select s, to_timestamp(t / 1000.0), string_to_array(f, ',')::float8[], src
         from unnest($1::text[], $2::float8[], $3::text[], $4::text[]) as u(s, t, f, src)
         on conflict (symbol, bar_time) do update set features = excluded.features, source = excluded.source, received_at = now()`,
        [rows.map((r) => r.symbol), rows.map((r) => r.t), rows.map((r) => Array.from(r.f).join(',')), rows.map((r) => r.source)],
      );
      if (this.writeOutage) {
        this.log.info({ outageMs: Date.now() - this.writeOutage.since, written: rows.length, dropped: this.dropped - this.writeOutage.droppedBefore }, 'symbol snapshots are written again');
        this.writeOutage = null;
      }
    } catch (e) {
      this.stats.writeFailures++;
      if (!isDatabaseUnavailable(e)) {
        this.dropped += rows.length;
        this.log.warn({ ...logFieldsOf(e), rows: rows.length }, 'writing symbol snapshots failed; dropped');
        return;
      }
      // Kept, oldest first, ahead of what arrived meanwhile; beyond maxPending the newest are dropped (counted).
      this.pending = [...rows, ...this.pending];
      const over = this.pending.length - this.opts.maxPending;
      if (over > 0) {
        this.pending.length = this.opts.maxPending;
        this.dropped += over;
      }
      const now = Date.now();
      if (!this.writeOutage) {
        this.writeOutage = { since: now, retryAt: now + WRITE_RETRY_FIRST_MS, delayMs: WRITE_RETRY_FIRST_MS, failures: 1, droppedBefore: this.dropped - Math.max(0, over) };
        this.log.warn({ ...logFieldsOf(e), pending: this.pending.length }, 'writing symbol snapshots failed: the database is unavailable; kept and retried with backoff');
      } else {
        this.writeOutage.failures++;
        this.writeOutage.delayMs = Math.min(WRITE_RETRY_MAX_MS, this.writeOutage.delayMs * 2);
        this.writeOutage.retryAt = now + this.writeOutage.delayMs;
      }
    } finally {
      this.writing = false;
    }
  }

  async stop() {
    clearInterval(this.timer);
    await this.flush({ force: true });
  }
}
