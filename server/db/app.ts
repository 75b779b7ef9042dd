import { config } from '../config';
import { openDb, type DbHandle } from './client';
import { embeddedPassword, embeddedUrl, findRunningEmbedded } from './embedded';

/**
 * The database URL of this installation: DATABASE_URL when set, otherwise the embedded cluster that a running
 * `npm start` (or CLI) owns under DATA_DIR. Null when neither is available (the caller may boot the embedded one).
 */
export function resolveDatabaseUrl(): string | null {
  const cfg = config();
  if (cfg.DATABASE_URL) return cfg.DATABASE_URL;
  const running = findRunningEmbedded(cfg.dataDir);
  if (running?.pgPort) return embeddedUrl(embeddedPassword(cfg.dataDir), running.pgPort);
  return null;
}

/** One pool per process (web, worker, serve), opened on first use. Migrations are NOT run here (see bin/). */
const g = globalThis as unknown as { __signalopsDb?: DbHandle };

export function appDb(): DbHandle {
  if (!g.__signalopsDb) {
    const url = resolveDatabaseUrl();
    if (!url) {
      throw new Error('No database: set DATABASE_URL, or start SignalOps with `npm start` (it boots the embedded PostgreSQL).');
    }
    g.__signalopsDb = openDb(url, { applicationName: `signalops-${config().SIGNALOPS_PROC}` });
  }
  return g.__signalopsDb;
}
