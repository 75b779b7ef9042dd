import type { ReactNode } from 'react';

/** The centred card of the login and logout pages. */
export function AuthCard({ children }: { children: ReactNode }) {
  return (
    <div className="login-wrap">
      <div className="login-card">
        <h1>
          Signal<span style={{ color: 'var(--accent)' }}>Ops</span>
        </h1>
        {children}
      </div>
    </div>
  );
}
