'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { useMounted } from '@/components/ui/useNow';
import { isActive, type RunListRow, type RunResult, type StageView } from './types';
import { dateTime, duration, pct, num, runDuration, runOrigin, runTone, versionTone } from './format';
import styles from './RunsTable.module.css';

/** Progress of a run: epochs done of planned, the stage it is in. */
function RunProgress({ run }: { run: RunListRow }) {
  const stages: StageView[] = run.stages ?? [];
  const current = stages.find((s) => s.status === 'running')?.name;
  const failed = stages.find((s) => s.status === 'failed');
  const done = stages.filter((s) => s.status === 'done').length;
  const total = Math.max(1, run.totalEpochs ?? 1);
  const frac = run.status === 'succeeded' ? 1 : Math.min(1, (run.epochs ?? 0) / total);
  return (
    <div className="run-progress">
      <div className={`progress${run.status === 'failed' ? ' bad' : run.status === 'cancelled' ? ' muted-bar' : ''}`} role="progressbar" aria-label={`Run ${run.id.slice(0, 8)} epochs`} aria-valuetext={`${run.epochs ?? 0} of ${total} epochs`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={run.epochs ?? 0}>
        <div style={{ width: `${Math.round(frac * 100)}%` }} />
      </div>
      <div className="muted small">
        {run.epochs ?? 0}/{total} epochs
        {run.status === 'running' && current ? ` · ${current}` : ''}
        {run.status === 'queued' ? ' · waiting for a worker' : ''}
        {run.status === 'succeeded' && (run.epochs ?? 0) < total ? ' · stopped early' : ''}
        {run.status === 'failed' && failed ? ` · failed in ${failed.name}` : ''}
        {run.status === 'succeeded' ? ` · ${done}/${stages.length} stages` : ''}
      </div>
    </div>
  );
}

/** Training runs, newest first; polls every 2 s while one is queued or running. */
export function RunsTable({ initialRuns, modelName }: { initialRuns: RunListRow[]; modelName?: string }) {
  const trpc = useTRPC();
  const input = { limit: 50, ...(modelName ? { modelName } : {}) };
  const q = useQuery({
    ...trpc.training.list.queryOptions(input),
    initialData: initialRuns,
    refetchInterval: (query) => ((query.state.data ?? []).some((r) => isActive(r.status)) ? 2000 : false),
  });
  const runs = q.data ?? [];
  // Running runs' durations need a clock: none on the server and during hydration (the two would differ), '—' then.
  const mounted = useMounted();
  const now = mounted ? q.dataUpdatedAt || Date.now() : null;
  return (
    <div className={`table-wrap ${styles.wrap}`}>
      <table data-testid="runs-table" className={styles.table}>
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th>Model</th>
            <th>Dataset</th>
            <th style={{ minWidth: 180 }}>Progress</th>
            <th>Duration</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const res: RunResult | null = r.result;
            return (
              <tr key={r.id} data-run={r.id} data-status={r.status}>
                <td data-label="Run">
                  <Link href={`/training/${r.id}`} className="mono">
                    {r.id.slice(0, 8)}
                  </Link>
                  <div className="muted small" data-testid="run-origin">
                    {dateTime(r.createdAt)} · {runOrigin(r.trigger, r.createdBy)}
                  </div>
                </td>
                <td data-label="Status">
                  <Badge tone={runTone(r.status)}>{r.status}</Badge>
                </td>
                <td data-label="Model">
                  {r.modelName}
                  <div className="muted small">{r.modelType}</div>
                </td>
                <td data-label="Dataset">{r.dataset}</td>
                <td data-label="Progress" className={styles.wide}>
                  <RunProgress run={r} />
                </td>
                <td data-label="Duration">{duration(now === null && !r.endedAt ? null : runDuration(r.startedAt, r.endedAt, now ?? 0))}</td>
                <td data-label="Result">
                  {res ? (
                    <>
                      <Link href={`/models/${encodeURIComponent(res.model)}/v${res.version}`}>v{res.version}</Link> <Badge tone={versionTone(res.status)}>{res.status}</Badge>
                      <div className="muted small">
                        acc {pct(res.accuracy)} · F1 {num(res.macroF1, 2)}
                      </div>
                    </>
                  ) : r.error ? (
                    <span className="muted small clamp" title={r.error}>
                      {r.error}
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
