import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle/migrations');

/** Advisory-lock key for migrations ("signalop" in ASCII): every SignalOps process agrees on it. */
const MIGRATION_LOCK_KEY = 0x7369676e616c6f70n;

/**
 * Applies the committed SQL migrations once, under a session-level Postgres advisory lock: two processes starting
 * together serialise here, and the second finds nothing left to apply.
 */
export async function runMigrations(url: string): Promise<{ applied: number }> {
  const client = new pg.Client({ connectionString: url, application_name: 'signalops-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      const before = await countApplied(client);
      // Up to date: skip the migrator, whose first statement (CREATE SCHEMA IF NOT EXISTS drizzle) needs CREATE on the
      // database — so a runtime role with data rights only starts fine (README: "Least-privilege database role").
      if (await upToDate(client)) return { applied: 0 };
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
      const after = await countApplied(client);
      return { applied: after - before };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await client.end();
  }
}

/** Has the database applied the newest shipped migration (drizzle's own test: the latest `created_at`)? */
async function upToDate(client: pg.Client): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const newest = Math.max(...journal.entries.map((e) => e.when));
  const r = await client.query(`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`);
  if (!r.rows[0].present) return false;
  const m = await client.query('SELECT max(created_at)::text AS last FROM drizzle.__drizzle_migrations');
  return m.rows[0].last !== null && Number(m.rows[0].last) >= newest;
}

async function countApplied(client: pg.Client): Promise<number> {
  const r = await client.query(
    `SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`,
  );
  if (!r.rows[0].present) return 0;
  const c = await client.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
  return c.rows[0].n as number;
}

/** Number of migrations shipped with this code and how many the database has: for /api/ready. */
export async function migrationStatus(pool: pg.Pool): Promise<{ expected: number; applied: number }> {
  const { readFile } = await import('node:fs/promises');
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  const r = await pool.query(
    `SELECT CASE WHEN to_regclass('drizzle.__drizzle_migrations') IS NULL THEN 0
            ELSE (SELECT count(*)::int FROM drizzle.__drizzle_migrations) END AS n`,
  );
  return { expected: journal.entries.length, applied: r.rows[0].n as number };
}

/** Creates the database named in `url` when it does not exist yet (connecting to the server's `postgres` db). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (e) {
      // Another process created it between our check and our CREATE: fine.
      if ((e as { code?: string }).code !== '42P04') throw e;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}
