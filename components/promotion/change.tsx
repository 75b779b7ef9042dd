'use client';
import { useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { errorText } from '@/components/forms/trpcError';
import { RANGE_OPTIONS, type RangeName } from '@/components/charts/metrics/types';
import { staleConflict } from './forms';
import { describeChange } from './describe';
import type { ChangeResult, Snapshot } from './types';
import styles from './Promotion.module.css';

export interface Outcome {
  kind: 'ok' | 'same' | 'stale' | 'error';
  text: string;
  /** The revision it speaks of: once the page shows a later one, the line is old news and goes. */
  revision?: number;
}

/** Refetches everything the Promotion pages show (state, history, shadow, overview) and the live share. */
export function useRefreshPromotion() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries(trpc.promotion.pathFilter()), qc.invalidateQueries(trpc.monitoring.series.pathFilter())]);
}

/**
 * What a change answered, for the panel that made it: the server's message on success; on a stale revision (409 with
 * the current state) "changed by someone else — reloaded", the page refetched and the panel's draft dropped
 * (`onStale`); any other error as it came.
 */
export function useChangeOutcome(onStale?: () => void) {
  const refresh = useRefreshPromotion();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  return {
    outcome,
    clear: () => setOutcome(null),
    /** `before`: the state the change was made on, to say what changed when the server's answer has no message. */
    onSuccess: (r: ChangeResult, before?: Snapshot) => {
      const what = r.message ?? (before ? describeChange(before, r.snapshot).join('; ') : '');
      setOutcome(
        r.changed
          ? { kind: 'ok', text: `Applied${what ? `: ${what}` : ''} — revision ${r.revision}.`, revision: r.revision }
          : { kind: 'same', text: r.message ?? 'Nothing to change: the state is already so.', revision: r.revision },
      );
      void refresh();
    },
    onError: (e: unknown) => {
      const stale = staleConflict(e);
      if (stale) {
        setOutcome({ kind: 'stale', text: `Changed by someone else — reloaded (now revision ${stale.revision}). Check the current state and apply again.`, revision: stale.revision });
        onStale?.();
        void refresh();
      } else setOutcome({ kind: 'error', text: errorText(e) });
    },
  };
}

/** The outcome of the panel's last change, while the page still shows that revision (`revision`: the page's). */
export function OutcomeLine({ outcome, testId, revision }: { outcome: Outcome | null; testId: string; revision: number }) {
  if (!outcome || (outcome.revision !== undefined && revision > outcome.revision)) return null;
  if (outcome.kind === 'error')
    return (
      <div className="error" role="alert" data-testid={testId} data-kind={outcome.kind}>
        {outcome.text}
      </div>
    );
  return (
    <div className={`notice ${outcome.kind === 'stale' ? styles.warn : outcome.kind === 'same' ? 'muted-notice' : ''}`} role="status" data-testid={testId} data-kind={outcome.kind}>
      {outcome.text}
    </div>
  );
}

/** The required "why" of every change (the API answers 400 without one). */
export function CommentField({ value, onChange, label = 'Comment (why)', placeholder = 'e.g. GRU beat the LSTM on macro-F1; try it on a quarter of traffic', disabled }: { value: string; onChange: (v: string) => void; label?: string; placeholder?: string; disabled?: boolean }) {
  return (
    <label className={styles.grow}>
      {label}
      <input type="text" value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} maxLength={2000} required disabled={disabled} />
    </label>
  );
}

/** Why a control is disabled, said next to it (analysts read; a canary owns the split; …). */
export function Reason({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <p className="muted hint" data-testid={testId}>
      {children}
    </p>
  );
}

export const READ_ONLY = 'Analysts read the promotion state; engineers and admins change it.';

/** A labelled select of versions ("v2 (gru)"); `extra` is listed first (e.g. the current shadow, no longer a choice). */
export function VersionSelect({ label, value, onChange, versions, extra }: { label: string; value: string; onChange: (v: string) => void; versions: { versionId: string; version: number; modelType: string }[]; extra?: number | null }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {extra != null && !versions.some((v) => v.version === extra) ? <option value={extra}>v{extra}</option> : null}
        {versions.map((v) => (
          <option key={v.versionId} value={v.version}>
            v{v.version} ({v.modelType})
          </option>
        ))}
      </select>
    </label>
  );
}

/** The range of a live panel (15 min … 7 d), as a radio group of buttons like the Metrics page's. */
export function RangePicker({ value, onChange, label }: { value: RangeName; onChange: (r: RangeName) => void; label: string }) {
  return (
    <div className="inline-action" role="radiogroup" aria-label={label}>
      {RANGE_OPTIONS.map((o) => (
        <button key={o.value} type="button" role="radio" aria-checked={value === o.value} className={value === o.value ? 'primary' : ''} onClick={() => onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}
