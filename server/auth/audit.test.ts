import { describe, it, expect, beforeAll, beforeEach } from 'vitest';
import { desc, eq, sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import type { Db } from '../db/client';
import { auditLog } from '../../drizzle/schema';
import { createCaller } from '../trpc/root';
import { createContext } from '../trpc/init';
import { createUser, updateUser } from './users';
import { createApiKey } from './apikeys';
import { denials, listAudit, recordAudit, withAuditOrigin, ZAuditRequest, shouldRecordDenial } from './audit';
import { auditCsv, csvCell } from './audit-csv';
import { restHandler } from '../http/rest';
import { dispatch, AuthCache, type ServingContext } from '../serving/http';
import { InferenceEngine, engineOptionsFromEnv } from '../serving/engine';
import { logger } from '../log';
import { sessionCookie, createSession } from './sessions';

let db: Db;
let url: string;

beforeAll(async () => {
  const t = await createTestDb();
  db = t.db;
  url = t.url;
});

beforeEach(() => denials.reset());

const rows = (action: string) => db.select().from(auditLog).where(eq(auditLog.action, action)).orderBy(desc(auditLog.id));

/** A tRPC caller built exactly as the HTTP route builds it (createContext from the request's headers). */
async function httpCaller(headers: Record<string, string>, requestId = `req-${Math.random().toString(36).slice(2)}`) {
  return createCaller(await createContext({ db, headers: new Headers(headers), resHeaders: new Headers(), requestId }));
}

async function signedIn(role: 'analyst' | 'engineer' | 'admin') {
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  const u = await createUser(db, { username, password: 'correct-horse-battery', role }, 'test');
  const { token, expiresAt } = await createSession(db, u.id, 'test');
  const cookie = sessionCookie(token, expiresAt).split(';')[0];
  return { user: u, cookie };
}

const untilWritten = async () => denials.settle();

describe('origin of every audited action', () => {
  it('a role change over tRPC records from → to (the old role kept), the IP, user agent and request id', async () => {
    const { cookie } = await signedIn('admin');
    const target = await createUser(db, { username: `bob-${Date.now()}`, password: 'correct-horse-battery', role: 'analyst' }, 'test');
    const api = await httpCaller({ cookie, 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'audit-test/1.0' }, 'req-role-change');
    await api.users.update({ id: target.id, role: 'engineer' });
    const [row] = (await rows('user.update')).filter((r) => r.target === target.username);
    expect(row.outcome).toBe('ok');
    expect(row.details).toMatchObject({ from: { role: 'analyst' }, to: { role: 'engineer' }, passwordChanged: false });
    expect(row.ip).toBe('203.0.113.7');
    expect(row.userAgent).toBe('audit-test/1.0');
    expect(row.requestId).toBe('req-role-change');
    expect(row.apiKeyId).toBeNull();
  });

  it('disabling records disabled false → true; a password reset records that it changed, never the value', async () => {
    const target = await createUser(db, { username: `carol-${Date.now()}`, password: 'correct-horse-battery', role: 'analyst' }, 'test');
    await updateUser(db, { id: target.id, disabled: true, password: 'another-long-password' }, 'cli');
    const [row] = (await rows('user.update')).filter((r) => r.target === target.username);
    expect(row.details).toMatchObject({ from: { disabled: false }, to: { disabled: true }, passwordChanged: true });
    expect(JSON.stringify(row.details)).not.toContain('another-long-password');
    // The CLI has no origin.
    expect(row.ip).toBeNull();
  });

  it("an API key's action records the key's id (names are not unique)", async () => {
    const a = await createApiKey(db, { name: 'ops', scopes: ['admin'] }, 'test');
    const b = await createApiKey(db, { name: 'ops', scopes: ['admin'] }, 'test');
    const api = await httpCaller({ authorization: `Bearer ${b.key}`, 'user-agent': 'trader-bot' });
    await api.users.create({ username: `made-by-key-${Date.now()}`, password: 'correct-horse-battery', role: 'analyst' });
    const [row] = await rows('user.create');
    expect(row.actor).toBe('apikey:ops');
    expect(row.apiKeyId).toBe(b.apiKey.id);
    expect(row.apiKeyId).not.toBe(a.apiKey.id);
    expect(row.userAgent).toBe('trader-bot');
    expect(row.details).toMatchObject({ to: { role: 'analyst' } });
  });

  it('revoking a key records revokedAt null → the time', async () => {
    const k = await createApiKey(db, { name: 'short-lived', scopes: ['read'] }, 'test');
    const { cookie } = await signedIn('admin');
    await (await httpCaller({ cookie })).apiKeys.revoke({ id: k.apiKey.id });
    const [row] = await rows('apikey.revoke');
    const d = row.details as { from: { revokedAt: string | null }; to: { revokedAt: string } };
    expect(d.from.revokedAt).toBeNull();
    expect(Date.parse(d.to.revokedAt)).toBeGreaterThan(0);
  });

  it('a background action started inside a request does not borrow that request’s origin', async () => {
    const origin = { ip: '198.51.100.1', userAgent: 'x', requestId: 'r1' };
    let later: Promise<void> = Promise.resolve();
    await withAuditOrigin({ kind: 'user', userId: 'u', username: 'dave', role: 'admin', sessionHash: null }, origin, async () => {
      await recordAudit(db, { actor: 'user:dave', action: 'test.same-actor' });
      // e.g. a timer or LISTEN handler created while serving the request, firing later as the system.
      later = new Promise((resolve) => setTimeout(() => void recordAudit(db, { actor: 'system', action: 'test.background' }).then(resolve), 5));
    });
    await later;
    expect((await rows('test.same-actor'))[0].ip).toBe('198.51.100.1');
    expect((await rows('test.background'))[0].ip).toBeNull();
  });

  it('the table is append-only', async () => {
    await expect(db.execute(sql`update audit_log set actor = 'someone-else'`)).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_log`)).rejects.toThrow();
  });
});

describe('authorization denials', () => {
  it('tRPC: an analyst calling an admin procedure is recorded as denied, with the procedure and the requirement', async () => {
    const { cookie } = await signedIn('analyst');
    const api = await httpCaller({ cookie, 'x-forwarded-for': '192.0.2.44', 'user-agent': 'nosy' }, 'req-denied');
    await expect(api.users.list()).rejects.toThrow(/admin role/);
    await untilWritten();
    const [row] = await rows('users.list');
    expect(row.outcome).toBe('denied');
    expect(row.ip).toBe('192.0.2.44');
    expect(row.requestId).toBe('req-denied');
    expect(row.details).toMatchObject({ requirement: 'role admin or scope admin', principal: 'user' });
  });

  it('a flood of denials writes one row, then one summary row with the count when the minute ends', async () => {
    let now = 1_000_000;
    denials.now = () => now;
    try {
      const { cookie } = await signedIn('analyst');
      const api = await httpCaller({ cookie });
      const before = (await rows('apiKeys.list')).length;
      for (let i = 0; i < 200; i++) await expect(api.apiKeys.list()).rejects.toThrow();
      await untilWritten();
      expect((await rows('apiKeys.list')).length).toBe(before + 1);
      now += 61_000;
      await denials.flush();
      const after = await rows('apiKeys.list');
      expect(after.length).toBe(before + 2);
      expect(after[0].details).toMatchObject({ aggregated: true, count: 199 });
    } finally {
      denials.now = Date.now;
    }
  });

  it('anonymous reads are not recorded; anonymous state changes and invalid keys trying to change state are', async () => {
    const anon = await httpCaller({ 'user-agent': 'crawler' });
    await expect(anon.system.workers()).rejects.toThrow(/Not signed in/);
    await expect(anon.users.create({ username: 'mallory', password: 'correct-horse-battery', role: 'admin' })).rejects.toThrow();
    const bad = await httpCaller({ authorization: 'Bearer so_not-a-key' });
    await expect(bad.apiKeys.revoke({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow();
    await untilWritten();
    expect(await rows('system.workers')).toHaveLength(0);
    const created = await rows('users.create');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ actor: 'anonymous', outcome: 'denied', userAgent: 'crawler' });
    expect(await rows('apiKeys.revoke')).toHaveLength(1);
    expect(shouldRecordDenial({ principal: { kind: 'anonymous' }, mutating: false })).toBe(false);
  });

  it('REST: restHandler records a denial with METHOD /path and the caller’s origin', async () => {
    const handler = restHandler({ need: { role: 'admin', scope: 'admin' }, getDb: () => db, run: async () => ({ ok: true }) });
    const k = await createApiKey(db, { name: 'reader', scopes: ['read'] }, 'test');
    const res = await handler(new Request('http://localhost/api/v1/audit', { headers: { 'x-api-key': k.key, 'x-forwarded-for': '192.0.2.9', 'x-request-id': 'rest-1' } }));
    expect(res.status).toBe(403);
    await untilWritten();
    const [row] = await rows('GET /api/v1/audit');
    expect(row).toMatchObject({ actor: 'apikey:reader', outcome: 'denied', ip: '192.0.2.9', apiKeyId: k.apiKey.id, requestId: 'rest-1' });
  });

  it('REST: an allowed call records its change with the caller’s origin (bound for the whole handler)', async () => {
    const handler = restHandler({
      need: { role: 'engineer', scope: 'train' },
      getDb: () => db,
      run: async ({ db: d, actor }) => {
        await new Promise((r) => setTimeout(r, 1)); // still bound after an await
        await recordAudit(d, { actor, action: 'rest.change', details: { from: { a: 1 }, to: { a: 2 } } });
        return { ok: true };
      },
    });
    const k = await createApiKey(db, { name: 'trainer-rest', scopes: ['train'] }, 'test');
    const res = await handler(new Request('http://localhost/api/v1/train', { method: 'POST', headers: { authorization: `Bearer ${k.key}`, 'x-forwarded-for': '192.0.2.10', 'user-agent': 'curl/8', 'x-request-id': 'rest-ok' } }));
    expect(res.status).toBe(200);
    const [row] = await rows('rest.change');
    expect(row).toMatchObject({ actor: 'apikey:trainer-rest', ip: '192.0.2.10', userAgent: 'curl/8', apiKeyId: k.apiKey.id, requestId: 'rest-ok' });
  });

  it('serving: a denied reload is recorded; an allowed reload is audited with generation from → to', async () => {
    const engine = new InferenceEngine(db, url, logger(), engineOptionsFromEnv({}));
    const ctx: ServingContext = { db, engine, auth: new AuthCache(db) };
    const reader = await createApiKey(db, { name: 'reader', scopes: ['predict'] }, 'test');
    const trainer = await createApiKey(db, { name: 'trainer', scopes: ['train'] }, 'test');
    const no = await dispatch('/reload-model', 'POST', { headers: new Headers({ authorization: `Bearer ${reader.key}` }), socketAddress: '::ffff:192.0.2.50', text: async () => '' }, ctx);
    expect(no.status).toBe(403);
    await untilWritten();
    expect((await rows('POST /reload-model'))[0]).toMatchObject({ outcome: 'denied', ip: '192.0.2.50', apiKeyId: reader.apiKey.id });
    const ok = await dispatch('/reload-model', 'POST', { headers: new Headers({ authorization: `Bearer ${trainer.key}`, 'user-agent': 'deployer' }), socketAddress: '192.0.2.51', text: async () => '' }, ctx);
    expect(ok.status).toBe(200);
    const [row] = await rows('serving.reload');
    expect(row).toMatchObject({ actor: 'apikey:trainer', outcome: 'ok', ip: '192.0.2.51', userAgent: 'deployer', apiKeyId: trainer.apiKey.id });
    expect(row.details).toMatchObject({ from: { generation: 0 }, to: { generation: 1 } });
  });
});

describe('reading: filters, keyset paging, CSV', () => {
  it('filters by actor, action prefix, outcome, time range and target text; pages by id', async () => {
    for (let i = 0; i < 7; i++) await recordAudit(db, { actor: 'user:pager', action: 'page.test', target: `Target-${i}%` });
    await recordAudit(db, { actor: 'user:pager', action: 'page.other', target: 'elsewhere', outcome: 'failed' });
    const p1 = await listAudit(db, { actor: 'user:pager', action: 'page.test', limit: 3 });
    const p2 = await listAudit(db, { actor: 'user:pager', action: 'page.test', limit: 3, before: p1[2].id });
    const p3 = await listAudit(db, { actor: 'user:pager', action: 'page.test', limit: 3, before: p2[2].id });
    expect([...p1, ...p2, ...p3].map((r) => r.target)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `Target-${i}%`));
    expect(await listAudit(db, { actor: 'user:pager', action: 'page.' })).toHaveLength(8);
    expect(await listAudit(db, { actor: 'user:pager', outcome: 'failed' })).toHaveLength(1);
    // Text search is case-insensitive and treats % and _ literally.
    expect(await listAudit(db, { actor: 'user:pager', q: 'target-3%' })).toHaveLength(1);
    expect(await listAudit(db, { actor: 'user:pager', q: '%' })).toHaveLength(7);
    expect(await listAudit(db, { actor: 'user:pager', from: new Date(Date.now() + 3_600_000) })).toHaveLength(0);
    expect(await listAudit(db, { actor: 'user:pager', to: new Date(Date.now() + 3_600_000), limit: 100_000 })).toHaveLength(8);
  });

  it('validates filters before SQL (NUL bytes, dates out of range, page size capped)', () => {
    expect(ZAuditRequest.safeParse({ actor: 'a\u0000b' }).success).toBe(false);
    expect(ZAuditRequest.safeParse({ from: '99999-01-01' }).success).toBe(false);
    expect(ZAuditRequest.safeParse({ limit: '100000' }).success).toBe(false);
    expect(ZAuditRequest.safeParse({ before: '-1' }).success).toBe(false);
    expect(ZAuditRequest.parse({ actor: '', outcome: '', limit: '50', from: '2026-01-01T00:00' })).toMatchObject({ actor: undefined, outcome: undefined, limit: 50 });
  });

  it('system.audit is for admins only and takes the same filters', async () => {
    const { cookie: admin } = await signedIn('admin');
    const { cookie: analyst } = await signedIn('analyst');
    const list = await (await httpCaller({ cookie: admin })).system.audit({ actor: 'user:pager', limit: 2 });
    expect(list).toHaveLength(2);
    await expect((await httpCaller({ cookie: analyst })).system.audit({})).rejects.toThrow(/admin/);
  });

  it('CSV: header row, quoting, and formula cells neutralised', async () => {
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(null)).toBe('');
    await recordAudit(db, { actor: 'user:csv', action: 'csv.test', target: '=cmd|" /C calc"!A0', details: { from: { role: 'analyst' }, to: { role: 'admin' } } });
    let text = '';
    for await (const line of auditCsv(db, { actor: 'user:csv' })) text += line;
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,target,outcome,ip,user_agent,api_key_id,request_id,details');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=cmd|"" /C calc""!A0"`);
    // jsonb orders keys its own way: check the quoted parts.
    expect(lines[1]).toContain('""from"":{""role"":""analyst""}');
    expect(lines[1]).toContain('""to"":{""role"":""admin""}');
  });

  it('CSV export caps the rows and says so', async () => {
    for (let i = 0; i < 5; i++) await recordAudit(db, { actor: 'user:cap', action: 'cap.test' });
    const lines: string[] = [];
    for await (const line of auditCsv(db, { actor: 'user:cap' }, 3)) lines.push(line);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatch(/^# truncated after 3 rows/);
  });
});
