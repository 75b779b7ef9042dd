import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { ApiKeysPanel } from '@/components/forms/ApiKeysPanel';
import { UsersPanel } from '@/components/forms/UsersPanel';

export const dynamic = 'force-dynamic';

export default async function SettingsPage() {
  const user = await requireUser();
  if (user.role !== 'admin') {
    return (
      <>
        <PageHead title="Settings" />
        <div className="card">
          <h2>Your account</h2>
          <p>
            Signed in as <strong>{user.username}</strong> ({user.role}).
          </p>
          <p className="muted">Only admins manage users and API keys. Ask an admin for an API key for your trading app.</p>
        </div>
      </>
    );
  }
  const api = await serverCaller();
  const [users, keys] = await Promise.all([api.users.list(), api.apiKeys.list()]);
  return (
    <>
      <PageHead title="Settings" subtitle="Users, roles and API keys. Every change is recorded in the audit log." />
      <div className="stack">
        <ApiKeysPanel keys={keys} />
        <UsersPanel users={users} currentUserId={user.userId} />
      </div>
    </>
  );
}
