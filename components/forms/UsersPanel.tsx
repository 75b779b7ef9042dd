'use client';
import { dateTime } from '@/components/charts/format';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { useNow } from '@/components/ui/useNow';
import { ConfirmButton } from './ConfirmButton';
import { errorText } from './trpcError';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

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
  /** When the sign-in lock (too many failed attempts) ends; null when not locked. */
  lockedUntil?: Date | string | null;
}

/**
 * A sign-in lock as the list read it: "locked · N s left", counting down in the browser; just "locked" on the server
 * and during hydration (a countdown rendered there would not match the browser's); "lock ended" once the browser's
 * clock says so. Until a refresh the row keeps its Unlock button either way (a browser clock ahead of the server's
 * must not hide it; after a lock one more failure locks again, and unlocking also forgets the failures).
 */
function LockBadge({ until, now }: { until: Date | string; now: number | null }) {
  const left = now === null ? null : Math.ceil((new Date(until).getTime() - now) / 1000);
  return (
    <span title={`Too many failed sign-ins: locked until ${dateTime(until)} UTC`} data-testid="user-locked">
      {' '}
      {left === null ? <Badge tone="warn">locked</Badge> : left > 0 ? <Badge tone="warn">{`locked · ${left} s left`}</Badge> : <Badge>lock ended</Badge>}
    </span>
  );
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
  const unlock = useMutation(trpc.users.unlock.mutationOptions({ onSuccess: () => router.refresh() }));
  const now = useNow();
  /** A role change that lowers someone's rights waits for a confirmation. */
  const [pendingRole, setPendingRole] = useState<{ id: string; role: Role } | null>(null);
  const updateError = update.error ? errorText(update.error) : null;
  /** A failed "disable" shows its error in that row's confirm step; other failures above the table. */
  const disableFailedFor = updateError && update.variables?.disabled === true ? update.variables.id : null;
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
      <ErrorAlert error={updateError && !disableFailedFor ? updateError : null} />
      <ErrorAlert error={unlock.error} />
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
            {users.map((u) => {
              const self = u.id === currentUserId;
              const lowering = pendingRole?.id === u.id ? pendingRole.role : null;
              const locked = u.lockedUntil ?? null;
              return (
                <tr key={u.id}>
                  <td>
                    {u.username}
                    {self ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <select
                      aria-label={`Role of ${u.username}`}
                      aria-describedby={self ? 'users-self-note' : undefined}
                      value={lowering ?? u.role}
                      disabled={self || update.isPending}
                      onChange={(e) => {
                        const next = e.target.value as Role;
                        if (ROLES.indexOf(next) < ROLES.indexOf(u.role)) setPendingRole({ id: u.id, role: next });
                        else {
                          setPendingRole(null);
                          update.mutate({ id: u.id, role: next });
                        }
                      }}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                    {lowering ? (
                      <div className="confirm" role="group" aria-label={`Confirm role change of ${u.username}`}>
                        <span>
                          Make <strong>{u.username}</strong> {lowering} (now {u.role})?
                        </span>
                        <button
                          type="button"
                          className="danger"
                          disabled={update.isPending}
                          onClick={() => void update.mutateAsync({ id: u.id, role: lowering }).then(() => setPendingRole(null), () => undefined)}
                        >
                          Make {lowering}
                        </button>
                        <button type="button" onClick={() => setPendingRole(null)} disabled={update.isPending}>
                          Keep {u.role}
                        </button>
                      </div>
                    ) : null}
                  </td>
                  <td>
                    {u.disabledAt ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>}
                    {locked ? <LockBadge until={locked} now={now} /> : null}
                  </td>
                  <td>{dateTime(u.lastLoginAt)}</td>
                  <td>
                    {locked ? (
                      <button
                        type="button"
                        aria-label={`Unlock ${u.username}`}
                        title="Lift the sign-in lock now (the failed attempts are forgotten)"
                        disabled={unlock.isPending}
                        onClick={() => unlock.mutate({ username: u.username })}
                        style={{ marginRight: 8 }}
                      >
                        Unlock
                      </button>
                    ) : null}
                    {self ? (
                      <span className="muted" id="users-self-note">
                        Another admin must disable you or change your role.
                      </span>
                    ) : u.disabledAt ? (
                      <button type="button" disabled={update.isPending} onClick={() => update.mutate({ id: u.id, disabled: false })}>
                        Enable
                      </button>
                    ) : (
                      <ConfirmButton
                        label="Disable"
                        buttonClassName="danger"
                        groupLabel={`Confirm disabling ${u.username}`}
                        question={
                          <>
                            Disable <strong>{u.username}</strong>? They are signed out now and cannot sign in until enabled.
                          </>
                        }
                        confirmLabel={`Disable ${u.username}`}
                        pendingLabel="Disabling…"
                        pending={update.isPending}
                        error={disableFailedFor === u.id ? updateError : null}
                        onConfirm={() => update.mutateAsync({ id: u.id, disabled: true })}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
