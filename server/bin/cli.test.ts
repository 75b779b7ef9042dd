import { describe, it, expect, beforeAll } from 'vitest';
import { desc } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { runCli } from '../testing/processes';
import { principalFromApiKey } from '../auth/apikeys';
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
});
