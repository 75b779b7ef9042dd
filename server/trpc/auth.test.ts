import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { closeProducerBosses } from '../jobs/queue';
import { TRPCError } from '@trpc/server';
import { createTestDb } from '../db/test-db';
import { callerAs, callerWithHeaders, userCaller, apiKeyCaller } from './test-helpers';
import { createApiKey, revokeApiKey } from '../auth/apikeys';
import { ensureFirstAdmin } from '../auth/users';
import { SESSION_COOKIE } from '../auth/sessions';
import { apiKeys } from '../../drizzle/schema';
import type { Db } from '../db/client';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (e instanceof TRPCError) return e.code;
    throw e;
  }
}

describe('auth and roles', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
  });
  afterAll(() => closeProducerBosses());

  it('first start creates one admin with a random password, never a fixed one', async () => {
    const a = await ensureFirstAdmin(db);
    expect(a.created).toBe(true);
    expect(a.generated).toBe(true);
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const again = await ensureFirstAdmin(db);
    expect(again.created).toBe(false);
    // log in with it through the real procedure; the Set-Cookie header carries the session.
    const headers = new Headers();
    const anon = callerAs(db, { kind: 'anonymous' }, headers);
    await expect(anon.auth.login({ username: 'admin', password: a.password! })).resolves.toEqual({ username: 'admin', role: 'admin' });
    const cookie = headers.get('set-cookie')!;
    expect(cookie).toContain(`${SESSION_COOKIE}=`);
    expect(cookie).toContain('HttpOnly');
    const token = /so_session=([^;]+)/.exec(cookie)![1];
    const me = await callerWithHeaders(db, { cookie: `${SESSION_COOKIE}=${token}` });
    expect(await me.auth.me()).toEqual({ kind: 'user', username: 'admin', role: 'admin' });
    expect((await me.users.list()).map((u) => u.username)).toContain('admin');
    // logout ends the session server-side
    await me.auth.logout();
    const after = await callerWithHeaders(db, { cookie: `${SESSION_COOKIE}=${token}` });
    expect(await codeOf(after.users.list())).toBe('UNAUTHORIZED');
  });

  it('rejects a wrong password and an unknown user with the same 401 message', async () => {
    const anon = callerAs(db, { kind: 'anonymous' }, new Headers());
    const wrong = anon.auth.login({ username: 'admin', password: 'not-the-password' });
    await expect(wrong).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Wrong username or password.' });
    await expect(anon.auth.login({ username: 'nobody', password: 'whatever-123' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Wrong username or password.',
    });
  });

  it('enforces the role matrix on representative procedures', async () => {
    const analyst = await userCaller(db, 'analyst');
    const engineer = await userCaller(db, 'engineer');
    const admin = await userCaller(db, 'admin');
    const anon = callerAs(db, { kind: 'anonymous' });
    const matrix: Array<[string, (c: typeof admin) => Promise<unknown>, Record<string, string>]> = [
      ['system.workers (viewer)', (c) => c.system.workers(), { anon: 'UNAUTHORIZED', analyst: 'OK', engineer: 'OK', admin: 'OK' }],
      ['system.ping (engineer)', (c) => c.system.ping({}), { anon: 'UNAUTHORIZED', analyst: 'FORBIDDEN', engineer: 'OK', admin: 'OK' }],
      ['apiKeys.list (admin)', (c) => c.apiKeys.list(), { anon: 'UNAUTHORIZED', analyst: 'FORBIDDEN', engineer: 'FORBIDDEN', admin: 'OK' }],
      ['users.list (admin)', (c) => c.users.list(), { anon: 'UNAUTHORIZED', analyst: 'FORBIDDEN', engineer: 'FORBIDDEN', admin: 'OK' }],
    ];
    for (const [name, call, expected] of matrix) {
      const got = {
        anon: await codeOf(call(anon)),
        analyst: await codeOf(call(analyst)),
        engineer: await codeOf(call(engineer)),
        admin: await codeOf(call(admin)),
      };
      expect(got, name).toEqual(expected);
    }
    // FORBIDDEN names the role that is needed
    await expect(analyst.apiKeys.list()).rejects.toThrow(/needs the admin role/);
    await expect(analyst.system.ping({})).rejects.toThrow(/needs the engineer role or higher; user '.*' is analyst/);
  });

  it('enforces API-key scopes; admin scope implies the others', async () => {
    const read = await apiKeyCaller(db, ['read']);
    const predict = await apiKeyCaller(db, ['predict']);
    const train = await apiKeyCaller(db, ['train', 'read']);
    const adminKey = await apiKeyCaller(db, ['admin']);
    expect(await codeOf(read.caller.system.workers())).toBe('OK');
    expect(await codeOf(predict.caller.system.workers())).toBe('FORBIDDEN');
    expect(await codeOf(read.caller.system.ping({}))).toBe('FORBIDDEN');
    expect(await codeOf(train.caller.system.ping({}))).toBe('OK');
    expect(await codeOf(train.caller.apiKeys.list())).toBe('FORBIDDEN');
    expect(await codeOf(adminKey.caller.apiKeys.list())).toBe('OK');
    await expect(predict.caller.system.workers()).rejects.toThrow(/needs an API key with the 'read' scope/);
    // X-API-Key works like Authorization: Bearer
    const viaHeader = await callerWithHeaders(db, { 'x-api-key': read.key });
    expect(await viaHeader.auth.me()).toMatchObject({ kind: 'apikey', scopes: ['read'] });
  });

  it('unknown, revoked and expired keys are UNAUTHORIZED with the reason', async () => {
    const unknown = await callerWithHeaders(db, { authorization: 'Bearer so_not-a-real-key' });
    await expect(unknown.system.workers()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Unknown API key.' });

    const { key, apiKey } = await createApiKey(db, { name: 'to-revoke', scopes: ['read'] }, 'test');
    expect(await codeOf((await callerWithHeaders(db, { authorization: `Bearer ${key}` })).system.workers())).toBe('OK');
    await revokeApiKey(db, apiKey.id, 'test');
    const revoked = await callerWithHeaders(db, { authorization: `Bearer ${key}` });
    await expect(revoked.system.workers()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: "API key 'to-revoke' was revoked." });

    const exp = await createApiKey(db, { name: 'short-lived', scopes: ['read'], expiresAt: new Date(Date.now() + 60_000) }, 'test');
    const { eq } = await import('drizzle-orm');
    await db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiKeys.id, exp.apiKey.id));
    const expired = await callerWithHeaders(db, { 'x-api-key': exp.key });
    await expect(expired.system.workers()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: /short-lived' expired at/ });

    const malformed = await callerWithHeaders(db, { authorization: 'Basic abc' });
    await expect(malformed.system.workers()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('stores only hashes, shows the key once, and validates input naming the field', async () => {
    const admin = await userCaller(db, 'admin');
    const created = await admin.apiKeys.create({ name: 'trading-app', scopes: ['predict', 'read'] });
    expect(created.key).toMatch(/^so_/);
    const rows = await db.select().from(apiKeys);
    expect(rows.some((r) => r.keyHash === created.key || r.keyHash.includes(created.key))).toBe(false);
    const listed = await admin.apiKeys.list();
    expect(JSON.stringify(listed)).not.toContain(created.key);
    await expect(admin.apiKeys.create({ name: 'x', scopes: ['fly' as never] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.apiKeys.create({ name: 'x', scopes: ['read'], expiresAt: new Date(Date.now() - 5000) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('expiresAt'),
    });
  });

  it('never lets the last admin be demoted or disabled', async () => {
    const db2 = (await createTestDb()).db;
    const a = await ensureFirstAdmin(db2, 'first-admin-password');
    expect(a.generated).toBe(false);
    const admin = await userCaller(db2, 'admin');
    const list = await admin.users.list();
    const first = list.find((u) => u.username === 'admin')!;
    const me = list.find((u) => u.username !== 'admin')!;
    await admin.users.update({ id: first.id, role: 'analyst' });
    // Now `me` is the only admin: not even the CLI (to which the self rule does not apply) may disable or demote them.
    const cli = callerAs(db2, { kind: 'cli' });
    await expect(cli.users.update({ id: me.id, disabled: true })).rejects.toMatchObject({ code: 'CONFLICT', message: /last active admin/ });
    await expect(cli.users.update({ id: me.id, role: 'engineer' })).rejects.toMatchObject({ code: 'CONFLICT', message: /last active admin/ });
    await expect(admin.users.update({ id: me.id, disabled: true })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('nobody disables or demotes themselves (409 saying another admin must), even with a second admin present', async () => {
    const db3 = (await createTestDb()).db;
    const a = await userCaller(db3, 'admin');
    const b = await userCaller(db3, 'admin');
    const self = (await a.auth.me()) as { username: string };
    const list = await a.users.list();
    const meA = list.find((u) => u.username === self.username)!;
    const other = list.find((u) => u.id !== meA.id)!;

    const disable = a.users.update({ id: meA.id, disabled: true });
    await expect(disable).rejects.toMatchObject({ code: 'CONFLICT', message: /cannot disable your own account.*another admin must/ });
    await expect(a.users.update({ id: meA.id, role: 'engineer' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: /cannot lower your own role \(admin → engineer\); another admin must/,
    });
    await expect(a.users.update({ id: meA.id, role: 'analyst', disabled: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    // nothing changed
    const after = (await a.users.list()).find((u) => u.id === meA.id)!;
    expect(after).toMatchObject({ role: 'admin', disabledAt: null });
    // A no-op on oneself and a password change are fine; so is another admin doing it.
    await expect(a.users.update({ id: meA.id, role: 'admin' })).resolves.toMatchObject({ role: 'admin' });
    await expect(b.users.update({ id: meA.id, disabled: true })).resolves.toMatchObject({ username: meA.username });
    expect((await b.users.list()).find((u) => u.id === meA.id)!.disabledAt).not.toBeNull();
    // and `other` (b) is now the last active admin, so b cannot be disabled by anyone
    await expect(b.users.update({ id: other.id, disabled: true })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('the self rule holds when the name differs only in case', async () => {
    const db4 = (await createTestDb()).db;
    const admin = await userCaller(db4, 'admin');
    await userCaller(db4, 'admin');
    const me = (await admin.auth.me()) as { username: string };
    const row = (await admin.users.list()).find((u) => u.username === me.username)!;
    const shouting = callerAs(db4, { kind: 'user', userId: row.id, username: me.username.toUpperCase(), role: 'admin', sessionHash: null });
    await expect(shouting.users.update({ id: row.id, disabled: true })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
