import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import * as schema from '../../drizzle/schema';

export type Schema = typeof schema;
/** The database handle every domain function takes as its first argument. */
export type Db = NodePgDatabase<Schema> & { $client: pg.Pool };

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** Opens a pg Pool + drizzle over `url`. The caller owns it and closes it. */
export function openDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'signalops',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema }) as Db;
  let closed = false;
  return {
    db,
    pool,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** A transaction handle (inside `db.transaction(async (tx) => …)`). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Accepted by functions that only build queries, so they compose inside a caller's transaction. */
export type DbLike = Db | Tx;
