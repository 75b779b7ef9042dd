/**
 * Outcomes: how served signals turned out. Two idempotent steps, safe with any number of workers (a transaction-level
 * advisory lock per step; a second worker skips):
 *   1. collect — new `prediction_log` rows (by id, from a cursor) become one `prediction_outcomes` row per (version,
 *      symbol, prediction bar): a request's `timestamp` is its bar's close, so the bar opens one timeframe earlier;
 *      without one, the bar it arrived in. Repeated predictions of a bar count once (the first answer; `requests`
 *      counts them all). Done in SQL, in batches.
 *   2. resolve — pending rows whose bar `horizon` steps later exists in a dataset of that symbol and the version's
 *      timeframe get the realised label by **the version's own label rule** (horizon, k or threshold; ATR14 as of the
 *      prediction bar, computed over the whole dataset exactly as in training) and the return after the version's
 *      costs. Nothing from after the prediction bar is used except the close h bars later, which defines the label.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { readCandleColumns } from '../market/store';
import { LabelRuleSchema, NO_LABEL, type LabelRule, type Labels } from '../market/labels';
import { trainingLabels } from '../market/samples';
import { timeframeToMs } from '../market/timeframe';
import type { CandleColumns } from '../market/types';

const LOCK_COLLECT = 0x736f6f63; // "sooc"
const LOCK_RESOLVE = 0x736f6f72; // "soor"

export interface CollectResult {
  scanned: number;
  outcomes: number;
  lastId: number;
  skipped?: string;
}

/** Step 1: prediction-log rows after the cursor → outcome rows (up to `maxRows` log rows per call, in batches). */
export async function collectOutcomes(db: Db, opts: { batch?: number; maxRows?: number } = {}): Promise<CollectResult> {
  const batch = opts.batch ?? 50_000;
  const maxRows = opts.maxRows ?? 2_000_000;
  let scanned = 0;
  let outcomes = 0;
  let lastId = 0;
  for (;;) {
    const r = await db.transaction(async (tx) => {
      const lock = await tx.execute(sql`select pg_try_advisory_xact_lock(${LOCK_COLLECT}) as ok`);
      if (!(lock.rows[0] as { ok: boolean }).ok) return null;
      const cur = await tx.execute(sql`select last_id from outcome_cursor where name = 'prediction_log' for update`);
      const from = Number((cur.rows[0] as { last_id?: number } | undefined)?.last_id ?? 0);
      const top = await tx.execute(sql`select coalesce(max(id), ${from})::bigint as top from (select id from prediction_log where id > ${from} order by id limit ${batch}) s`);
      const to = Number((top.rows[0] as { top: number }).top);
      if (to <= from) return { scanned: 0, outcomes: 0, lastId: from };
      // Bar of each prediction: the version's bar length from its lineage (the training dataset's timeframe).
      const ins = await tx.execute(sql`
        with bars as materialized (
          -- Each version's bar length once (its lineage is a large TOASTed jsonb: never read it per log row).
          select v.id, (v.lineage->'dataset'->'candles'->>'barMs')::float8 as bar_ms
          from model_versions v where v.id in (select distinct version_id from prediction_log where id > ${from} and id <= ${to})
        ), rows as (
          select p.id, p.version_id, p.model_name, p.version, upper(p.symbol) as symbol, p.direction, p.confidence, p.shadow, p.at,
            case when p.bar_time is not null
              then p.bar_time - make_interval(secs => b.bar_ms / 1000)
              else to_timestamp(floor(extract(epoch from p.at) * 1000 / b.bar_ms) * b.bar_ms / 1000)
            end as bar_ts
          from prediction_log p join bars b on b.id = p.version_id
          where p.id > ${from} and p.id <= ${to} and b.bar_ms is not null
        ), firsts as (
          select distinct on (version_id, symbol, bar_ts) version_id, symbol, bar_ts, model_name, version, direction, confidence, shadow, at,
            count(*) over (partition by version_id, symbol, bar_ts) as n
          from rows order by version_id, symbol, bar_ts, id
        )
        insert into prediction_outcomes (version_id, symbol, bar_ts, model_name, version, predicted, confidence, shadow, requests, first_logged_at)
        select version_id, symbol, bar_ts, model_name, version,
          case direction when 'SELL' then 0 when 'HOLD' then 1 else 2 end, confidence, shadow, n, at
        from firsts
        on conflict (version_id, symbol, bar_ts) do update set requests = prediction_outcomes.requests + excluded.requests`);
      await tx.execute(sql`insert into outcome_cursor (name, last_id) values ('prediction_log', ${to})
        on conflict (name) do update set last_id = excluded.last_id, updated_at = now()`);
      const scannedNow = await tx.execute(sql`select count(*)::int as n from prediction_log where id > ${from} and id <= ${to}`);
      return { scanned: Number((scannedNow.rows[0] as { n: number }).n), outcomes: ins.rowCount ?? 0, lastId: to };
    });
    if (!r) return { scanned, outcomes, lastId, skipped: 'another worker is collecting' };
    scanned += r.scanned;
    outcomes += r.outcomes;
    lastId = r.lastId;
    if (r.scanned < batch || scanned >= maxRows) return { scanned, outcomes, lastId };
  }
}

