import { LogoutNow } from '@/components/forms/LogoutButton';

export const dynamic = 'force-dynamic';

/** /logout: ends the session (server-side) and says so. */
export default function LogoutPage() {
  return (
    <div className="login-wrap">
      <div className="login-card">
        <h1>
          Signal<span style={{ color: 'var(--accent)' }}>Ops</span>
        </h1>
        <LogoutNow />
      </div>
    </div>
  );
}
