'use client';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

/**
 * A destructive button with an inline confirm step: the first click shows the question with a confirm and a keep
 * button (focus moves to "keep", Escape keeps). Nothing happens until the confirm button is pressed.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  keepLabel = 'Keep',
  pendingLabel,
  pending = false,
  disabled = false,
  error,
  onConfirm,
  groupLabel,
  buttonClassName,
}: {
  /** The first button's text (its accessible name). */
  label: string;
  /** What will happen, shown in the confirm step. */
  question: ReactNode;
  /** The confirm button's text, e.g. "Disable alice". */
  confirmLabel: string;
  keepLabel?: string;
  pendingLabel?: string;
  pending?: boolean;
  disabled?: boolean;
  /** An error message from the last attempt (shown in the confirm step, as an alert). */
  error?: string | null;
  /** Runs the action. When it returns a promise, the confirm step closes once it resolves (and stays open, showing
   *  `error`, when it rejects). */
  onConfirm: () => unknown;
  /** Accessible name of the confirm group (default: "Confirm: <label>"). */
  groupLabel?: string;
  buttonClassName?: string;
}) {
  const [confirming, setConfirming] = useState(false);
  const keepRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirming) keepRef.current?.focus();
    else if (wasConfirming.current) openerRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  if (!confirming) {
    return (
      <button ref={openerRef} type="button" className={buttonClassName} disabled={disabled || pending} onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  }
  return (
    <div
      className="confirm"
      role="group"
      aria-label={groupLabel ?? `Confirm: ${label}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !pending) setConfirming(false);
      }}
    >
      <span>{question}</span>
      <button
        type="button"
        className="danger"
        disabled={pending}
        onClick={() => {
          const r = onConfirm();
          if (r instanceof Promise) r.then(() => setConfirming(false), () => undefined);
        }}
      >
        {pending && pendingLabel ? pendingLabel : confirmLabel}
      </button>
      <button ref={keepRef} type="button" onClick={() => setConfirming(false)} disabled={pending}>
        {keepLabel}
      </button>
      <ErrorAlert error={error} inline />
    </div>
  );
}
