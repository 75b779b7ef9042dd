'use client';
import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { CommentField, OutcomeLine, READ_ONLY, Reason, useChangeOutcome } from './change';
import { CanaryFields } from './CanaryFields';
import { policyDirty, policyDraftOf, policyOf, type PolicyDraft } from './forms';
import { policyText } from './describe';
import { POLICY_MODES, type CanaryCheckDef, type Policy, type PromotionState } from './types';
import styles from './Promotion.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

const MODE_TEXT: Record<Policy['mode'], string> = {
  none: 'none — registered without traffic',
  shadow: 'shadow — mirrored traffic only',
  fixed: 'fixed share from the champion',
  canary: 'canary — stepped, checked, automatic',
};

/**
 * What happens to a new version that passes the gate (training runs, schedules, drift retraining): none, shadow, a
 * fixed share (the trading team's 10 %) or a canary; and whether a model's first version becomes champion.
 */
export function PolicyPanel({ state, canEdit, checks }: { state: PromotionState; canEdit: boolean; checks: CanaryCheckDef[] }) {
  const trpc = useTRPC();
  const policy = state.snapshot.policy;
  const [draft, setDraft] = useState<{ revision: number; d: PolicyDraft } | null>(null);
  const [comment, setComment] = useState('');
  const d = draft?.d ?? policyDraftOf(policy);
  const edit = (next: PolicyDraft) => setDraft({ revision: draft?.revision ?? state.revision, d: next });
  const out = useChangeOutcome(() => setDraft(null));
  const save = useMutation(
    trpc.promotion.setPolicy.mutationOptions({
      onSuccess: (r) => {
        setDraft(null);
        setComment('');
        out.onSuccess(r, state.snapshot);
      },
      onError: out.onError,
    }),
  );
  const parsed = policyOf(d, policy);
  const dirty = policyDirty(d, policy);
  const id = `policy-${state.model}`;

  return (
    <section className="card" data-testid="policy-panel" aria-labelledby="policy-title">
      <div className={styles.panelHead}>
        <h2 id="policy-title">New-version policy</h2>
      </div>
      <p data-testid="policy-now">
        Now: <strong>{policyText(policy)}</strong>.
      </p>
      {canEdit ? (
        <form
          className="stack"
          style={{ gap: 10 }}
          aria-label="Edit the new-version policy"
          onSubmit={(e) => {
            e.preventDefault();
            if ('errors' in parsed) return;
            save.mutate({ model: state.model, policy: parsed.policy, comment: comment.trim(), revision: draft?.revision ?? state.revision });
          }}
        >
          <fieldset className={styles.fieldset}>
            <legend>A new version that passes the gate gets</legend>
            <div className={styles.modes}>
              {POLICY_MODES.map((m) => (
                <label key={m}>
                  <input type="radio" name={`${id}-mode`} value={m} checked={d.mode === m} onChange={() => edit({ ...d, mode: m })} /> {MODE_TEXT[m]}
                </label>
              ))}
            </div>
          </fieldset>
          {d.mode === 'fixed' ? (
            <div className="form-row">
              <label>
                Share from the champion (%)
                <input type="number" className="num" min={1} max={99} step={1} value={d.percent} onChange={(e) => edit({ ...d, percent: e.target.value })} />
              </label>
            </div>
          ) : null}
          {d.mode === 'shadow' ? (
            <div className="form-row">
              <label>
                Mirrored share of requests (%)
                <input type="number" className="num" min={0.1} max={100} step="any" value={d.shadowPercent} onChange={(e) => edit({ ...d, shadowPercent: e.target.value })} />
              </label>
            </div>
          ) : null}
          {d.mode === 'canary' ? <CanaryFields draft={d.canary} onChange={(canary) => edit({ ...d, canary })} checks={checks} idPrefix="policy" /> : null}
          <div className="checks">
            <label>
              <input type="checkbox" checked={d.firstBecomesChampion} onChange={(e) => edit({ ...d, firstBecomesChampion: e.target.checked })} /> a model&apos;s first version that passes the gate becomes champion with 100 %
            </label>
            <label>
              <input type="checkbox" checked={d.autoPromote} onChange={(e) => edit({ ...d, autoPromote: e.target.checked })} /> promote a challenger to champion once it is significantly better on live outcomes (always-valid test, α {policy.autoPromote?.alpha ?? 0.05})
            </label>
          </div>
          <ErrorAlert error={'errors' in parsed ? parsed.errors : null} />
          <div className="form-row">
            <CommentField value={comment} onChange={setComment} placeholder="e.g. new versions canary from now on" />
            <button type="submit" className="primary" disabled={save.isPending || !dirty || !comment.trim() || 'errors' in parsed}>
              {save.isPending ? 'Saving…' : 'Save policy'}
            </button>
            <button type="button" disabled={!dirty || save.isPending} onClick={() => setDraft(null)}>
              Reset
            </button>
          </div>
          {dirty && !comment.trim() ? <Reason>Say why in the comment: every change is recorded with its reason.</Reason> : null}
        </form>
      ) : (
        <Reason>{READ_ONLY}</Reason>
      )}
      <OutcomeLine outcome={out.outcome} testId="policy-outcome" revision={state.revision} />
    </section>
  );
}
