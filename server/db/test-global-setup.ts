import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { bootEmbeddedPostgres, type EmbeddedServer } from './embedded-server';

/**
 * Vitest global setup: one real PostgreSQL server for the whole run — the one in DATABASE_URL when set, otherwise an
 * embedded one in a temporary directory (removed afterwards). Each test file then gets a fresh database of its own
 * (see test-db.ts).
 */
let server: EmbeddedServer | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    /** Every test database of this run is named `<prefix>_…`; teardown drops them all (a server of your own keeps nothing). */
    testDbPrefix: string;
  }
}

let serverUrl: string | undefined;
let prefix: string | undefined;

export async function setup(project: TestProject) {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const dir = path.join(os.tmpdir(), `signalops-test-pg-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
    server = await bootEmbeddedPostgres({ dir, password: crypto.randomBytes(16).toString('hex'), persistent: false });
    url = server.url;
  }
  serverUrl = url;
  prefix = `so_test_${Date.now().toString(36)}`;
  project.provide('pgServerUrl', url);
  project.provide('testDbPrefix', prefix);
}

export async function teardown() {
  if (server) return server.stop(); // the embedded server's directory goes with it
  if (!serverUrl || !prefix) return;
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const r = await c.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}\\_%`]);
    for (const row of r.rows) await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(row.datname)} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
