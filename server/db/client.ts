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

/**
 * A pooled client whose connection errors never crash the process. pg-pool listens for errors only on idle clients; a
 * checked-out one (a transaction between statements, any `pool.connect()` user) emits 'error' when its socket resets,
 * and with no listener Node throws: a restarting database took a worker down with "Unhandled 'error' event … read
 * ECONNRESET" (server/jobs/heartbeat-outage.test.ts under load; server/db/client.test.ts). The error still reaches every
 * query in flight (pg rejects them), the client is marked not queryable, and the pool drops it when it is released.
 */
class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => {});
  }
}

/** Pools opened with `resolveUrl`: how each re-reads where the database is (see openDb). */
const resolvers = new WeakMap<pg.Pool, () => string>();

/**
 * Opens a pg Pool + drizzle over `url`. The caller owns it and closes it.
 *
 * `resolveUrl` (the embedded database, whose port may change when it restarts): every new connection first re-reads
 * where the database is — cheap: two small files under DATA_DIR — and a changed URL becomes the pool's target
 * (`pool.options.connectionString`, which queue producers also read). Connections to the old server fail with
 * connection errors (server/db/unavailable.ts: callers answer 503) and leave the pool; the next ones go to the new
 * server. While nothing says where the database is (it is down), the last known URL is kept.
 */
export function openDb(url: string, opts: { max?: number; applicationName?: string; resolveUrl?: () => string | null; onMoved?: (from: string, to: string) => void } = {}): DbHandle {
  const resolveUrl = opts.resolveUrl;
  const refresh = (): string => {
    const cur = pool.options.connectionString ?? url;
    if (!resolveUrl) return cur;
    let next: string | null = null;
    try {
      next = resolveUrl();
    } catch {
      next = null;
    }
    if (next && next !== cur) {
      pool.options.connectionString = next;
      opts.onMoved?.(cur, next);
      return next;
    }
    return cur;
  };
  // Runs before each new connection is made (pg-pool: `new this.Client(this.options)` — the same options object).
  class ResolvingClient extends GuardedClient {
    constructor(config?: string | pg.ClientConfig) {
      refresh();
      super(config);
    }
  }
  const pool: pg.Pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'signalops',
    connectionTimeoutMillis: 10_000,
    Client: resolveUrl ? ResolvingClient : GuardedClient,
  });
  resolvers.set(pool, refresh);
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema }) as Db;
  let closed = false;
  return {
    db,
    pool,
    get url() {
      return pool.options.connectionString ?? url;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * Where `db`'s pool connects now, re-read first for pools opened with `resolveUrl` — for connections made outside
 * the pool (LISTEN clients, queue handles), so they follow the database when it moves.
 */
export function currentUrl(db: Db): string {
  const pool = db.$client;
  return resolvers.get(pool)?.() ?? pool.options.connectionString ?? '';
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