export interface VersionRule {
  rule: LabelRule;
  barMs: number;
  costPerSide: number;
  warmupBars?: number;
}

function ruleOf(lineage: unknown): VersionRule | null {
  const l = lineage as { dataset?: { params?: { label?: unknown; warmupBars?: number }; candles?: { barMs?: number | null } }; params?: { costBps?: number } } | null;
  const rule = LabelRuleSchema.safeParse(l?.dataset?.params?.label);
  const barMs = l?.dataset?.candles?.barMs;
  if (!rule.success || !barMs) return null;
  return { rule: rule.data, barMs, costPerSide: (l?.params?.costBps ?? 0) / 10_000, warmupBars: l?.dataset?.params?.warmupBars };
}

/** Index of the bar opening at `ts`, or of the latest one before it (gaps: weekends, holidays); -1 when none. */
export function barIndex(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

export interface RealisedOutcome {
  realised: number | null;
  forwardReturn: number | null;
  returnAfterCosts: number | null;
  note: string | null;
  /** False: the bar h steps later does not exist yet (stays pending). */
  resolved: boolean;
}

/**
 * The realised label of a prediction at bar open `barTs` with the version's rule, from a dataset's candles and its
 * ATR column (pure; tested on a hand-computed fixture).
 */
export function realise(c: CandleColumns, labels: Labels, r: VersionRule, barTs: number, predicted: number): RealisedOutcome {
  const none = { realised: null, forwardReturn: null, returnAfterCosts: null };
  const i = barIndex(c.ts, barTs);
  if (i < 0) return { ...none, note: 'the dataset has no bar at or before the prediction', resolved: true };
  // The dataset does not reach the prediction's bar yet: wait (a missing bar inside the data, e.g. a weekend, uses
  // the latest bar before it).
  if (c.ts[i] !== barTs && i === c.n - 1) return { ...none, note: null, resolved: false };
  if (i + r.rule.horizon >= c.n) return { ...none, note: null, resolved: false };
  const lab = labels.labels[i];
  const fr = labels.forwardReturn[i];
  if (lab === NO_LABEL || !Number.isFinite(fr)) return { ...none, note: 'the bar has no label (indicator warm-up)', resolved: true };
  const costs = 2 * r.costPerSide;
  const ret = predicted === 2 ? fr - costs : predicted === 0 ? -fr - costs : null;
  return { realised: lab, forwardReturn: fr, returnAfterCosts: ret, note: null, resolved: true };
}

export interface ResolveResult {
  resolved: number;
  pending: number;
  groups: number;
  notes: Record<string, number>;
  skipped?: string;
}

/** Step 2: pending outcomes whose future bar now exists get their realised label and return. */
export async function resolveOutcomes(db: Db): Promise<ResolveResult> {
  return db.transaction(async (tx) => {
    const lock = await tx.execute(sql`select pg_try_advisory_xact_lock(${LOCK_RESOLVE}) as ok`);
    if (!(lock.rows[0] as { ok: boolean }).ok) return { resolved: 0, pending: 0, groups: 0, notes: {}, skipped: 'another worker is resolving' };
    const groups = await tx.execute(sql`
      select o.version_id, o.symbol, v.lineage, count(*)::int as n, min(o.bar_ts) as first
      from prediction_outcomes o join model_versions v on v.id = o.version_id
      where o.resolved_at is null group by o.version_id, o.symbol, v.lineage`);
    let resolved = 0;
    let pending = 0;
    const notes: Record<string, number> = {};
    const candleCache = new Map<string, { id: number; c: CandleColumns } | null>();
    for (const g of groups.rows as { version_id: string; symbol: string; lineage: unknown; n: number }[]) {
      const r = ruleOf(g.lineage);
      if (!r) continue;
      const key = `${g.symbol}|${r.barMs}`;
      if (!candleCache.has(key)) candleCache.set(key, await datasetFor(db, g.symbol, r.barMs));
      const d = candleCache.get(key)!;
      const rows = (await tx.execute(sql`select extract(epoch from bar_ts) * 1000 as t, predicted from prediction_outcomes where version_id = ${g.version_id} and symbol = ${g.symbol} and resolved_at is null`)).rows as { t: number; predicted: number }[];
      if (!d) {
        pending += rows.length;
        notes[`no dataset of ${g.symbol} at ${r.barMs / 60_000} min bars`] = (notes[`no dataset of ${g.symbol} at ${r.barMs / 60_000} min bars`] ?? 0) + rows.length;
        continue;
      }
      const labels = trainingLabels(d.c, r.rule, r.warmupBars);
      const out = { t: [] as number[], realised: [] as (number | null)[], fr: [] as (number | null)[], ret: [] as (number | null)[], note: [] as (string | null)[] };
      for (const row of rows) {
        const o = realise(d.c, labels, r, Number(row.t), Number(row.predicted));
        if (!o.resolved) {
          pending++;
          continue;
        }
        out.t.push(Number(row.t));
        out.realised.push(o.realised);
        out.fr.push(o.forwardReturn);
        out.ret.push(o.returnAfterCosts);
        out.note.push(o.note);
        if (o.note) notes[o.note] = (notes[o.note] ?? 0) + 1;
      }
      if (!out.t.length) continue;
      await tx.execute(sql`
        update prediction_outcomes o set resolved_at = now(), dataset_id = ${d.id}, realised = u.realised, forward_return = u.fr, return_after_costs = u.ret, note = u.note
        from jsonb_to_recordset(${JSON.stringify(out.t.map((t, k) => ({ t, realised: out.realised[k], fr: out.fr[k], ret: out.ret[k], note: out.note[k] })))}::jsonb)
          as u(t float8, realised smallint, fr float8, ret float8, note text)
        where o.version_id = ${g.version_id} and o.symbol = ${g.symbol} and o.bar_ts = to_timestamp(u.t / 1000.0)`);
      resolved += out.t.length;
    }
    return { resolved, pending, groups: groups.rows.length, notes };
  });
}

/** The dataset of this symbol and bar length with the latest bar (the one the trading app appends to). */
async function datasetFor(db: Db, symbol: string, barMs: number) {
  const r = await db.execute(sql`select id, timeframe from datasets where upper(symbol) = ${symbol} order by last_ts desc nulls last`);
  const d = (r.rows as { id: number; timeframe: string }[]).find((x) => timeframeToMs(x.timeframe) === barMs);
  if (!d) return null;
  return { id: d.id, c: await readCandleColumns(db.$client, d.id) };
}

/** Both steps (the worker's outcome job, `npm run cli -- outcomes`). */
export async function runOutcomeJob(db: Db) {
  const collected = await collectOutcomes(db);
  const resolved = await resolveOutcomes(db);
  return { collected, resolved };
}
