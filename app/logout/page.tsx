import { LogoutNow } from '@/components/forms/LogoutButton';
import { AuthCard } from '@/components/ui/AuthCard';

export const dynamic = 'force-dynamic';

/** /logout: ends the session (server-side) and says so. */
export default function LogoutPage() {
  return (
    <AuthCard>
      <LogoutNow />
    </AuthCard>
  );
}
