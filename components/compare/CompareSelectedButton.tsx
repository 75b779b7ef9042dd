'use client';
import { useEffect, useRef, useState } from 'react';
import { useRouter } from 'next/navigation';
import { compareHref } from './types';
import styles from './Compare.module.css';

export const COMPARE_FORM_ID = 'compare-form';

const ticked = () => [...document.querySelectorAll<HTMLInputElement>(`input[form="${COMPARE_FORM_ID}"][name="v"]:checked`)].map((i) => i.value);

/**
 * The Models page's "Compare selected": a GET form to /compare that the version checkboxes join through their
 * `form` attribute (they sit in tables beside other forms). Enabled for 2–4 ticked versions, which are compared in the
 * order they were ticked (the first is A, the reference the others' differences are measured against); without
 * scripts the form submits them in page order.
 */
export function CompareSelectedButton({ min = 2, max = 4 }: { min?: number; max?: number }) {
  const router = useRouter();
  const [count, setCount] = useState(0);
  const order = useRef<string[]>([]);
  useEffect(() => {
    order.current = ticked();
    setCount(order.current.length);
    const onChange = (e: Event) => {
      const t = e.target;
      if (!(t instanceof HTMLInputElement) || t.getAttribute('form') !== COMPARE_FORM_ID) return;
      const now = new Set(ticked());
      order.current = [...order.current.filter((v) => now.has(v) && v !== t.value), ...(t.checked ? [t.value] : [])];
      setCount(now.size);
    };
    document.addEventListener('change', onChange);
    return () => document.removeEventListener('change', onChange);
  }, []);
  const ok = count >= min && count <= max;
  return (
    <form
      id={COMPARE_FORM_ID}
      action="/compare"
      method="get"
      className={styles.compareWith}
      data-testid="compare-selected"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) router.push(compareHref(order.current));
      }}
    >
      <span className="muted small" aria-live="polite">
        {count === 0 ? `Tick ${min}–${max} versions to compare them` : count < min ? `${count} ticked — tick at least ${min}` : count > max ? `${count} ticked — at most ${max}` : `${count} versions ticked`}
      </span>
      <button type="submit" className="primary" disabled={!ok}>
        Compare selected{count ? ` (${count})` : ''}
      </button>
    </form>
  );
}
