import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { createTestDb } from './test-db';
import { openDb, type DbHandle } from './client';
import { isDatabaseUnavailable } from './unavailable';
import { errorOf } from '../http/rest';
import { bootEmbeddedPostgres } from './embedded-server';
import { freePort, portFilePath, rememberedPort } from './embedded';

/** Real connection failures, recognised in one place and answered 503 (never 500). */
describe('database unavailable → 503', () => {
  let t: DbHandle & { name: string };
  beforeAll(async () => {
    t = await createTestDb();
  });

  it('connection refused (nothing listens), through drizzle, is recognised and maps to 503 SERVICE_UNAVAILABLE', async () => {
    const port = await freePort();
    const h = openDb(`postgres://postgres@127.0.0.1:${port}/x`, { max: 1 });
    const e = await h.db.execute(sql`select 1`).catch((x: unknown) => x);
    await h.close();
    expect(isDatabaseUnavailable(e)).toBe(true);
    const r = errorOf(e, 'rid-1');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(JSON.stringify(r.body)).not.toMatch(/select|ECONNREFUSED|127\.0\.0\.1/);
  });

  it('a connection the server terminates (57P01, as at a shutdown) is recognised; a bad query is not', async () => {
    const c = new pg.Client({ connectionString: t.url });
    c.on('error', () => {});
    await c.connect();
    const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    const killer = new pg.Client({ connectionString: t.url });
    await killer.connect();
    // pg_terminate_backend sends the same FATAL 57P01 that a shutting-down server sends to its clients.
    const pending = c.query('select pg_sleep(5)').catch((x: unknown) => x);
    await new Promise((r) => setTimeout(r, 200));
    await killer.query('select pg_terminate_backend($1)', [pid]);
    await killer.end();
    const e = await pending;
    expect((e as { code?: string }).code).toBe('57P01');
    expect(isDatabaseUnavailable(e)).toBe(true);
    expect(isDatabaseUnavailable(await t.db.execute(sql`select 1/0`).catch((x: unknown) => x))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});

describe('embedded PostgreSQL keeps its port across restarts of the same data directory', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-port-'));
  const password = crypto.randomBytes(12).toString('hex');
  const dir = path.join(dataDir, 'postgres');
  const portFile = portFilePath(dataDir);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('reuses the remembered port when it is free; picks another only when it is taken, and says so', async () => {
    const logs: string[] = [];
    const a = await bootEmbeddedPostgres({ dir, password, portFile, log: (m) => logs.push(m) });
    await a.stop();
    expect(rememberedPort(portFile)).toBe(a.port);
    const b = await bootEmbeddedPostgres({ dir, password, portFile, log: (m) => logs.push(m) });
    expect(b.port).toBe(a.port);
    expect(b.movedFrom).toBeNull();
    const c0 = new pg.Client({ connectionString: b.url });
    await c0.connect();
    expect((await c0.query('select 1 as x')).rows[0].x).toBe(1);
    await c0.end();
    await b.stop();
    // Another program takes the port meanwhile.
    const squatter = net.createServer().listen(a.port, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const c = await bootEmbeddedPostgres({ dir, password, portFile, log: (m) => logs.push(m) });
      expect(c.port).not.toBe(a.port);
      expect(c.movedFrom).toBe(a.port);
      expect(rememberedPort(portFile)).toBe(c.port);
      expect(logs.join('\n')).toContain(`port ${a.port}, where the embedded PostgreSQL listened last time, is taken by another program; it listens on ${c.port} now`);
      await c.stop();
    } finally {
      squatter.close();
    }
  }, 120_000);
});
