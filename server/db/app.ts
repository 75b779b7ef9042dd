import { config } from '../config';
import { childLogger } from '../log';
import { openDb, maskUrl, type DbHandle } from './client';
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

/** One line when the database moved (masked URLs: the password never reaches a log). */
export function logMoved(from: string, to: string) {
  childLogger({ component: 'db' }).warn({ from: maskUrl(from), to: maskUrl(to) }, 'the database moved; new connections go to its new address');
}

/** One pool per process (web, worker, serve), opened on first use. Migrations are NOT run here (see bin/). */
const g = globalThis as unknown as { __signalopsDb?: DbHandle };

export function appDb(): DbHandle {
  if (!g.__signalopsDb) {
    const url = resolveDatabaseUrl();
    if (!url) {
      throw new Error('No database: set DATABASE_URL, or start SignalOps with `npm start` (it boots the embedded PostgreSQL).');
    }
    // Follows the embedded database when it restarts on another port (see openDb's resolveUrl).
    g.__signalopsDb = openDb(url, { applicationName: `signalops-${config().SIGNALOPS_PROC}`, resolveUrl: resolveDatabaseUrl, onMoved: logMoved });
  }
  return g.__signalopsDb;
}
