'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/app/_trpc/client';
import { Badge } from '@/components/ui/Badge';

const ROLES = ['analyst', 'engineer', 'admin'] as const;
type Role = (typeof ROLES)[number];

export interface UserRow {
  id: string;
  username: string;
  role: Role;
  createdAt: Date | string;
  createdBy: string;
  disabledAt: Date | string | null;
  lastLoginAt: Date | string | null;
}

export function UsersPanel({ users, currentUserId }: { users: UserRow[]; currentUserId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => {
        setUsername('');
        setPassword('');
        router.refresh();
      },
    }),
  );
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="card" data-testid="users">
      <h2>Users</h2>
      <p className="muted" style={{ marginTop: -6 }}>
        Analysts read dashboards; engineers also import, train and promote; admins also manage users and keys.
      </p>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ username, password, role });
        }}
      >
        <label>
          Username
          <input name="newUsername" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label>
          Initial password
          <input name="newPassword" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} />
        </label>
        <label>
          Role
          <select name="newRole" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button className="primary" type="submit" disabled={create.isPending}>
          Add user
        </button>
      </form>
      {create.error ? <div className="error">{create.error.message}</div> : null}
      {update.error ? <div className="error">{update.error.message}</div> : null}
      <div className="table-wrap" style={{ marginTop: 14 }}>
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>State</th>
              <th>Last login</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.username}
                  {u.id === currentUserId ? <span className="muted"> (you)</span> : null}
                </td>
                <td>
                  <select aria-label={`Role of ${u.username}`} value={u.role} onChange={(e) => update.mutate({ id: u.id, role: e.target.value as Role })}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>{u.disabledAt ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>}</td>
                <td>{u.lastLoginAt ? new Date(u.lastLoginAt).toISOString().slice(0, 16).replace('T', ' ') : '—'}</td>
                <td>
                  <button type="button" onClick={() => update.mutate({ id: u.id, disabled: !u.disabledAt })}>
                    {u.disabledAt ? 'Enable' : 'Disable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
