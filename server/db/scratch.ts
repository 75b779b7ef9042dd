import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from './migrate';
import { bootEmbeddedPostgres } from './embedded-server';

async function onServer<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates database `name` on the server of `serverUrl`; returns its URL. */
export async function createDatabaseOn(serverUrl: string, name: string): Promise<string> {
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabaseOn(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
}

/**
 * A fresh, migrated database for a benchmark: a scratch database on DATABASE_URL's server when it is set, otherwise
 * an embedded PostgreSQL in a temporary directory. `drop()` removes it either way.
 */
export async function scratchDatabase(prefix: string): Promise<{ url: string; kind: string; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
    const url = await createDatabaseOn(serverUrl, name);
    const drop = () => dropDatabaseOn(serverUrl, name);
    await runMigrations(url).catch(async (e) => {
      await drop();
      throw e;
    });
    return { url, kind: `DATABASE_URL (scratch database ${name})`, drop };
  }
  const dir = path.join(os.tmpdir(), `signalops-${prefix}-pg-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  const server = await bootEmbeddedPostgres({ dir, password: crypto.randomBytes(16).toString('hex'), persistent: false });
  await runMigrations(server.url);
  return { url: server.url, kind: 'embedded', drop: () => server.stop() };
}
