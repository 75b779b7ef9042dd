'use client';
import { useState, type ReactNode } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { errorText } from '@/components/forms/trpcError';
import { Reason } from '@/components/promotion/change';
import { policyDirty, policyDraftOf, policyOf, policyText, type PolicyDraft } from './logic';
import { DRIFT_READ_ONLY } from './RunPanel';
import { RETRAIN_OPTIONS, type DriftPolicy } from './types';
import promo from '@/components/promotion/Promotion.module.css';
import styles from './Drift.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

type TextKey = { [K in keyof PolicyDraft]: PolicyDraft[K] extends string ? K : never }[keyof PolicyDraft];

/**
 * The model's drift policy: thresholds (per model), the daily check (hour UTC, window), and drift-triggered retraining
 * (off / on dataset drift / on live-accuracy drift / on either, cool-down, daily cap, training window). Analysts see
 * the form disabled, with the reason.
 */
export function PolicyPanel({ model, policy, canEdit }: { model: string; policy: DriftPolicy; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const d = draft ?? policyDraftOf(policy);
  const edit = (next: Partial<PolicyDraft>) => setDraft({ ...d, ...next });
  const save = useMutation(
    trpc.drift.setPolicy.mutationOptions({
      onSuccess: (r) => {
        setDraft(null);
        setOutcome({ kind: 'ok', text: `Saved: ${policyText(r.policy)}.` });
        void qc.invalidateQueries(trpc.drift.policy.pathFilter());
      },
      onError: (e) => setOutcome({ kind: 'error', text: errorText(e) }),
    }),
  );
  const parsed = policyOf(d);
  const dirty = policyDirty(d, policy);
  const id = `drift-policy-${model}`;
  const field = (key: TextKey, label: ReactNode, props: { min?: number; max?: number; step?: number | 'any'; placeholder?: string } = {}) => (
    <label>
      {label}
      <input type="number" value={d[key]} onChange={(e) => edit({ [key]: e.target.value })} step={props.step ?? 'any'} min={props.min} max={props.max} placeholder={props.placeholder} />
    </label>
  );

  return (
    <section className="card" data-testid="drift-policy" aria-labelledby={`${id}-title`}>
      <div className={promo.panelHead}>
        <h2 id={`${id}-title`}>Drift policy</h2>
      </div>
      <p data-testid="drift-policy-now" className={styles.summary}>
        Now: <strong>{policyText(policy)}</strong>.
      </p>
      <form
        className="stack"
        style={{ gap: 10 }}
        aria-label="Edit the drift policy"
        onSubmit={(e) => {
          e.preventDefault();
          if ('errors' in parsed) return;
          setOutcome(null);
          save.mutate({ model, policy: parsed.policy });
        }}
      >
        <fieldset className="stack" style={{ gap: 10, border: 'none', padding: 0, margin: 0, minWidth: 0 }} disabled={!canEdit || save.isPending}>
          <fieldset className={promo.fieldset}>
            <legend>Thresholds</legend>
            <div className={styles.numbers}>
              {field('ksPValue', 'KS p-value below', { min: 0, max: 0.5 })}
              {field('wasserstein', 'Wasserstein / std at least', { min: 0, max: 10 })}
              {field('datasetSharePct', 'Dataset drift: inputs drifted (%)', { min: 0, max: 100 })}
              {field('predictionJs', 'Class mix: Jensen–Shannon at least', { min: 0, max: 1 })}
              {field('minSamples', 'Minimum samples', { min: 10, step: 1 })}
              {field('minOutcomes', 'Minimum outcomes', { min: 10, step: 1 })}
            </div>
          </fieldset>
          <fieldset className={promo.fieldset}>
            <legend>Daily check</legend>
            <div className={styles.numbers}>
              <label className={styles.radio}>
                <input type="checkbox" checked={d.scheduleEnabled} onChange={(e) => edit({ scheduleEnabled: e.target.checked })} /> run every day
              </label>
              <label>
                Hour (UTC)
                <select value={d.hourUtc} onChange={(e) => edit({ hourUtc: e.target.value })} disabled={!d.scheduleEnabled}>
                  {Array.from({ length: 24 }, (_, h) => (
                    <option key={h} value={String(h)}>
                      {String(h).padStart(2, '0')}:00
                    </option>
                  ))}
                </select>
              </label>
              {field('windowHours', 'Window (hours of requests)', { min: 1, max: 24 * 90, step: 1 })}
            </div>
          </fieldset>
          <fieldset className={promo.fieldset}>
            <legend>Retraining on drift</legend>
            <div className={promo.modes} role="radiogroup" aria-label="Retrain">
              {RETRAIN_OPTIONS.map((o) => (
                <label key={o.value}>
                  <input type="radio" name={`${id}-retrain`} value={o.value} checked={d.retrainOn === o.value} onChange={() => edit({ retrainOn: o.value })} /> {o.label}
                </label>
              ))}
            </div>
            <div className={styles.numbers} style={{ marginTop: 8 }}>
              {field('cooldownHours', 'Cool-down (hours)', { min: 0, max: 24 * 90 })}
              {field('maxPerDay', 'At most runs per day', { min: 1, max: 48, step: 1 })}
              {field('trainingBars', 'Training bars (latest N)', { min: 500, step: 1, placeholder: 'whole dataset' })}
            </div>
          </fieldset>
          <ErrorAlert error={'errors' in parsed ? parsed.errors : null} />
          <div className="form-row">
            <button type="submit" className="primary" disabled={!canEdit || save.isPending || !dirty || 'errors' in parsed}>
              {save.isPending ? 'Saving…' : 'Save drift policy'}
            </button>
            <button type="button" disabled={!dirty || save.isPending} onClick={() => setDraft(null)}>
              Reset
            </button>
          </div>
        </fieldset>
        {canEdit ? null : <Reason testId="policy-read-only">{DRIFT_READ_ONLY}</Reason>}
      </form>
      {outcome ? (
        <div className={outcome.kind === 'error' ? 'error' : 'notice'} role={outcome.kind === 'error' ? 'alert' : 'status'} data-testid="drift-policy-outcome" data-kind={outcome.kind}>
          {outcome.text}
        </div>
      ) : null}
    </section>
  );
}
