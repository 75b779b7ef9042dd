'use client';
import type { ChangeEvent } from 'react';
import type { CanaryDraft } from './forms';
import type { CanaryCheckDef } from './types';
import styles from './Promotion.module.css';

/** Canary settings (steps, interval, threshold and checks), edited as text: the new-version policy and a canary start share it. */
export function CanaryFields({ draft, onChange, checks, disabled, idPrefix }: { draft: CanaryDraft; onChange: (d: CanaryDraft) => void; checks: CanaryCheckDef[]; disabled?: boolean; idPrefix: string }) {
  const set = (k: Exclude<keyof CanaryDraft, 'extraChecks'>) => (e: ChangeEvent<HTMLInputElement>) => onChange({ ...draft, [k]: e.target.value });
  const pluggable = checks.filter((c) => !c.builtIn);
  return (
    <fieldset className={styles.fieldset} disabled={disabled} data-testid={`${idPrefix}-canary-fields`}>
      <legend>Canary steps and checks</legend>
      <div className="form-row">
        <label>
          Steps (% of traffic)
          <input value={draft.steps} onChange={set('steps')} size={16} className="mono" placeholder="10, 25, 50, 100" />
        </label>
        <label>
          Interval (s)
          <input type="number" className="num" min={10} max={604800} step={1} value={draft.intervalSeconds} onChange={set('intervalSeconds')} />
        </label>
        <label>
          Failed checks before rollback
          <input type="number" className="num" min={1} max={100} step={1} value={draft.threshold} onChange={set('threshold')} />
        </label>
        <label>
          Max error rate (%)
          <input type="number" className="num" min={0} max={100} step="any" value={draft.maxErrorRatePct} onChange={set('maxErrorRatePct')} />
        </label>
        <label>
          Max p99 latency (ms)
          <input type="number" className="num" min={1} max={600000} step="any" value={draft.maxP99Ms} onChange={set('maxP99Ms')} />
        </label>
        <label>
          Min requests per step
          <input type="number" className="num" min={1} step={1} value={draft.minRequests} onChange={set('minRequests')} />
        </label>
      </div>
      {pluggable.length ? (
        <div className="checks" style={{ marginTop: 8 }}>
          <span className="muted small">Also check:</span>
          {pluggable.map((c) => (
            <label key={c.id} title={c.description}>
              <input
                type="checkbox"
                checked={draft.extraChecks.some((e) => e.id === c.id)}
                onChange={(e) =>
                  onChange({ ...draft, extraChecks: e.target.checked ? [...draft.extraChecks, { id: c.id, params: {} }] : draft.extraChecks.filter((x) => x.id !== c.id) })
                }
              />{' '}
              <span className="mono">{c.id}</span> <span className="muted small">({c.unit})</span>
            </label>
          ))}
        </div>
      ) : null}
      <p className="muted hint" style={{ marginTop: 6 }}>
        At the end of each step the workers check the canary&apos;s own traffic over the step: error rate, p99 latency and enough requests{pluggable.length ? ', plus the checks ticked' : ''}. All pass → the next step (after the last, it
        becomes champion); each failure counts, and at the threshold the champion gets 100 % back.
      </p>
    </fieldset>
  );
}
