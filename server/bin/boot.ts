import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { config, ConfigError } from '../config';
import { maskUrl } from '../db/client';
import { ensureDatabase, runMigrations } from '../db/migrate';
import {
  acquireDataDirLock,
  AlreadyRunningError,
  embeddedPassword,
  embeddedUrl,
  findRunningEmbedded,
  portFilePath,
  type RuntimeInfo,
} from '../db/embedded';
import { bootEmbeddedPostgres } from '../db/embedded-server';

/** A failure at start that deserves one clear line and a non-zero exit, not a stack trace. */
export class StartupError extends Error {}

export interface Database {
  url: string;
  /** Where it came from, for the start banner. */
  source: 'DATABASE_URL' | 'embedded (booted here)' | 'embedded (owned by another process)';
  /** Records e.g. the web port in the runtime file (embedded only). */
  updateRuntime(patch: Partial<RuntimeInfo>): void;
  /** Stops the embedded cluster when this process booted it, releases the data directory. */
  close(): Promise<void>;
}

/**
 * Finds the database for a process: DATABASE_URL when set (creating the database if missing), else the embedded
 * cluster under DATA_DIR — joining the one a running process owns, or booting it when `boot` allows.
 * Then applies migrations (once, under an advisory lock).
 */
export async function openDatabase(opts: { owner: RuntimeInfo['owner']; boot: boolean; join: boolean; log: Logger }): Promise<Database> {
  const cfg = config();
  let db: Database;
  if (cfg.DATABASE_URL) {
    const url = cfg.DATABASE_URL;
    try {
      const created = await ensureDatabase(url);
      if (created) opts.log.info({ url: maskUrl(url) }, 'created the database');
    } catch (e) {
      throw new StartupError(`Cannot reach the database at ${maskUrl(url)}: ${describe(e)}`);
    }
    db = { url, source: 'DATABASE_URL', updateRuntime() {}, async close() {} };
  } else {
    const running = findRunningEmbedded(cfg.dataDir);
    if (running && (!opts.join || !running.pgPort)) throw new StartupError(new AlreadyRunningError(running, cfg.dataDir).message);
    if (running?.pgPort) {
      db = {
        url: embeddedUrl(embeddedPassword(cfg.dataDir), running.pgPort),
        source: 'embedded (owned by another process)',
        updateRuntime() {},
        async close() {},
      };
    } else if (!opts.boot) {
      throw new StartupError(
        `No database: DATABASE_URL is not set and no SignalOps is running on ${cfg.dataDir}. Start one with \`npm start\`, or set DATABASE_URL.`,
      );
    } else {
      let lock;
      try {
        lock = acquireDataDirLock(cfg.dataDir, opts.owner);
      } catch (e) {
        if (e instanceof AlreadyRunningError) throw new StartupError(e.message);
        throw e;
      }
      try {
        const server = await bootEmbeddedPostgres({
          dir: path.join(cfg.dataDir, 'postgres'),
          password: embeddedPassword(cfg.dataDir),
          port: cfg.EMBEDDED_PG_PORT || undefined,
          // The same port as last time when it is free (processes holding the URL reconnect to it).
          portFile: portFilePath(cfg.dataDir),
          log: (m) => opts.log.info(m),
        });
        lock.update({ pgPort: server.port });
        opts.log.info({ dir: path.join(cfg.dataDir, 'postgres'), port: server.port, ...(server.movedFrom ? { previousPort: server.movedFrom } : {}) }, 'embedded PostgreSQL is up');
        db = {
          url: server.url,
          source: 'embedded (booted here)',
          updateRuntime: (p) => lock.update(p),
          async close() {
            // A CLI that booted the database for one command may have been joined by another CLI or a worker on
            // the same DATA_DIR: let their connections finish before stopping (bounded wait). `npm start` stops at once.
            if (opts.owner === 'cli') await waitForOtherClients(server.url, opts.log);
            await server.stop();
            lock.release();
          },
        };
      } catch (e) {
        lock.release();
        throw new StartupError(describe(e));
      }
    }
  }
  try {
    const { applied } = await runMigrations(db.url);
    if (applied) opts.log.info({ applied }, 'database migrations applied');
  } catch (e) {
    await db.close();
    throw new StartupError(`Migrating the database at ${maskUrl(db.url)} failed: ${describe(e)}`);
  }
  return db;
}

async function waitForOtherClients(url: string, log: Logger, maxMs = 10 * 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let said = false;
  while (Date.now() < deadline) {
    const c = new pg.Client({ connectionString: url, application_name: 'signalops-cli-shutdown' });
    let others = 0;
    try {
      await c.connect();
      const r = await c.query(
        `select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and datname is not null`,
      );
      others = r.rows[0].n as number;
    } catch {
      return;
    } finally {
      await c.end().catch(() => {});
    }
    if (!others) return;
    if (!said) {
      log.info({ connections: others }, 'other processes use the embedded database; waiting for them before stopping it');
      said = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function describe(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return describe(e.errors[0]);
  if (e instanceof Error) return e.message || e.constructor.name;
  return String(e);
}

/** Exits with one clear line for a StartupError/ConfigError, a stack for anything unexpected. */
export function fail(e: unknown): never {
  const known = e instanceof StartupError || e instanceof ConfigError;
  process.stderr.write(`\nsignalops: ${known ? describe(e) : (e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}
