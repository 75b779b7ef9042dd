import crypto from 'node:crypto';
import { inject, afterAll } from 'vitest';
import { openDb, type DbHandle } from './client';
import { runMigrations } from './migrate';
import { createDatabaseOn, dropDatabaseOn } from './scratch';

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
  const url = await createDatabaseOn(serverUrl, name);
  await runMigrations(url);
  const handle = openDb(url, { max: 5, applicationName: 'signalops-test' });
  afterAll(async () => {
    await handle.close();
    await dropDatabaseOn(serverUrl, name);
  });
  return { ...handle, name };
}
