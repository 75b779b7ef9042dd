import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from './test-db';
import { runMigrations, migrationStatus } from './migrate';

describe('database harness', () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  beforeAll(async () => {
    t = await createTestDb();
  });

  it('gives each file a fresh migrated database', async () => {
    const r = await t.db.execute(sql`select count(*)::int as n from users`);
    expect(r.rows[0]).toEqual({ n: 0 });
    const st = await migrationStatus(t.pool);
    expect(st.applied).toBe(st.expected);
    expect(st.expected).toBeGreaterThan(0);
  });

  it('lets concurrent processes migrate the same database safely (advisory lock)', async () => {
    // The test database is already migrated; drop the bookkeeping so all five race to apply everything.
    await t.db.execute(sql`drop schema public cascade`);
    await t.db.execute(sql`create schema public`);
    await t.db.execute(sql`drop schema drizzle cascade`);
    const results = await Promise.all(Array.from({ length: 5 }, () => runMigrations(t.url)));
    const applied = results.map((r) => r.applied).sort();
    // Exactly one of them applied the migrations; the others found nothing to do and did not fail.
    expect(applied.filter((n) => n > 0)).toHaveLength(1);
    expect(applied.filter((n) => n === 0)).toHaveLength(4);
    const st = await migrationStatus(t.pool);
    expect(st.applied).toBe(st.expected);
  });
});
