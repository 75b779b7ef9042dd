/**
 * Coarser roll-ups and retention, run by the workers' one-minute maintenance tick (once across workers): per-minute
 * rows (all processes merged) are recomputed from the 10-s rows of the last `recomputeMinutes`, per-hour rows from the
 * minute rows of the last hours; then rows past their retention are deleted. Recomputing replaces (idempotent), so
 * a process that flushed late — e.g. after a database outage — is counted once it arrives within the window.
 */
import type { Db } from '../db/client';

export interface Retention {
  rawDays: number;
  minuteDays: number;
  hourDays: number;
}

const SUMS = `sum(requests), sum(errors_4xx), sum(errors_5xx), sum(cache_hits), sum(cache_misses), sum(imputed),
  sum(low_confidence), sum(latency_sum_ms), so_int_array_sum(latency_hist), so_int_array_sum(batch_hist),
  so_int_array_sum(confidence_hist), so_int_array_sum(classes), so_jsonb_count_sum(symbols)`;
const COLS = `requests, errors_4xx, errors_5xx, cache_hits, cache_misses, imputed, low_confidence, latency_sum_ms, latency_hist,
  batch_hist, confidence_hist, classes, symbols`;
const SET = COLS.split(',')
  .map((c) => c.trim())
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

async function rollUp(db: Db, from: { interval: number; processFilter: string }, to: { interval: number; trunc: 'minute' | 'hour' }, since: Date) {
  const r = await db.$client.query(
    `insert into metric_rollups (bucket_start, interval_seconds, process_id, model_name, version, ${COLS})
     select date_trunc('${to.trunc}', bucket_start), ${to.interval}, '*', model_name, version, ${SUMS}
     from metric_rollups
     where ${from.interval === 10 ? 'interval_seconds < 60' : `interval_seconds = ${from.interval}`} ${from.processFilter} and bucket_start >= date_trunc('${to.trunc}', $1::timestamptz)
     group by 1, 4, 5
     on conflict (interval_seconds, bucket_start, process_id, model_name, version) do update set ${SET}`,
    [since],
  );
  return r.rowCount ?? 0;
}

export async function compactRollups(db: Db, opts: { now?: Date; recomputeMinutes?: number; recomputeHours?: number; retention: Retention }) {
  const now = opts.now ?? new Date();
  const minutes = await rollUp(db, { interval: 10, processFilter: '' }, { interval: 60, trunc: 'minute' }, new Date(now.getTime() - (opts.recomputeMinutes ?? 15) * 60_000));
  const hours = await rollUp(db, { interval: 60, processFilter: "and process_id = '*'" }, { interval: 3600, trunc: 'hour' }, new Date(now.getTime() - (opts.recomputeHours ?? 3) * 3_600_000));
  const del = async (interval: number, days: number) =>
    (
      await db.$client.query(`delete from metric_rollups where (case when $1::int = 10 then interval_seconds < 60 else interval_seconds = $1::int end) and bucket_start < $2`, [
        interval,
        new Date(now.getTime() - days * 86_400_000),
      ])
    ).rowCount ?? 0;
  const deleted = {
    raw: await del(10, opts.retention.rawDays),
    minute: await del(60, opts.retention.minuteDays),
    hour: await del(3600, opts.retention.hourDays),
    samples: (await db.$client.query(`delete from process_samples where at < $1`, [new Date(now.getTime() - opts.retention.rawDays * 86_400_000)])).rowCount ?? 0,
    // Shadow roll-ups are kept as long as the minute roll-ups (they are not compacted: one row per interval and pair).
    shadow: (await db.$client.query(`delete from shadow_rollups where bucket_start < $1`, [new Date(now.getTime() - opts.retention.minuteDays * 86_400_000)])).rowCount ?? 0,
  };
  return { minutes, hours, deleted };
}
