import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { computeFeatures, FEATURE_COUNT, WARMUP_BARS } from '../market/indicators';
import { readCandleColumns } from '../market/store';
import { datasets } from '../../drizzle/schema';

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
}

/**
 * Per-symbol indicator history, for completing a sequence model's window and for imputing missing indicators.
 * Source of truth: `symbol_snapshots` (from earlier requests, written in batches by every replica), and for a
 * symbol never seen, the latest candles of a dataset with that symbol (features computed here). Held in memory,
 * refreshed from the database in the background when older than `refreshMs`.
 */
export class SymbolHistory {
  private readonly bySymbol = new Map<string, SymbolState>();
  private pending: { symbol: string; t: number; f: Float64Array; source: string }[] = [];
  private timer: NodeJS.Timeout;
  dropped = 0;

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
      st = { rows: [], loadedAt: 0, loading: null };
      this.bySymbol.set(k, st);
      st.loading = this.load(k, st);
      await st.loading;
    } else if (st.loading && !st.loadedAt) await st.loading; // first load still running
    else if (!st.loading && Date.now() - st.loadedAt > this.opts.refreshMs) {
      st.loading = this.load(k, st); // in the background: serve what we have now
    }
    return st.rows;
  }

  private async load(symbol: string, st: SymbolState): Promise<void> {
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
    } catch (e) {
      this.log.warn({ symbol, err: (e as Error).message.slice(0, 300) }, 'loading symbol history failed');
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

  async flush(): Promise<void> {
    if (!this.pending.length) return;
    // Last write per (symbol, bar) wins; one statement per flush.
    const dedup = new Map<string, (typeof this.pending)[number]>();
    for (const p of this.pending.splice(0)) dedup.set(`${p.symbol}|${p.t}`, p);
    const rows = [...dedup.values()];
    try {
      await this.db.$client.query(
        `insert into symbol_snapshots (symbol, bar_time, features, source)
         select s, to_timestamp(t / 1000.0), string_to_array(f, ',')::float8[], src
         from unnest($1::text[], $2::float8[], $3::text[], $4::text[]) as u(s, t, f, src)
         on conflict (symbol, bar_time) do update set features = excluded.features, source = excluded.source, received_at = now()`,
        [rows.map((r) => r.symbol), rows.map((r) => r.t), rows.map((r) => Array.from(r.f).join(',')), rows.map((r) => r.source)],
      );
    } catch (e) {
      this.dropped += rows.length;
      this.log.warn({ err: (e as Error).message.slice(0, 300), rows: rows.length }, 'writing symbol snapshots failed');
    }
  }

  async stop() {
    clearInterval(this.timer);
    await this.flush();
  }
}
