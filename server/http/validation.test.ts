import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { createUser } from '../auth/users';
import { createApiKey } from '../auth/apikeys';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { applyNewVersionPolicy } from '../promotion/actions';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { logFieldsOf, redactSecrets, safeMessageOf } from '../errors';
import { errorOf } from './rest';
import { findInputProblem } from '../validation';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';

type Route = (req: Request, ctx?: unknown) => Promise<Response>;

/**
 * Issue 12, finding 1: inputs that reached SQL and answered 500 with `Failed query: <SQL> params: …` (the users
 * table's columns to an anonymous caller, a scrypt hash to an admin). Each is sent through the real route modules
 * (tRPC, REST, serving) and must answer 4xx naming the field, with no SQL, parameters or hash in the body.
 */
describe('inputs are validated before SQL (issue 12, finding 1)', () => {
  let db: Db;
  let key: string;
  let trpcPOST: Route;
  let trpcGET: Route;
  let promotePOST: Route;
  let servingPOST: Route;
  let auditGET: Route;

  beforeAll(async () => {
    const t = await createTestDb();
    db = t.db;
    process.env.DATABASE_URL = t.url; // appDb() of the route modules (config is read on first use)
    await importCandles(db, { source: Buffer.from(toCsv(plantedSignalCandles(1500, 3), 'mt-comma')), dataset: 'planted', symbol: 'EURUSD', actor: 'test' });
    const run = await startRun(db, { dataset: 'planted', modelName: 'signals', modelType: 'logreg', window: 8, epochs: 2, batchSize: 64, patience: 1, seed: 7 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, run.id, { workerId: 'test', log: logger(), onRegistered: (v) => applyNewVersionPolicy(db, v) });
    expect(out.version, out.error ?? undefined).toBeTruthy();
    await createUser(db, { username: 'admin', password: 'correct-horse-battery', role: 'admin' }, 'test');
    key = (await createApiKey(db, { name: 'admin-key', scopes: ['predict', 'read', 'data', 'train', 'promote', 'admin'] }, 'test')).key;
    const trpc = (await import('../../app/api/trpc/[trpc]/route')) as unknown as { GET: Route; POST: Route };
    trpcPOST = trpc.POST;
    trpcGET = trpc.GET;
    promotePOST = ((await import('../../app/api/v1/promote/[version]/route')) as unknown as { POST: Route }).POST;
    servingPOST = ((await import('../../app/api/v1/[...serving]/route')) as unknown as { POST: Route }).POST;
    auditGET = ((await import('../../app/api/v1/audit/route')) as unknown as { GET: Route }).GET;
  }, 180_000);
  afterAll(async () => {
    await closeProducerBosses();
  });

  const headers = (auth = true) => ({ 'content-type': 'application/json', origin: 'http://x', ...(auth ? { authorization: `Bearer ${key}` } : {}) });
  const mutation = async (path: string, input: unknown, auth = true) => {
    const res = await trpcPOST(new Request(`http://x/api/trpc/${path}`, { method: 'POST', headers: headers(auth), body: JSON.stringify(input) }));
    return { status: res.status, text: await res.text() };
  };
  const query = async (path: string, input: unknown) => {
    const res = await trpcGET(new Request(`http://x/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: headers() }));
    return { status: res.status, text: await res.text() };
  };
  /** 400, the field named in the message, nothing of SQL, its parameters, a stack or a hash. */
  const expectBadInput = (r: { status: number; text: string }, field: string) => {
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain(field);
    expect(r.text).not.toMatch(/Failed query|params:|select |insert into|scrypt\$|\.ts:\d/);
  };

  it('auth.login with a NUL byte in the username (no login needed): 400 naming username, not the users table', async () => {
    expectBadInput(await mutation('auth.login', { username: 'admin\u0000', password: 'x' }, false), 'username');
  });

  it('auth.login with a lone surrogate in the username: 400 (it once reached a jsonb audit row)', async () => {
    expectBadInput(await mutation('auth.login', { username: 'admin\ud800', password: 'x' }, false), 'username');
  });

  it('users.create with a NUL byte in displayName: 400 naming displayName, never the scrypt hash', async () => {
    expectBadInput(await mutation('users.create', { username: 'eve', password: 'long-enough-pw', role: 'analyst', displayName: 'Eve\u0000' }), 'displayName');
  });

  it('users.create of the same name twice at once: one 409 naming username, never a unique-index error', async () => {
    const rs = await Promise.all([1, 2, 3].map(() => mutation('users.create', { username: 'twin', password: 'long-enough-pw', role: 'analyst' })));
    expect(rs.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const r of rs.filter((x) => x.status === 409)) expect(r.text).toContain('username');
  });

  it('registry.get with version v99999999999: 400 naming version (versions are int4)', async () => {
    expectBadInput(await query('registry.get', { model: 'signals', version: 'v99999999999' }), 'version');
    expectBadInput(await query('registry.get', { model: 'signals', version: 99_999_999_999 }), 'version');
  });

  it('promotion.promote and setAlias with version v99999999999: 400 naming version', async () => {
    expectBadInput(await mutation('promotion.promote', { model: 'signals', version: 'v99999999999', percent: 10, comment: 'x' }), 'version');
    expectBadInput(await mutation('promotion.setAlias', { model: 'signals', alias: 'challenger', version: 'v99999999999', comment: 'x' }), 'version');
  });

  it('REST POST /api/v1/promote/v99999999999: 400 naming version', async () => {
    const res = await promotePOST(new Request('http://x/api/v1/promote/v99999999999?traffic_percentage=10&model=signals', { method: 'POST', headers: headers() }), {
      params: Promise.resolve({ version: 'v99999999999' }),
    });
    expectBadInput({ status: res.status, text: await res.text() }, 'version');
  });

  it('apiKeys.create with expiresAt beyond PostgreSQL timestamps: 400 naming expiresAt', async () => {
    expectBadInput(await mutation('apiKeys.create', { name: 'far', scopes: ['read'], expiresAt: '+275760-09-13T00:00:00.000Z' }), 'expiresAt');
    expectBadInput(await mutation('apiKeys.create', { name: 'far', scopes: ['read'], expiresAt: 8.64e15 }), 'expiresAt');
  });

  it('a split naming one version twice: 400 naming split', async () => {
    expectBadInput(await mutation('promotion.setSplit', { model: 'signals', comment: 'x', split: [{ version: 'v1', percent: 50 }, { version: 'v1', percent: 50 }] }), 'split');
    expectBadInput(await mutation('promotion.setSplit', { model: 'signals', comment: 'x', split: [{ version: 1, percent: 50 }, { version: 'v1', percent: 50 }] }), 'split');
  });

  it('alert ids beyond int4 (alerts.rule, setRuleEnabled, history.before): 400 naming the field', async () => {
    expectBadInput(await query('alerts.rule', { id: 2_147_483_648 }), 'id');
    expectBadInput(await mutation('alerts.setRuleEnabled', { id: 2_147_483_648, enabled: false }), 'id');
    expectBadInput(await query('alerts.history', { before: 2_147_483_648 }), 'before');
  });

  it('REST and serving: a NUL byte in a query parameter or a JSON body is a 400 naming it', async () => {
    const audit = await auditGET(new Request('http://x/api/v1/audit?actor=admin%00', { headers: headers() }));
    expectBadInput({ status: audit.status, text: await audit.text() }, 'actor');
    const predict = await servingPOST(new Request('http://x/api/v1/predict', { method: 'POST', headers: headers(), body: JSON.stringify({ symbol: 'EURUSD\u0000', indicators: { rsi_value: 50 } }) }), {
      params: Promise.resolve({ serving: ['predict'] }),
    });
    expectBadInput({ status: predict.status, text: await predict.text() }, 'symbol');
  });

  it('array caps: every array input is bounded, the answer a 400 naming the field and the limit', async () => {
    // (The 10,000-entry split once took 13 s; now it is refused by its schema before any version is looked up.)
    const split = Array.from({ length: 10_000 }, (_, i) => ({ version: `v${i + 1}`, percent: i ? 0 : 100 }));
    const r1 = await mutation('promotion.setSplit', { model: 'signals', comment: 'x', split });
    expectBadInput(r1, 'split');
    expect(r1.text).toContain('at most 100');
    const r2 = await mutation('apiKeys.create', { name: 'many', scopes: Array.from({ length: 1000 }, () => 'read') });
    expectBadInput(r2, 'scopes');
    expect(r2.text).toContain('at most 20');
    const r3 = await mutation('promotion.setSymbols', { model: 'signals', symbols: Array.from({ length: 501 }, (_, i) => `S${i}`) });
    expectBadInput(r3, 'symbols');
    const r4 = await query('registry.compare', { versions: Array.from({ length: 5 }, () => ({ model: 'signals', version: 'v1' })) });
    expectBadInput(r4, 'versions');
    const r5 = await mutation('alerts.createRule', { name: 'p', metric: 'error_rate', comparator: '>', threshold: 1, forSeconds: 0, params: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) });
    expectBadInput(r5, 'params');
    // Behind every schema's own cap, one for any array anywhere (here in a field no schema reads).
    const r6 = await mutation('system.ping', { message: 'x', junk: Array.from({ length: 100_001 }, () => 0) });
    expectBadInput(r6, 'junk');
    expect(r6.text).toContain('at most 100000');
  });

  it('the raw-input check: NUL bytes in values and keys, lone surrogates, __proto__ keys and deep nesting, each with its path', () => {
    expect(findInputProblem({ a: [{ b: 'x\u0000' }] })).toEqual({ field: 'a.0.b', message: expect.stringContaining('NUL') });
    expect(findInputProblem({ ['k\u0000']: 1 })?.field).toBe('k\\u0000');
    expect(findInputProblem({ s: '\udc00' })?.message).toMatch(/surrogate/);
    expect(findInputProblem(JSON.parse('{"x":{"__proto__":{"admin":true}}}'))?.field).toBe('x.__proto__');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(findInputProblem(deep)?.message).toMatch(/nested deeper/);
    expect(findInputProblem({ ok: ['EURUSD', 1, null, { 'é😀': 'fine' }] })).toBeNull();
  });

  it('an unexpected database error answers a generic message with the request id; its log fields carry the code, never SQL or parameters', async () => {
    const e = await db.execute(sql`select * from no_such_table where secret = ${'scrypt$abc$def'}`).then(
      () => null,
      (x: unknown) => x,
    );
    expect(String((e as Error).message)).toMatch(/Failed query[\s\S]*params:/); // what drizzle says, and must not reach anyone
    const r = errorOf(e, 'req-42');
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).toBe(JSON.stringify({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal error (request id req-42); see the server log.' } }));
    const fields = JSON.stringify(logFieldsOf(e));
    expect(fields).toContain('42P01');
    expect(fields).not.toMatch(/Failed query|params:|no_such_table|scrypt/);
    expect(safeMessageOf(e)).not.toMatch(/Failed query|params:|scrypt/);
    expect(redactSecrets('key so_abcdefghijklmnopqrstu and scrypt$1$2 and Bearer tok and postgres://u:pw@h/db')).toBe('key so_[redacted] and scrypt$[redacted] and Bearer [redacted] and postgres://u:***@h/db');
  });
});
