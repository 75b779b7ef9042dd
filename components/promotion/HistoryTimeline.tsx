'use client';
import { useEffect, useRef, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { actorLabel, dateTime } from '@/components/charts/format';
import { CommentField, OutcomeLine, useChangeOutcome } from './change';
import { actionLabel, describeChange } from './describe';
import { splitText } from './sliders';
import type { HistoryRow, PromotionState } from './types';
import styles from './Promotion.module.css';

function RollbackForm({ entry, state, onClose, onDone }: { entry: HistoryRow; state: PromotionState; onClose: () => void; onDone: (done: { text: string; revision: number }) => void }) {
  const trpc = useTRPC();
  const [comment, setComment] = useState('');
  const out = useChangeOutcome();
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => ref.current?.querySelector('input')?.focus(), []);
  const rollback = useMutation(
    trpc.promotion.rollback.mutationOptions({
      onSuccess: (r) => {
        out.onSuccess(r);
        onDone({ text: r.changed ? `Rolled back: ${r.message ?? `restored the state after #${entry.id}`} — revision ${r.revision}.` : (r.message ?? 'Nothing to change: the state is already so.'), revision: r.revision });
        onClose();
      },
      onError: out.onError,
    }),
  );
  return (
    <>
      <form
        ref={ref}
        className="form-row"
        aria-label={`Roll back to the state after #${entry.id}`}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
        }}
        onSubmit={(e) => {
          e.preventDefault();
          rollback.mutate({ model: state.model, to: entry.id, comment: comment.trim(), revision: state.revision });
        }}
      >
        <CommentField value={comment} onChange={setComment} label="Why roll back?" placeholder="e.g. the GRU's live accuracy dropped" />
        <button type="submit" className="danger" disabled={rollback.isPending || !comment.trim()}>
          {rollback.isPending ? 'Rolling back…' : `Roll back to #${entry.id}`}
        </button>
        <button type="button" onClick={onClose} disabled={rollback.isPending}>
          Keep
        </button>
      </form>
      <p className="muted hint">Restores the split, aliases, policy, shadow and canary exactly as they were after this entry ({splitText(entry.after.split)}); the rollback is itself recorded.</p>
      <OutcomeLine outcome={out.outcome} testId="rollback-outcome" revision={state.revision} />
    </>
  );
}

/**
 * The model's promotion history as a timeline, newest first: who, when, what changed (before → after), why (the
 * comment, or the rule and its figures for automatic changes), and "roll back to this" on every earlier state.
 */
export function HistoryTimeline({ state, history, canEdit, onMore, more }: { state: PromotionState; history: HistoryRow[]; canEdit: boolean; onMore: () => void; more: boolean }) {
  const [open, setOpen] = useState<number | null>(null);
  const [done, setDone] = useState<{ text: string; revision: number } | null>(null);
  const newest = history[0]?.id;
  return (
    <section className="card" data-testid="history" aria-labelledby="history-title">
      <div className={styles.panelHead}>
        <h2 id="history-title">History</h2>
        <span className="muted small">every change, append-only · times in UTC</span>
      </div>
      {done && state.revision <= done.revision ? (
        <div className="notice" role="status" data-testid="rollback-done" style={{ margin: '0 0 12px' }}>
          {done.text}
        </div>
      ) : null}
      {history.length ? (
        <ol className={styles.timeline}>
          {history.map((h) => {
            const lines = describeChange(h.before, h.after);
            return (
              <li key={h.id} className={styles.entry} data-testid="history-entry" data-id={h.id} data-action={h.action}>
                <span className={`${styles.dot} ${h.automatic ? styles.auto : ''}`} aria-hidden="true" />
                <div>
                  <div className={styles.entryHead}>
                    <strong>{actionLabel(h.action)}</strong>
                    <span>{dateTime(h.at)}</span>
                    <span>
                      by <strong data-testid="history-actor">{actorLabel(h.actor)}</strong>
                    </span>
                    <span className="muted">
                      #{h.id} · revision {h.revision}
                    </span>
                    {h.automatic ? <Badge>automatic: {h.automatic.rule}</Badge> : null}
                    {h.id === newest ? <Badge tone="ok">current state</Badge> : null}
                  </div>
                  <div className={styles.entryBody}>
                    {h.comment ? (
                      <p className={styles.comment} data-testid="history-comment">
                        {h.comment}
                      </p>
                    ) : null}
                    {h.automatic ? <p className={styles.comment}>{h.automatic.message}</p> : null}
                    {lines.length ? (
                      <ul>
                        {lines.map((l) => (
                          <li key={l}>{l}</li>
                        ))}
                      </ul>
                    ) : (
                      <p className="muted" style={{ margin: '4px 0 0' }}>
                        no change to the state
                      </p>
                    )}
                  </div>
                  {canEdit && h.id !== newest ? (
                    <div className={styles.entryActions}>
                      {open === h.id ? (
                        <RollbackForm entry={h} state={state} onClose={() => setOpen(null)} onDone={setDone} />
                      ) : (
                        <button
                          type="button"
                          aria-label={`Roll back to this: the state after #${h.id} (${actionLabel(h.action)}, ${dateTime(h.at)})`}
                          onClick={() => {
                            setOpen(h.id);
                            setDone(null);
                          }}
                        >
                          Roll back to this
                        </button>
                      )}
                    </div>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted">No change has been recorded for this model yet: its first version that passes the gate, and every change after it, will appear here.</p>
      )}
      {more ? (
        <button type="button" onClick={onMore}>
          Show older entries
        </button>
      ) : null}
    </section>
  );
}
