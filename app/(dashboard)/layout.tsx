import type { ReactNode } from 'react';
import { requireUser } from '../_trpc/server';
import { Nav } from '@/components/ui/Nav';
import { LogoutButton } from '@/components/forms/LogoutButton';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          Signal<span>Ops</span>
        </div>
        <Nav isAdmin={user.role === 'admin'} />
        <div className="who">
          Signed in as <strong data-testid="current-user">{user.username}</strong>
          <br />
          role: {user.role}
          <LogoutButton />
        </div>
      </aside>
      <main className="main">{children}</main>
    </div>
  );
}
