import { redirect } from 'next/navigation';
import { currentPrincipal } from '../_trpc/server';
import { LoginForm } from '@/components/forms/LoginForm';

export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  const p = await currentPrincipal();
  if (p.kind === 'user') redirect('/');
  return (
    <div className="login-wrap">
      <div className="login-card">
        <h1>
          Signal<span style={{ color: 'var(--accent)' }}>Ops</span>
        </h1>
        <p className="muted" style={{ margin: 0 }}>
          Sign in to train, ship and watch trading-signal models.
        </p>
        <LoginForm notice={p.kind === 'invalid' ? p.reason : null} />
        <p className="muted" style={{ fontSize: 12, marginTop: 16, marginBottom: 0 }}>
          First start? The admin password is ADMIN_PASSWORD, or the one printed once in the console of <code>npm start</code>.
        </p>
      </div>
    </div>
  );
}
