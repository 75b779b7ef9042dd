import { describe, it, expect, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from './test-db';
import { openDb, type DbHandle } from './client';
import { isDatabaseUnavailable } from './unavailable';
import { forwarder } from '../testing/tcp-forwarder';

/**
 * A connection that resets while its client is checked out of the pool — a transaction between two statements —
 * fails that transaction with a connection error (a 503 for callers, server/db/unavailable.ts) instead of crashing
 * the process with an unhandled 'error' event (vitest fails the run on one); the pool then works again.
 */
describe('pooled clients survive a connection reset while checked out', () => {
  let fwd: Awaited<ReturnType<typeof forwarder>>;
  let h: DbHandle;
  afterAll(async () => {
    await h?.close();
    await fwd?.close();
  });

  it.each([false, true])('a transaction between statements (resolveUrl: %s)', async (resolving) => {
    const t = await createTestDb();
    const u = new URL(t.url);
    fwd = await forwarder(u.hostname, Number(u.port || 5432));
    u.hostname = '127.0.0.1';
    u.port = String(fwd.port);
    const url = u.toString();
    h = openDb(url, { max: 2, ...(resolving ? { resolveUrl: () => url } : {}) });
    const failed = await h.db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        fwd.takeDown(); // the socket closes while the client is checked out and idle
        await new Promise((r) => setTimeout(r, 300));
        await tx.execute(sql`select 2`);
      })
      .then(() => null, (e: unknown) => e);
    expect(failed).toBeTruthy();
    expect(isDatabaseUnavailable(failed)).toBe(true);
    fwd.bringUp();
    const r = await h.db.execute<{ n: number }>(sql`select 3::int as n`);
    expect(r.rows[0].n).toBe(3);
    await h.close();
    await fwd.close();
    await t.close();
  });
});
