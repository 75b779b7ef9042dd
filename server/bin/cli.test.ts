import { describe, it, expect, beforeAll } from 'vitest';
import { desc } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { runCli } from '../testing/processes';
import { principalFromApiKey } from '../auth/apikeys';
import { createUser, updateUser, verifyLogin, findUserByName } from '../auth/users';
import { auditLog } from '../../drizzle/schema';
import type { Db } from '../db/client';

describe('CLI', () => {
  let db: Db;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    env = { DATABASE_URL: t.url };
  });

  it('status --json prints exactly one JSON document (logs go to stderr)', async () => {
    const r = await runCli(['status', '--json'], env);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ database: { ok: true }, migrations: { ok: true } });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    // No worker runs against this database, so it is not ready: exit code 3 says so.
    expect(doc.ready).toBe(false);
    expect(r.code).toBe(3);
  });

  it('apikey create prints the key once; it works, and the action is recorded as done by cli', async () => {
    const r = await runCli(['apikey', 'create', '--name', 'trading-app', '--scopes', 'predict,read', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.key).toMatch(/^so_/);
    expect(doc.apiKey).toMatchObject({ name: 'trading-app', scopes: ['predict', 'read'], createdBy: 'cli' });
    expect(await principalFromApiKey(db, doc.key)).toMatchObject({ kind: 'apikey', scopes: ['predict', 'read'] });
    const [last] = await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    expect(last).toMatchObject({ actor: 'cli', action: 'apikey.create', target: 'trading-app' });
    // and the human form says to copy it
    const h = await runCli(['apikey', 'create', '--name', 'ops', '--scopes', 'read'], env);
    expect(h.stdout).toMatch(/Copy it now[\s\S]*so_/);
  });

  it('bad input: a clear one-line error naming the option, non-zero exit, JSON error with --json', async () => {
    const bad = await runCli(['apikey', 'create', '--name', 'x', '--scopes', 'fly', '--json'], env);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/--scopes/);
    const missing = await runCli(['apikey', 'create', '--scopes', 'read'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--name/);
    const unknown = await runCli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command 'frobnicate'/);
  });

  it('user list / enable / set-role / reset-password recover an admin who was disabled, audited as cli', async () => {
    await createUser(db, { username: 'root', password: 'root-password-1', role: 'admin' }, 'test');
    const ops = await createUser(db, { username: 'ops', password: 'ops-password-1', role: 'admin' }, 'test');
    await updateUser(db, { id: ops.id, disabled: true }, 'user:root');

    const list = await runCli(['user', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const listed = JSON.parse(list.stdout).users;
    expect(listed.find((u: { username: string }) => u.username === 'ops')).toMatchObject({ role: 'admin', disabledAt: expect.any(String) });
    expect(JSON.stringify(listed)).not.toMatch(/passwordHash|scrypt/);
    const table = await runCli(['user', 'list'], env);
    expect(table.stdout).toMatch(/USERNAME\s+ROLE\s+STATE/);
    expect(table.stdout).toMatch(/^ops\s+admin\s+disabled/m);

    // usernames are case-insensitive
    const enable = await runCli(['user', 'enable', '--username', 'OPS', '--json'], env);
    expect(enable.code).toBe(0);
    expect(JSON.parse(enable.stdout)).toMatchObject({ changed: true, user: { username: 'ops', disabledAt: null } });
    expect((await findUserByName(db, 'ops'))!.disabledAt).toBeNull();
    const [enabled] = await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    expect(enabled).toMatchObject({ actor: 'cli', action: 'user.update', target: 'ops', details: { disabled: false } });
    const again = await runCli(['user', 'enable', '--username', 'ops'], env);
    expect(again.stdout).toMatch(/already active/);

    const role = await runCli(['user', 'set-role', '--username', 'ops', '--role', 'engineer', '--json'], env);
    expect(role.code).toBe(0);
    expect(JSON.parse(role.stdout)).toMatchObject({ changed: true, user: { username: 'ops', role: 'engineer' } });
    const [roled] = await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    expect(roled).toMatchObject({ actor: 'cli', action: 'user.update', target: 'ops', details: { role: 'engineer' } });

    const reset = await runCli(['user', 'reset-password', '--username', 'ops', '--json'], env);
    expect(reset.code).toBe(0);
    const doc = JSON.parse(reset.stdout);
    expect(doc.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(doc.user).toMatchObject({ username: 'ops' });
    await expect(verifyLogin(db, 'ops', doc.password)).resolves.toMatchObject({ username: 'ops' });
    await expect(verifyLogin(db, 'ops', 'ops-password-1')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const [resetRow] = await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    expect(resetRow).toMatchObject({ actor: 'cli', action: 'user.update', target: 'ops', details: { passwordChanged: true } });
    expect(JSON.stringify(resetRow)).not.toContain(doc.password);
    // the human form prints the new password once, saying to copy it
    const human = await runCli(['user', 'reset-password', '--username', 'ops'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Copy it now[\s\S]*\n {2}[A-Za-z0-9_-]{20}\n/);
  });

  it('user commands: errors name the option or the user; the last active admin stays protected from the CLI too', async () => {
    const noName = await runCli(['user', 'enable', '--json'], env);
    expect(noName.code).toBe(2);
    expect(JSON.parse(noName.stdout).error.message).toMatch(/--username is required/);
    const badRole = await runCli(['user', 'set-role', '--username', 'root', '--role', 'superuser'], env);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/--role: 'superuser' is not a role; use one of analyst, engineer, admin/);
    const noRole = await runCli(['user', 'set-role', '--username', 'root'], env);
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toMatch(/--role is required/);
    const unknown = await runCli(['user', 'reset-password', '--username', 'ghost', '--json'], env);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining("No user named 'ghost'") });
    // `ops` was demoted above, so `root` is the last active admin
    const last = await runCli(['user', 'set-role', '--username', 'root', '--role', 'analyst', '--json'], env);
    expect(last.code).toBe(1);
    expect(JSON.parse(last.stdout).error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('last active admin') });
    expect((await findUserByName(db, 'root'))!.role).toBe('admin');
  });
});
