'use client';
import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge, type Tone } from '@/components/ui/Badge';
import { useNow } from '@/components/ui/useNow';
import { actorLabel, dateTime } from '@/components/charts/format';
import { CommentField, OutcomeLine, READ_ONLY, Reason, VersionSelect, useChangeOutcome } from './change';
import { CanaryFields } from './CanaryFields';
import { canaryConfigOf, canaryDraftOf, type CanaryDraft } from './forms';
import { canaryConfigText, dueIn } from './describe';
import { canaryActive, servable, type CanaryCheckDef, type CanaryState, type CheckResult, type PromotionState } from './types';
import styles from './Promotion.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

const statusTone = (s: CanaryState['status']): Tone => (s === 'running' ? 'info' : s === 'paused' ? 'warn' : s === 'promoted' ? 'ok' : s === 'rolled_back' ? 'bad' : 'neutral');
const figure = (k: CheckResult) => (k.value === null ? 'no data' : `${Math.round(k.value * 100) / 100} ${k.unit}`);
/** min_requests is a lower bound; the others are upper bounds. */
const limitText = (k: CheckResult) => `${k.id === 'min_requests' ? '≥' : '≤'} ${Math.round(k.limit * 100) / 100} ${k.unit}`;

function ChecksTable({ checks }: { checks: CheckResult[] }) {
  return (
    <div className="table-wrap">
      <table className={`${styles.table} small`} data-testid="canary-checks">
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Figure</th>
            <th scope="col">Limit</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((k) => (
            <tr key={k.id} data-check={k.id} data-passed={k.passed}>
              <td className={styles.wrap} title={k.description}>
                <span className="mono">{k.id}</span>
                {k.detail ? <div className="muted">{k.detail}</div> : null}
              </td>
              <td>{figure(k)}</td>
              <td>{limitText(k)}</td>
              <td className={k.passed ? styles.pass : styles.fail}>{k.passed ? '✓ pass' : '✗ fail'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Progress({ c }: { c: CanaryState }) {
  // The countdown to the next check ticks in the browser only (null on the server and during hydration: see useNow).
  const now = useNow();
  const last = c.evaluations[c.evaluations.length - 1];
  return (
    <div data-testid="canary-progress" data-status={c.status}>
      <p style={{ margin: 0 }}>
        <strong>v{c.version.version}</strong> against champion v{c.champion.version}, started {dateTime(c.startedAt)} UTC by {actorLabel(c.startedBy)}
      </p>
      <ol className={styles.steps} aria-label="Canary steps">
        {c.config.steps.map((p, i) => {
          const done = i < c.step || c.status === 'promoted';
          const current = i === c.step && canaryActive(c);
          const failed = i === c.step && c.status === 'rolled_back';
          return (
            <li key={i} className={done ? styles.done : current ? styles.current : failed ? styles.failed : undefined} aria-current={current ? 'step' : undefined}>
              {done ? '✓ ' : failed ? '✗ ' : ''}
              {p} %
            </li>
          );
        })}
      </ol>
      <dl className={styles.facts}>
        <div>
          <dt>Step</dt>
          <dd data-testid="canary-step">
            {c.step + 1} of {c.config.steps.length} — {c.config.steps[c.step]} % since {dateTime(c.stepStartedAt)} UTC
          </dd>
        </div>
        <div>
          <dt>Next check</dt>
          <dd data-testid="canary-next">{c.nextCheckAt ? (now === null ? `at ${dateTime(c.nextCheckAt)} UTC` : `${dueIn(c.nextCheckAt, now)} (${dateTime(c.nextCheckAt)} UTC)`) : c.status === 'paused' ? 'paused: resume starts the step over' : '—'}</dd>
        </div>
        <div>
          <dt>Failed checks</dt>
          <dd>
            {c.failedChecks} of {c.config.threshold} allowed before rollback
          </dd>
        </div>
        <div>
          <dt>Settings</dt>
          <dd>{canaryConfigText(c.config)}</dd>
        </div>
      </dl>
      {c.endReason ? (
        <p className={c.status === 'rolled_back' ? 'error' : 'notice muted-notice'} data-testid="canary-end">
          Ended {dateTime(c.endedAt)} UTC: {c.endReason}
        </p>
      ) : null}
      {last ? (
        <>
          <h3>
            Last check: step {last.step + 1} at {last.percent} %, {dateTime(last.at)} UTC —{' '}
            <span className={last.passed ? styles.pass : styles.fail}>{last.passed ? 'passed' : 'failed'}</span>
          </h3>
          <ChecksTable checks={last.checks} />
        </>
      ) : (
        <p className="muted hint">No step has been checked yet: the first check is at the end of the first step.</p>
      )}
      {c.evaluations.length > 1 ? (
        <details className="advanced" style={{ marginTop: 8 }}>
          <summary>Earlier checks ({c.evaluations.length - 1})</summary>
          <ul className="small" style={{ margin: '6px 0 0', paddingLeft: 18 }}>
            {c.evaluations
              .slice(0, -1)
              .reverse()
              .map((e) => (
                <li key={e.at}>
                  {dateTime(e.at)} UTC · step {e.step + 1} ({e.percent} %) · <span className={e.passed ? styles.pass : styles.fail}>{e.passed ? 'passed' : 'failed'}</span>
                  {e.passed ? '' : `: ${e.checks.filter((k) => !k.passed).map((k) => `${k.id} ${figure(k)} (limit ${limitText(k)})`).join(', ')}`}
                </li>
              ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

/**
 * Canary: its progress (steps, the current one, the next check's time, every check's figure against its limit) and
 * pause / resume / abort; with none active, a form to start one on a candidate against the champion.
 */
export function CanaryPanel({ state, canEdit, checks }: { state: PromotionState; canEdit: boolean; checks: CanaryCheckDef[] }) {
  const trpc = useTRPC();
  const c = state.snapshot.canary;
  const active = canaryActive(c);
  const [comment, setComment] = useState('');
  const [version, setVersion] = useState('');
  const [custom, setCustom] = useState(false);
  const [draft, setDraft] = useState<CanaryDraft>(() => canaryDraftOf(state.snapshot.policy.canary));
  const out = useChangeOutcome();
  const opts = {
    onSuccess: (r: Parameters<typeof out.onSuccess>[0]) => {
      setComment('');
      out.onSuccess(r, state.snapshot);
    },
    onError: out.onError,
  };
  const start = useMutation(trpc.promotion.canary.start.mutationOptions(opts));
  const pause = useMutation(trpc.promotion.canary.pause.mutationOptions(opts));
  const resume = useMutation(trpc.promotion.canary.resume.mutationOptions(opts));
  const abort = useMutation(trpc.promotion.canary.abort.mutationOptions(opts));
  const pending = start.isPending || pause.isPending || resume.isPending || abort.isPending;
  const choices = state.versions.filter((v) => servable(v) && v.version !== state.champion);
  const target = version || String(choices[choices.length - 1]?.version ?? '');
  const cfg = custom ? canaryConfigOf(draft) : null;
  const control = { model: state.model, comment: comment.trim(), revision: state.revision };
  const noComment = !comment.trim();

  const startWhy = state.champion === null ? 'No champion yet: a canary steps a version up against the champion.' : !choices.length ? 'No other candidate version to run a canary with.' : null;

  return (
    <section className="card" data-testid="canary-panel" aria-labelledby="canary-title">
      <div className={styles.panelHead}>
        <h2 id="canary-title">Canary</h2>
        {c ? <Badge tone={statusTone(c.status)}>{c.status.replace('_', ' ')}</Badge> : <span className="muted small">none yet</span>}
      </div>
      {c ? <Progress c={c} /> : <p className="muted">No canary has run for this model. A canary gives a version a growing share of traffic step by step and promotes or rolls it back on its own.</p>}
      {!canEdit ? (
        <Reason>{READ_ONLY}</Reason>
      ) : active ? (
        <form className="form-row" style={{ marginTop: 10 }} aria-label="Control the canary" onSubmit={(e) => e.preventDefault()}>
          <CommentField value={comment} onChange={setComment} placeholder="e.g. pausing while the venue is closed" />
          {c.status === 'running' ? (
            <button type="button" disabled={pending || noComment} onClick={() => pause.mutate(control)}>
              Pause
            </button>
          ) : (
            <button type="button" className="primary" disabled={pending || noComment} onClick={() => resume.mutate(control)}>
              Resume
            </button>
          )}
          <button type="button" className="danger" disabled={pending || noComment} onClick={() => abort.mutate(control)}>
            Abort (champion gets 100 %)
          </button>
        </form>
      ) : startWhy ? (
        <Reason>{startWhy}</Reason>
      ) : (
        <form
          className="stack"
          style={{ gap: 10, marginTop: 10 }}
          aria-label="Start a canary"
          onSubmit={(e) => {
            e.preventDefault();
            if (cfg && 'errors' in cfg) return;
            start.mutate({ ...control, version: Number(target), ...(cfg && 'config' in cfg ? { config: cfg.config } : {}) });
          }}
        >
          <div className="form-row">
            <VersionSelect label="Version" value={target} onChange={setVersion} versions={choices} />
            <div className="checks">
              <label>
                <input type="checkbox" checked={custom} onChange={(e) => setCustom(e.target.checked)} /> other settings than the policy&apos;s
              </label>
            </div>
          </div>
          {custom ? <CanaryFields draft={draft} onChange={setDraft} checks={checks} idPrefix="start" /> : <p className="muted hint">Settings: {canaryConfigText(state.snapshot.policy.canary)}.</p>}
          <ErrorAlert error={cfg && 'errors' in cfg ? cfg.errors : null} />
          <div className="form-row">
            <CommentField value={comment} onChange={setComment} placeholder="e.g. GRU v2 beat the champion offline: step it up" />
            <button type="submit" className="primary" disabled={pending || noComment || !!(cfg && 'errors' in cfg)}>
              Start canary
            </button>
          </div>
          <p className="muted hint">Starting takes other challengers&apos; traffic back to the champion: the canary owns the split until it ends.</p>
        </form>
      )}
      {canEdit && (active || !startWhy) && noComment ? <Reason>Every change needs a comment.</Reason> : null}
      <OutcomeLine outcome={out.outcome} testId="canary-outcome" revision={state.revision} />
    </section>
  );
}
