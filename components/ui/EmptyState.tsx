import type { ReactNode } from 'react';

/** An honest empty state: says what is missing and what to do about it. Never fake numbers. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="card empty" data-testid="empty-state">
      <h2>{title}</h2>
      {children ? <p>{children}</p> : null}
      {action ? <div style={{ marginTop: 14 }}>{action}</div> : null}
    </div>
  );
}
