'use client';
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { EmptyState } from '@/components/ui/EmptyState';
import { useMounted } from '@/components/ui/useNow';
import { dateTime, int, pct, timeOfDay } from '../format';
import { compact, BatchChart, ClassMixChart, ConfidenceChart, LatencyChart, RateChart, ShareChart, ThroughputChart, TopSymbolsChart } from './MetricsCharts';
import { PipelineCard, ProcessesTable } from './MetricsTables';
import { RANGE_OPTIONS, pollMs, rangeLabel, type MetricsSeries, type PipelinePanel, type ProcessTable, type RangeName } from './types';
import styles from './Metrics.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

const ms = (v: number | null | undefined) => (v == null ? '—' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);

function Stat({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId: string }) {
  return (
    <div className="card stat" data-testid={testId}>
      <div className="label">{label}</div>
      <div className="value">{value}</div>
      {sub ? <div className="sub">{sub}</div> : null}
    </div>
  );
}

/** What to say when the range has no roll-ups at all (and only then). */
function NoRollups({ s }: { s: MetricsSeries }) {
  const where = s.model ? ` for ${s.model}` : '';
  return (
    <EmptyState title={`No roll-ups in the last ${rangeLabel(s.range)}${where}`}>
      Roll-ups are written by every web and serve process about 10 s after it answers prediction requests (POST /predict, /batch-predict, tRPC
      inference.predict), merged here across replicas.{' '}
      {s.lastRollupAt ? `The newest one is from ${dateTime(s.lastRollupAt)} UTC: choose a longer range to see it.` : 'None has been written yet: no process has answered a prediction request.'}
    </EmptyState>
  );
}

/**
 * The Metrics page's live part: range and model filter, series charts from the roll-ups of every replica, the
 * process table and the training/queue panel. Polls every 5 s for 15 min and 1 h, every 30 s / 60 s for longer
 * ranges.
 */
export function MetricsDashboard({ initial }: { initial: { range: RangeName; model: string | null; series: MetricsSeries; processes: ProcessTable; pipeline: PipelinePanel } }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<RangeName>(initial.range);
  const [model, setModel] = useState<string | null>(initial.model);
  const [latencyOf, setLatencyOf] = useState<string>('');
  const input = { range, ...(model ? { model } : {}) };
  const same = range === initial.range && model === initial.model;
  const every = pollMs(range);
  const series = useQuery({
    ...trpc.monitoring.series.queryOptions(input),
    initialData: same ? initial.series : undefined,
    refetchInterval: every,
    placeholderData: (prev) => prev,
  });
  const processes = useQuery({ ...trpc.monitoring.processes.queryOptions(), initialData: initial.processes, refetchInterval: Math.max(every, 15_000) });
  const pipeline = useQuery({ ...trpc.monitoring.pipeline.queryOptions(), initialData: initial.pipeline, refetchInterval: Math.max(every, 10_000) });

  // The URL keeps the choice (reload and links show the same view).
  useEffect(() => {
    const u = new URL(window.location.href);
    u.searchParams.set('range', range);
    if (model) u.searchParams.set('model', model);
    else u.searchParams.delete('model');
    window.history.replaceState(null, '', u);
  }, [range, model]);

  const s = series.data;
  const keys = (s?.versions ?? []).map((v) => v.key);
  const latencyVersion = latencyOf && keys.includes(latencyOf) ? latencyOf : null;
  const stale = series.isPlaceholderData || series.isFetching;
  // Not on the server nor during hydration: with initialData, dataUpdatedAt is the moment the query was created —
  // one time on the server, a later one in the browser — and the text would not match (React error #418).
  const mounted = useMounted();
  const updated = mounted && series.dataUpdatedAt ? `${timeOfDay(series.dataUpdatedAt)} UTC` : '—';
  const models = s?.models ?? [];

  return (
    <div className="stack">
      <div className={`card ${styles.controls}`}>
        <div className={styles.rangeGroup} role="radiogroup" aria-label="Range">
          {RANGE_OPTIONS.map((o) => (
            <button key={o.value} type="button" role="radio" aria-checked={range === o.value} className={range === o.value ? 'primary' : ''} onClick={() => setRange(o.value)}>
              {o.label}
            </button>
          ))}
        </div>
        <label className={styles.inline}>
          Model
          <select value={model ?? ''} onChange={(e) => setModel(e.target.value || null)}>
            <option value="">all models</option>
            {models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <span className={`muted small ${styles.updated}`} aria-live="polite" data-testid="metrics-updated">
          updated {updated}
          {stale ? ' · refreshing…' : ''} · every {every / 1000} s
        </span>
        <ErrorAlert error={series.error} inline />
      </div>

      {!s ? (
        <p className="muted">Loading…</p>
      ) : s.rows === 0 ? (
        <>
          <NoRollups s={s} />
          {s.share.length ? <ShareChart s={s} /> : null}
        </>
      ) : (
        <>
          <div className="grid cols-4" data-testid="metrics-stats">
            <Stat testId="stat-requests" label="Requests" value={int(s.totals.requests)} sub={`${compact(s.totals.rps)} req/s over ${rangeLabel(s.range)}`} />
            <Stat testId="stat-latency" label="Latency p95" value={ms(s.totals.p95Ms)} sub={`p50 ${ms(s.totals.p50Ms)} · p99 ${ms(s.totals.p99Ms)}`} />
            <Stat testId="stat-errors" label="Error rate" value={pct(s.totals.errorRate, 2)} sub={`${int(s.totals.errors4xx)} 4xx · ${int(s.totals.errors5xx)} 5xx`} />
            <Stat testId="stat-cache" label="Cache hits" value={pct(s.totals.cacheHitRate)} sub={`${int(s.totals.predictions)} answered · ${pct(s.totals.imputedShare)} imputed`} />
          </div>
          <div className={styles.grid}>
            <ThroughputChart s={s} keys={keys} />
            <LatencyChart
              s={s}
              version={latencyVersion}
              control={
                <label className={styles.inline}>
                  Latency of
                  <select value={latencyVersion ?? ''} onChange={(e) => setLatencyOf(e.target.value)}>
                    <option value="">all versions</option>
                    {keys.map((k) => (
                      <option key={k} value={k}>
                        {k}
                      </option>
                    ))}
                  </select>
                </label>
              }
            />
            <ShareChart s={s} />
            <ClassMixChart s={s} />
            <RateChart s={s} field="errorRate" title="Error rate" testId="chart-errors" color="#c0362c" total={s.totals.errorRate} note="requests (4xx and 5xx)" />
            <RateChart s={s} field="cacheHitRate" title="Cache-hit rate" testId="chart-cache" color="#0f7554" total={s.totals.cacheHitRate} note="cache lookups" />
            <BatchChart s={s} />
            <RateChart s={s} field="imputedShare" title="Imputed share" testId="chart-imputed" color="#a16207" total={s.totals.imputedShare} note="answered requests with a missing indicator" />
            <ConfidenceChart s={s} />
            <TopSymbolsChart s={s} />
          </div>
        </>
      )}

      <section className="card">
        <h2>Processes</h2>
        <ProcessesTable data={processes.data} />
      </section>
      <section className="card">
        <h2>Training and queue</h2>
        <PipelineCard data={pipeline.data} />
      </section>
    </div>
  );
}
