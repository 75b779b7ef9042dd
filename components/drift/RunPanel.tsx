'use client';
import Link from 'next/link';
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { errorText } from '@/components/forms/trpcError';
import { Reason } from '@/components/promotion/change';
import { readNumber, verdictOf } from './logic';
import { VersionOptions } from './VersionOptions';
import type { RunResult, VersionChoice } from './types';
import promo from '@/components/promotion/Promotion.module.css';
import styles from './Drift.module.css';

export const DRIFT_READ_ONLY = 'Analysts read drift reports; engineers and admins run checks and change the drift policy.';

type Outcome = { kind: 'ok'; report: RunResult } | { kind: 'error'; text: string };

/**
 * "Run drift check now": the window is the model's requests of the last N hours (what the daily check reads) or the
 * latest N bars of a dataset (e.g. the bars the trading app just appended); the version defaults to the champion.
 * The answer is the stored report — and what the retraining policy did about it.
 */
export function RunPanel({
  model,
  canEdit,
  versions,
  champion,
  datasets,
  defaultHours,
  onReport,
}: {
  model: string;
  canEdit: boolean;
  versions: VersionChoice[];
  champion: number | null;
  datasets: string[];
  defaultHours: number;
  onReport: (id: number) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const first = versions.find((v) => v.version === champion) ?? versions[0];
  const [kind, setKind] = useState<'requests' | 'dataset'>('requests');
  const [hours, setHours] = useState(String(defaultHours));
  const [dataset, setDataset] = useState(first?.dataset && datasets.includes(first.dataset) ? first.dataset : (datasets[0] ?? ''));
  const [bars, setBars] = useState('500');
  const [version, setVersion] = useState(first ? String(first.version) : '');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const run = useMutation(
    trpc.drift.run.mutationOptions({
      onSuccess: (r) => {
        setOutcome({ kind: 'ok', report: r });
        onReport(r.id);
        void qc.invalidateQueries(trpc.drift.pathFilter());
        void qc.invalidateQueries(trpc.outcomes.pathFilter());
      },
      onError: (e) => setOutcome({ kind: 'error', text: errorText(e) }),
    }),
  );
  const h = readNumber(hours, { label: 'hours', lo: 1, hi: 24 * 90, whole: true });
  const b = readNumber(bars, { label: 'bars', lo: 10, hi: 1_000_000, whole: true });
  const problem = !version ? 'the model has no version to check' : kind === 'requests' ? (typeof h === 'string' ? h : null) : !dataset ? 'no dataset to read' : typeof b === 'string' ? b : null;
  const id = `run-${model}`;

  return (
    <section className="card" data-testid="run-panel" aria-labelledby={`${id}-title`}>
      <div className={promo.panelHead}>
        <h2 id={`${id}-title`}>Run a drift check</h2>
      </div>
      <form
        className="stack"
        style={{ gap: 10 }}
        aria-label="Run a drift check"
        onSubmit={(e) => {
          e.preventDefault();
          if (problem) return;
          setOutcome(null);
          run.mutate({ model, version: Number(version), ...(kind === 'requests' ? { hours: h as number } : { dataset, bars: b as number }) });
        }}
      >
        <fieldset className={promo.fieldset} disabled={!canEdit || run.isPending}>
          <legend>Compare the reference with</legend>
          <div className="stack" style={{ gap: 8 }}>
            <div className="form-row">
              <label className={styles.radio}>
                <input type="radio" name={`${id}-kind`} value="requests" checked={kind === 'requests'} onChange={() => setKind('requests')} /> requests of the last
              </label>
              <label>
                Hours
                <input type="number" className="num" min={1} max={24 * 90} step={1} value={hours} onChange={(e) => setHours(e.target.value)} disabled={kind !== 'requests'} />
              </label>
            </div>
            <div className="form-row">
              <label className={styles.radio}>
                <input type="radio" name={`${id}-kind`} value="dataset" checked={kind === 'dataset'} onChange={() => setKind('dataset')} disabled={!datasets.length} /> latest bars of a dataset
              </label>
              <label>
                Bars
                <input type="number" className="num" min={10} max={1_000_000} step={1} value={bars} onChange={(e) => setBars(e.target.value)} disabled={kind !== 'dataset'} />
              </label>
              <label>
                Dataset
                <select value={dataset} onChange={(e) => setDataset(e.target.value)} disabled={kind !== 'dataset'}>
                  {datasets.map((d) => (
                    <option key={d} value={d}>
                      {d}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <div className="form-row">
              <label>
                Version
                <select value={version} onChange={(e) => setVersion(e.target.value)}>
                  <VersionOptions versions={versions} champion={champion} />
                </select>
              </label>
              <button type="submit" className="primary" disabled={!canEdit || run.isPending || !!problem}>
                {run.isPending ? 'Checking…' : 'Run drift check now'}
              </button>
            </div>
          </div>
        </fieldset>
        {canEdit ? problem ? <Reason>{problem}</Reason> : null : <Reason testId="run-read-only">{DRIFT_READ_ONLY}</Reason>}
      </form>
      {outcome?.kind === 'error' ? (
        <div className="error" role="alert" data-testid="run-outcome" data-kind="error">
          {outcome.text}
        </div>
      ) : outcome ? (
        <div className={`notice ${outcome.report.status === 'ok' ? '' : outcome.report.status === 'drift' ? styles.alarm : 'muted-notice'}`} role="status" data-testid="run-outcome" data-kind="ok">
          Report #{outcome.report.id}: {outcome.report.status === 'insufficient_data' ? null : <><strong>{verdictOf(outcome.report.status).text}</strong> — </>}
          {outcome.report.body.summary}
          {outcome.report.body.retraining ? (
            <>
              <br />
              Retraining: {outcome.report.body.retraining.reason}
              {outcome.report.body.retraining.runId ? (
                <>
                  {' '}
                  — <Link href={`/training/${outcome.report.body.retraining.runId}`}>open the run</Link>
                </>
              ) : null}
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
