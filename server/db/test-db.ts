import crypto from 'node:crypto';
import pg from 'pg';
import { inject, afterAll } from 'vitest';
import { openDb, type DbHandle } from './client';
import { runMigrations } from './migrate';

/**
 * A fresh, migrated database for one test file, on the run's real PostgreSQL (see test-global-setup.ts).
 * Dropped when the file's tests end, and in any case by the run's global teardown.
 *
 *   const t = await createTestDb();      // in beforeAll
 *   await listDatasets(t.db);
 */
export async function createTestDb(): Promise<DbHandle & { name: string }> {
  const serverUrl = inject('pgServerUrl');
  const name = `${inject('testDbPrefix')}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await runMigrations(url);
  const handle = openDb(url, { max: 5, applicationName: 'signalops-test' });
  afterAll(async () => {
    await handle.close();
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { ...handle, name };
}
