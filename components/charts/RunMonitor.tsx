'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { useMounted } from '@/components/ui/useNow';
import { CancelRunButton } from '@/components/forms/CancelRunButton';
import { TrainingCurves } from './TrainingCurves';
import { StageStepper } from './StageStepper';
import { GateVerdict } from './GateVerdict';
import { isActive, runParts, versionParts, type RunRow, type RunResult } from './types';
import { dateOnly, dateTime, duration, pct, num, runDuration, runTone, timeOfDay, hourMinute, versionTone } from './format';
import { runLogLines } from './runLog';

/** What the run registered: the version, its gate verdict with reasons (from the registry). */
function RunOutcome({ result }: { result: RunResult }) {
  const trpc = useTRPC();
  const v = useQuery(trpc.registry.get.queryOptions({ model: result.model, version: result.version }, { staleTime: 60_000 }));
  const href = `/models/${encodeURIComponent(result.model)}/v${result.version}`;
  return (
    <div className="card" data-testid="run-result">
      <h2>Result</h2>
      <p style={{ marginTop: 0 }}>
        Registered{' '}
        <Link href={href} data-testid="version-link">
          {result.model} v{result.version}
        </Link>{' '}
        <Badge tone={versionTone(result.status)}>{result.status}</Badge> · test accuracy {pct(result.accuracy)} · macro-F1 {num(result.macroF1)}
      </p>
      {v.data ? <GateVerdict gate={versionParts(v.data).gate} compact /> : v.error ? <div className="error">{v.error.message}</div> : <p className="muted">Loading the gate verdict…</p>}
    </div>
  );
}

/**
 * A training run, live: polls `training.get` every 1.5 s while the run is queued or running and redraws the stats,
 * curves, stages and log lines; stops polling when it ends.
 */
export function RunMonitor({ initialRun, canEdit }: { initialRun: RunRow; canEdit: boolean }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.training.get.queryOptions({ id: initialRun.id }),
    initialData: initialRun,
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 1500 : false),
  });
  const run = q.data ?? initialRun;
  const parts = runParts(run);
  const { history, logs, result, params } = parts;
  const active = isActive(run.status);
  // A run cancelled while queued never touches its stages: once it has ended, a pending stage will not run.
  const stages = active ? parts.stages : parts.stages.map((s) => (s.status === 'pending' ? { ...s, status: 'skipped' as const } : s));
  // A running run's elapsed time needs a clock: none on the server and during hydration (the two would differ).
  const mounted = useMounted();
  const now = mounted ? q.dataUpdatedAt || Date.now() : null;
  const last = history.at(-1);
  const best = history.filter((h) => h.best).at(-1);
  const current = stages.find((s) => s.status === 'running');
  const failed = stages.find((s) => s.status === 'failed');
  const elapsed = now === null && !run.endedAt ? null : runDuration(run.startedAt, run.endedAt, now ?? 0);
  const logLines = runLogLines(logs, history, parts.stages);

  return (
    <div className="stack" data-testid="run-monitor" data-status={run.status}>
      <div className="grid cols-4">
        <div className="card stat">
          <div className="label">Status</div>
          <div className="value">
            <Badge tone={runTone(run.status)}>
              <span data-testid="run-status">{run.status}</span>
            </Badge>
          </div>
          <div className="sub">{run.status === 'running' && current ? `stage: ${current.name}` : run.status === 'queued' ? 'waiting for a worker' : run.workerId ? `on ${run.workerId}` : ' '}</div>
        </div>
        <div className="card stat">
          <div className="label">Epoch</div>
          <div className="value" data-testid="run-epoch">
            {last ? last.epoch : 0} / {params.epochs}
          </div>
          <div className="sub">{best ? `best: epoch ${best.epoch}, val loss ${num(best.valLoss)}` : 'no epoch finished yet'}</div>
        </div>
        <div className="card stat">
          <div className="label">{active ? 'Elapsed' : 'Duration'}</div>
          <div className="value">{duration(elapsed)}</div>
          <div className="sub">{run.startedAt ? `started ${dateTime(run.startedAt)} UTC` : `queued ${dateTime(run.createdAt)} UTC`}</div>
        </div>
        <div className="card stat">
          <div className="label">{active ? 'ETA (training)' : 'Ended'}</div>
          <div className="value">
            {!active ? hourMinute(run.endedAt) : current?.name === 'train' && last && last.epoch < last.epochs ? duration(last.etaMs) : current && current.name !== 'train' && last ? 'training done' : '—'}
          </div>
          <div className="sub">
            {!active
              ? dateOnly(run.endedAt)
              : current && current.name !== 'train'
                ? current.name === 'collect data' || current.name === 'features' || current.name === 'labels and samples'
                  ? 'preparing the data'
                  : `stage: ${current.name}`
                : last
                  ? `${duration(last.elapsedMs)} training so far; early stopping may end sooner`
                  : 'known after the first epoch'}
          </div>
        </div>
      </div>

      {active && canEdit ? (
        <div className="card run-actions">
          <span className="muted">This run is {run.status}. Cancelling stops it at the next epoch or stage; nothing is registered.</span>
          <CancelRunButton id={run.id} />
        </div>
      ) : null}
      {result ? <RunOutcome result={result} /> : null}
      {run.status === 'failed' ? (
        <div className="error" role="alert" data-testid="run-error">
          <strong>Failed{failed ? ` in stage “${failed.name}”` : ''}:</strong> {run.error ?? failed?.error ?? 'unknown error'}
        </div>
      ) : null}
      {run.status === 'cancelled' ? (
        <div className="notice muted-notice" data-testid="run-cancelled">
          {run.error ? (run.error.startsWith('cancelled') ? `C${run.error.slice(1)}` : `Cancelled: ${run.error}`) : 'Cancelled'}. No version was registered.
        </div>
      ) : null}

      <div className="card">
        <div className="chart-controls" style={{ justifyContent: 'space-between' }}>
          <h2 style={{ margin: 0 }}>Learning curves</h2>
          <span className="muted small">
            {params.modelType}
            {params.modelType !== 'logreg' ? ` · ${params.units} units` : ''} · window {params.window} · batch {params.batchSize} · lr {params.learningRate} · patience {params.patience} · seed {params.seed}
          </span>
        </div>
        <TrainingCurves history={history} totalEpochs={params.epochs} bestEpoch={best?.epoch ?? null} />
      </div>

      <div className="grid cols-2">
        <div className="card">
          <h2>Stages</h2>
          <StageStepper stages={stages} now={now} />
        </div>
        <div className="card">
          <h2>Log</h2>
          {logLines.length ? (
            <ol className="log" data-testid="run-log" tabIndex={0} aria-label="Run log">
              {logLines.map((l, i) => (
                <li key={i} data-kind={l.kind} {...(l.epoch != null ? { 'data-epoch': l.epoch } : {})}>
                  <time className="muted" dateTime={l.at ?? undefined}>
                    {l.at ? timeOfDay(l.at) : '--:--:--'}
                  </time>{' '}
                  {l.msg}
                </li>
              ))}
            </ol>
          ) : (
            <p className="muted">{active ? 'No log line yet.' : 'No log lines: the run never started.'}</p>
          )}
        </div>
      </div>
    </div>
  );
}
