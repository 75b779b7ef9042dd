'use client';
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { ShareChart } from '@/components/charts/metrics/MetricsCharts';
import { pollMs, rangeLabel, type MetricsSeries, type RangeName } from '@/components/charts/metrics/types';
import { dateTime, int, pct, timeOfDay } from '@/components/charts/format';
import { RangePicker } from './change';
import type { PromotionState } from './types';
import styles from './Promotion.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

/**
 * The configured split next to the share each version actually answered, measured from live traffic (the monitoring
 * roll-ups of every web and serve process) over a range — the Metrics page's A/B chart for this model, refreshed
 * every 5 s for short ranges.
 */
export function LiveSharePanel({ state, initial, splitChangedAt }: { state: PromotionState; initial: MetricsSeries; /** When the split last changed (from the history), if known. */ splitChangedAt: string | null }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<RangeName>(initial.range);
  const q = useQuery({
    ...trpc.monitoring.series.queryOptions({ range, model: state.model }),
    initialData: range === initial.range ? initial : undefined,
    refetchInterval: pollMs(range),
    placeholderData: (prev) => prev,
  });
  const s = q.data;
  const rows = s?.share.find((m) => m.model === state.model)?.versions ?? [];
  const answered = s?.share.find((m) => m.model === state.model)?.answered ?? 0;
  const changedAt = splitChangedAt ? Date.parse(splitChangedAt) : null;
  const mixed = changedAt !== null && s && answered > 0 ? changedAt > s.from : false;
  return (
    <section className="card" data-testid="live-share" aria-labelledby="share-title">
      <div className={styles.panelHead}>
        <h2 id="share-title">Configured vs live share</h2>
        <RangePicker value={range} onChange={setRange} label="Range of the live share" />
      </div>
      {s ? (
        <>
          <p className="muted hint" aria-live="polite" data-testid="share-updated">
            {int(answered)} answered requests in the last {rangeLabel(range)}, updated {q.dataUpdatedAt ? `${timeOfDay(q.dataUpdatedAt)} UTC` : '—'}, every {pollMs(range) / 1000} s.
            {mixed ? ` The split last changed at ${dateTime(splitChangedAt)} UTC, inside this range: the live share mixes the old and the new split.` : ''}
          </p>
          <ShareChart s={s} bare />
          {rows.length ? (
            <div className="table-wrap">
              <table className={`${styles.table} small`} data-testid="share-table">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Configured</th>
                    <th scope="col">Live share</th>
                    <th scope="col">Answered</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.key} data-version={r.version}>
                      <td>v{r.version}</td>
                      <td>{pct(r.configured, 0)}</td>
                      <td>{pct(r.actual)}</td>
                      <td>{int(r.answered)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {answered === 0 ? (
            <p className="muted hint">
              No prediction of {state.model} was answered in the last {rangeLabel(range)}: the live share appears about 10 s after requests reach POST /predict (web or serve process).
            </p>
          ) : null}
        </>
      ) : (
        <p className="muted">Loading…</p>
      )}
      <ErrorAlert error={q.error} />
    </section>
  );
}
