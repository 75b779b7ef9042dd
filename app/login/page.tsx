import { redirect } from 'next/navigation';
import { currentPrincipal } from '../_trpc/server';
import { LoginForm } from '@/components/forms/LoginForm';
import { AuthCard } from '@/components/ui/AuthCard';

export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  const p = await currentPrincipal();
  if (p.kind === 'user') redirect('/');
  return (
    <AuthCard>
      <p className="muted" style={{ margin: 0 }}>
        Sign in to train, ship and watch trading-signal models.
      </p>
      <LoginForm notice={p.kind === 'invalid' ? p.reason : null} />
      <p className="muted" style={{ fontSize: 12, marginTop: 16, marginBottom: 0 }}>
        First start? The admin password is ADMIN_PASSWORD, or the one printed once in the console of <code>npm start</code>.
      </p>
    </AuthCard>
  );
}
