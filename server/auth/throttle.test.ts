import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { openDb, type Db, type DbHandle } from '../db/client';
import { createCaller } from '../trpc/root';
import { userCaller } from '../trpc/test-helpers';
import { createUser } from './users';
import { LoginThrottle } from './throttle';
import { closeProducerBosses } from '../jobs/queue';
import { auditLog } from '../../drizzle/schema';
import { systemCommands } from '../cli/system';
import type { CliContext } from '../cli/types';

/** An anonymous tRPC caller as an HTTP request from `ip` would be (the route puts ip and origin in the context). */
function anonFrom(db: Db, ip: string) {
  const resHeaders = new Headers();
  const caller = createCaller({
    db,
    principal: { kind: 'anonymous' },
    resHeaders,
    userAgent: 'throttle-test/1.0',
    ip,
    requestId: 'req-throttle',
    origin: { ip, userAgent: 'throttle-test/1.0', apiKeyId: null, requestId: 'req-throttle' },
  });
  return { caller, resHeaders };
}

async function outcome(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'OK', message: '' };
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: e.message };
    throw e;
  }
}

describe('sign-in throttling (issue 12, finding 2)', () => {
  let t: DbHandle;
  let db: Db;
  const PASSWORD = 'correct-horse-battery';
  beforeAll(async () => {
    t = await createTestDb();
    db = t.db;
    await createUser(db, { username: 'trader', password: PASSWORD, role: 'engineer' }, 'test');
    await createUser(db, { username: 'resetter', password: PASSWORD, role: 'analyst' }, 'test');
    await createUser(db, { username: 'burst', password: PASSWORD, role: 'analyst' }, 'test');
  });
  afterAll(() => closeProducerBosses());

  it('locks an account after 10 wrong passwords: the 11th attempt answers 429 with Retry-After, even with the right password', async () => {
    const { caller, resHeaders } = anonFrom(db, '203.0.113.7');
    for (let i = 1; i <= 10; i++) {
      const r = await outcome(caller.auth.login({ username: 'trader', password: `wrong-${i}` }));
      expect(r.code, `attempt ${i}`).toBe('UNAUTHORIZED');
      if (i === 10) expect(r.message).toMatch(/locked for 60 s/);
    }
    const eleventh = await outcome(caller.auth.login({ username: 'trader', password: 'wrong-11' }));
    expect(eleventh.code).toBe('TOO_MANY_REQUESTS');
    expect(eleventh.message).toMatch(/locked; try again in \d+ s/);
    expect(Number(resHeaders.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(resHeaders.get('retry-after'))).toBeLessThanOrEqual(60);
    // the right password does not get through a lock
    const right = await outcome(caller.auth.login({ username: 'trader', password: PASSWORD }));
    expect(right.code).toBe('TOO_MANY_REQUESTS');
    // case does not matter (usernames are case-insensitive)
    expect((await outcome(caller.auth.login({ username: 'TRADER', password: PASSWORD }))).code).toBe('TOO_MANY_REQUESTS');

    // every failed or refused attempt is in the audit log, with where it came from; never the password
    const rows = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'auth.login'), eq(auditLog.outcome, 'failed')));
    const mine = rows.filter((r) => (r.details as { username?: string }).username?.toLowerCase() === 'trader');
    expect(mine).toHaveLength(13);
    expect(mine.every((r) => r.ip === '203.0.113.7' && r.userAgent === 'throttle-test/1.0' && r.requestId === 'req-throttle')).toBe(true);
    const reasons = mine.map((r) => (r.details as { reason: string }).reason);
    expect(reasons.filter((x) => x === 'wrong-password')).toHaveLength(10);
    expect(reasons.filter((x) => x === 'account-locked')).toHaveLength(3);
    expect(JSON.stringify(mine)).not.toContain('wrong-1');
    expect(JSON.stringify(mine)).not.toContain(PASSWORD);
  });

  it('an admin unlocks the account (users.unlock, audited); then the right password signs in', async () => {
    const analyst = await userCaller(db, 'analyst');
    expect((await outcome(analyst.users.unlock({ username: 'trader' }))).code).toBe('FORBIDDEN');
    const admin = await userCaller(db, 'admin');
    await expect(admin.users.unlock({ username: 'trader' })).resolves.toEqual({ username: 'trader', wasLocked: true });
    const { caller } = anonFrom(db, '203.0.113.7');
    await expect(caller.auth.login({ username: 'trader', password: PASSWORD })).resolves.toMatchObject({ username: 'trader' });
    const [row] = await db.select().from(auditLog).where(eq(auditLog.action, 'user.unlock'));
    expect(row).toMatchObject({ target: 'trader', outcome: 'ok' });
  });

  it('a successful sign-in resets the count of consecutive failures', async () => {
    const { caller } = anonFrom(db, '198.51.100.9');
    for (let i = 0; i < 9; i++) expect((await outcome(caller.auth.login({ username: 'resetter', password: 'nope-nope' }))).code).toBe('UNAUTHORIZED');
    await caller.auth.login({ username: 'resetter', password: PASSWORD });
    for (let i = 0; i < 9; i++) expect((await outcome(caller.auth.login({ username: 'resetter', password: 'nope-nope' }))).code).toBe('UNAUTHORIZED');
    await expect(caller.auth.login({ username: 'resetter', password: PASSWORD })).resolves.toMatchObject({ username: 'resetter' });
  });

  it('a burst of parallel guesses gets at most 10 password checks before the lock', async () => {
    const { caller } = anonFrom(db, '192.0.2.44');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => outcome(caller.auth.login({ username: 'burst', password: `guess-${i}` }))));
    const checked = results.filter((r) => r.code === 'UNAUTHORIZED').length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(results.filter((r) => r.code === 'TOO_MANY_REQUESTS').length).toBe(40 - checked);
    expect((await outcome(caller.auth.login({ username: 'burst', password: PASSWORD }))).code).toBe('TOO_MANY_REQUESTS');
  });

  it('unknown usernames are throttled exactly like real ones (the answers do not tell which exist)', async () => {
    const { caller } = anonFrom(db, '192.0.2.45');
    for (let i = 0; i < 10; i++) expect((await outcome(caller.auth.login({ username: 'nobody-here', password: 'whatever-1' }))).code).toBe('UNAUTHORIZED');
    expect((await outcome(caller.auth.login({ username: 'nobody-here', password: 'whatever-1' }))).code).toBe('TOO_MANY_REQUESTS');
  });

  it('the CLI unlocks too (`user unlock`), and sets a key\'s rate limit (`apikey create --rate-limit`, `apikey set-limit`)', async () => {
    const { caller } = anonFrom(db, '192.0.2.46');
    await createUser(db, { username: 'cli-locked', password: PASSWORD, role: 'analyst' }, 'test');
    for (let i = 0; i < 10; i++) await outcome(caller.auth.login({ username: 'cli-locked', password: 'wrong-pass' }));
    expect((await outcome(caller.auth.login({ username: 'cli-locked', password: PASSWORD }))).code).toBe('TOO_MANY_REQUESTS');
    const out: { doc: unknown; human?: string }[] = [];
    const ctx: CliContext = { db, json: false, actor: 'cli', result: (doc, human) => out.push({ doc, human }), info: () => {}, progress: () => ({ update() {}, done() {} }) };
    await systemCommands['user unlock'].run(ctx, { positionals: [], values: { username: 'cli-locked' } });
    expect(out[0].human).toMatch(/Unlocked sign-in for 'cli-locked'/);
    await expect(caller.auth.login({ username: 'cli-locked', password: PASSWORD })).resolves.toMatchObject({ username: 'cli-locked' });

    await systemCommands['apikey create'].run(ctx, { positionals: [], values: { name: 'cli-key', scopes: 'predict', 'rate-limit': '30000' } });
    const created = out[1].doc as { apiKey: { id: string; rateLimitPerMinute: number } };
    expect(created.apiKey.rateLimitPerMinute).toBe(30000);
    await systemCommands['apikey set-limit'].run(ctx, { positionals: [created.apiKey.id], values: { 'per-minute': 'default' } });
    expect(out[2].human).toMatch(/the default \(12000\)/);
    await systemCommands['apikey set-limit'].run(ctx, { positionals: [created.apiKey.id], values: { 'per-minute': '99' } });
    expect((out[3].doc as { apiKey: { rateLimitPerMinute: number } }).apiKey.rateLimitPerMinute).toBe(99);
  });

  describe('the throttle itself (short settings), shared by replicas', () => {
    let other: DbHandle;
    beforeAll(() => {
      other = openDb(t.url, { max: 2, applicationName: 'signalops-test-replica' });
    });
    afterAll(() => other.close());
    const settings = { maxFailures: 3, lockSeconds: 1, lockMaxSeconds: 4, ipMaxFailures: 5 };

    it('locks for a growing time; one more attempt after each lock; a second pool (another replica) sees the same lock', async () => {
      const a = new LoginThrottle(db.$client, settings);
      const b = new LoginThrottle(other.db.$client, settings);
      const fail = async (th: LoginThrottle) => {
        const at = await th.begin('grow', null);
        if (!('failures' in at)) return at.reason;
        return (await at.failed()).lockedForSeconds;
      };
      expect(await fail(a)).toBeNull();
      expect(await fail(b)).toBeNull();
      expect(await fail(a)).toBe(1); // third failure: locked 1 s
      expect(await fail(b)).toBe('account-locked'); // the other replica refuses too
      expect(await b.lockedFor('GROW')).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await fail(b)).toBe(2); // one attempt after the lock, failed: locked twice as long
      await new Promise((r) => setTimeout(r, 2100));
      expect(await fail(a)).toBe(4);
      await new Promise((r) => setTimeout(r, 4100));
      expect(await fail(a)).toBe(4); // capped at lockMaxSeconds
      expect(await a.unlock('grow')).toBe(true);
      expect(await a.lockedFor('grow')).toBeNull();
      expect(await fail(b)).toBeNull(); // the count starts over after an unlock
    }, 20_000);

    it('refuses an address that failed too often, whatever the account; other addresses are not affected', async () => {
      const th = new LoginThrottle(db.$client, settings);
      for (let i = 0; i < 5; i++) {
        const at = await th.begin(`spray-${i}`, '100.64.0.1');
        expect('failures' in at).toBe(true);
        if ('failures' in at) await at.failed();
      }
      const refused = await th.begin('spray-new', '100.64.0.1');
      expect(refused).toMatchObject({ reason: 'ip-throttled' });
      expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(800);
      expect('failures' in (await th.begin('spray-new', '100.64.0.2'))).toBe(true);
    });
  });
});
