'use client';
import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { CommentField, OutcomeLine, READ_ONLY, Reason, useChangeOutcome } from './change';
import { SplitPreviewChart } from './charts';
import { rebalance, sameSplit, splitChanges, splitText, total } from './sliders';
import { CHAMPION, canaryActive, servable, type PromotionState } from './types';
import styles from './Promotion.module.css';

interface Draft {
  /** The revision the edit started from (sent with Apply: a change in between answers 409). */
  revision: number;
  values: number[];
}

/**
 * A/B traffic sliders, one per version that may get traffic, linked so the total stays 100 (moving one shares the
 * rest among the others in proportion; "hold" keeps one where it is). The preview shows the split now and after
 * Apply; Apply needs a comment and sends the revision the edit started from.
 */
export function TrafficPanel({ state, canEdit }: { state: PromotionState; canEdit: boolean }) {
  const trpc = useTRPC();
  const champ = state.champion;
  // Champion first, then the others by version: every version that may get traffic, and any that has some.
  const rows = state.versions.filter((v) => servable(v) || v.percent > 0).sort((a, b) => (a.version === champ ? -1 : b.version === champ ? 1 : a.version - b.version));
  const current = rows.map((v) => v.percent);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [anchor, setAnchor] = useState<{ index: number; values: number[] } | null>(null);
  const [held, setHeld] = useState<Set<number>>(new Set());
  const [comment, setComment] = useState('');
  // A draft from another set of rows (a version appeared or left) is dropped.
  const values = draft && draft.values.length === rows.length ? draft.values : current;
  const reset = () => {
    setDraft(null);
    setAnchor(null);
  };
  const out = useChangeOutcome(reset);
  const apply = useMutation(
    trpc.promotion.setSplit.mutationOptions({
      onSuccess: (r) => {
        reset();
        setComment('');
        out.onSuccess(r, state.snapshot);
      },
      onError: out.onError,
    }),
  );

  const canary = canaryActive(state.snapshot.canary) ? state.snapshot.canary : null;
  const locked = !canEdit || !!canary || rows.length < 2;
  const now = rows.map((v, i) => ({ version: v.version, percent: current[i] }));
  const next = rows.map((v, i) => ({ version: v.version, percent: values[i] }));
  const changed = !sameSplit(now, next);
  const sum = total(values);

  const move = (i: number, value: number) => {
    const a = anchor?.index === i ? anchor.values : values;
    if (anchor?.index !== i) setAnchor({ index: i, values });
    const heldIdx = new Set([...held].map((version) => rows.findIndex((r) => r.version === version)).filter((j) => j >= 0));
    setDraft({ revision: draft?.revision ?? state.revision, values: rebalance(a, i, value, heldIdx) });
    out.clear();
  };

  const why = !canEdit
    ? READ_ONLY
    : canary
      ? `A canary of v${canary.version.version} is ${canary.status} and owns the split (pausing does not release it): abort it in the Canary panel to set the split by hand.`
      : rows.length < 2
        ? rows.length
          ? `Only v${rows[0].version} can take traffic: a split needs a second candidate version (train one, or stop the shadow).`
          : 'No version can take traffic yet: only candidate versions (those that passed the gate) get traffic.'
        : null;
  const applyWhy = !changed ? 'Move a slider to change the split.' : sum !== 100 ? `The split sums to ${sum} %, not 100 %.` : !comment.trim() ? 'Say why in the comment: every change is recorded with its reason.' : null;

  return (
    <section className="card" data-testid="traffic-panel" aria-labelledby="traffic-title">
      <div className={styles.panelHead}>
        <h2 id="traffic-title">A/B traffic split</h2>
        <span className="muted small">
          revision {state.revision} · now <strong data-testid="configured-split">{splitText(now)}</strong>
        </span>
      </div>
      {rows.length ? (
        <div className={styles.sliders} role="group" aria-label="Traffic per version (linked: the total stays 100 %)">
          {rows.map((v, i) => {
            const id = `slider-${state.model}-v${v.version}`;
            const delta = values[i] - current[i];
            return (
              <div className={styles.slider} key={v.versionId} data-testid="split-slider" data-version={v.version}>
                <label htmlFor={id}>
                  <strong>v{v.version}</strong> <span className="muted">{v.modelType}</span>
                  {v.aliases.map((a) => (
                    <Badge key={a} tone={a === CHAMPION ? 'ok' : 'info'}>
                      {a}
                    </Badge>
                  ))}
                </label>
                <input
                  id={id}
                  type="range"
                  min={0}
                  max={100}
                  step={1}
                  value={values[i]}
                  disabled={locked}
                  aria-valuetext={`${values[i]} % of traffic${delta ? ` (now ${current[i]} %)` : ''}`}
                  onChange={(e) => move(i, Number(e.target.value))}
                />
                <output htmlFor={id} aria-hidden="true">
                  {values[i]} %
                </output>
                <span className={styles.delta}>{delta ? `${delta > 0 ? '+' : '−'}${Math.abs(delta)}` : ''}</span>
                {rows.length > 2 && !locked ? (
                  <label className={styles.hold}>
                    <input
                      type="checkbox"
                      checked={held.has(v.version)}
                      onChange={(e) => {
                        const h = new Set(held);
                        if (e.target.checked) h.add(v.version);
                        else h.delete(v.version);
                        setHeld(h);
                        setAnchor(null);
                      }}
                    />{' '}
                    hold v{v.version} (the others share the rest)
                  </label>
                ) : null}
              </div>
            );
          })}
        </div>
      ) : null}
      {why ? <Reason testId="traffic-reason">{why}</Reason> : null}
      {rows.length ? (
        <>
          <p className={styles.preview} aria-live="polite" data-testid="split-preview-text">
            {locked ? null : changed ? (
              <>
                New split: <strong>{splitText(next)}</strong> <span className="muted">(now {splitText(now)}; {splitChanges(now, next).filter((c) => c.from !== c.to).map((c) => `v${c.version} ${c.from} → ${c.to} %`).join(', ')})</span>
              </>
            ) : (
              <span className="muted">No change yet: drag a slider (or focus one and use the arrow keys) to preview a new split.</span>
            )}{' '}
            {locked ? null : <span className={`muted ${styles.total}`}>Total {sum} %.</span>}
          </p>
          <SplitPreviewChart versions={rows.map((v) => v.version)} now={now} next={locked ? null : next} />
        </>
      ) : null}
      {canEdit && !locked ? (
        <form
          className="form-row"
          style={{ marginTop: 10 }}
          aria-label="Apply the new split"
          onSubmit={(e) => {
            e.preventDefault();
            if (applyWhy) return;
            apply.mutate({ model: state.model, split: next, comment: comment.trim(), revision: draft?.revision ?? state.revision });
          }}
        >
          <CommentField value={comment} onChange={setComment} placeholder="e.g. GRU challenger on a quarter of traffic" />
          <button type="submit" className="primary" disabled={!!applyWhy || apply.isPending}>
            {apply.isPending ? 'Applying…' : 'Apply'}
          </button>
          <button type="button" disabled={!changed || apply.isPending} onClick={reset}>
            Reset
          </button>
        </form>
      ) : null}
      {canEdit && !locked && applyWhy && (changed || comment) ? <Reason testId="apply-reason">{applyWhy}</Reason> : null}
      <OutcomeLine outcome={out.outcome} testId="traffic-outcome" revision={state.revision} />
    </section>
  );
}
