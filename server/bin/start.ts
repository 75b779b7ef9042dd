/**
 * `npm start` (and `npm run dev` with --dev): the whole system in one command.
 *   1. the database: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (booted here, stopped on exit);
 *   2. migrations (advisory lock), the first admin (password printed once), demo data;
 *   3. a production build of the web app when missing or older than the sources (skipped in --dev);
 *   4. the web process (Next.js) and one worker, their logs prefixed [web] / [worker]; a child that crashes is
 *      restarted with backoff (1 s, 2 s, 4 s … 30 s; given up after RESTART_MAX_RAPID crashes in a row — supervise.ts),
 *      the others and the embedded database keep running meanwhile.
 * Ctrl-C (SIGINT) or SIGTERM stops the children, then the embedded database; nothing is left running.
 */
process.env.SIGNALOPS_PROC ??= 'start';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { config, APP_VERSION } from '../config';
import { logger } from '../log';
import { openDb, maskUrl } from '../db/client';
import { ensureFirstAdmin } from '../auth/users';
import { warnSessionSecretSetup } from '../auth/secrets';
import { openDatabase, fail, type Database } from './boot';
import { firstStartData } from './first-start';
import { buildIsCurrent } from './web-build';
import { Supervisor } from './supervise';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '../..');
const dev = process.argv.includes('--dev');

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WritableStream) {
  if (!stream) return;
  readline.createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  prefixLines(child.stdout, `[${name}]`, process.stdout);
  prefixLines(child.stderr, `[${name}]`, process.stderr);
  return child;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

async function main() {
  const cfg = config();
  const log = logger();
  const children: { name: string; proc: ChildProcess }[] = [];
  const state: { database?: Database } = {};
  let shuttingDown = false;
  const supervisor = new Supervisor({
    log,
    policy: { initialMs: cfg.RESTART_BACKOFF_INITIAL_MS, maxMs: cfg.RESTART_BACKOFF_MAX_MS, stableMs: cfg.RESTART_STABLE_SECONDS * 1000, maxRapid: cfg.RESTART_MAX_RAPID },
    onGiveUp: (name) => void shutdown(`${name} keeps crashing`, 1),
  });

  const shutdown = async (reason: string, code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ reason }, 'shutting down');
    const supervised = supervisor.stop(12_000);
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
    const killTimer = setTimeout(() => {
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }, 12_000);
    await Promise.all([supervised, ...children.map((c) => waitForExit(c.proc))]);
    clearTimeout(killTimer);
    await state.database?.close();
    log.info('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGHUP', () => void shutdown('SIGHUP', 0));

  const database = (state.database = await openDatabase({ owner: 'start', boot: true, join: false, log }));
  if (shuttingDown) return;
  log.info({ database: maskUrl(database.url), source: database.source, version: APP_VERSION }, 'database ready');
  warnSessionSecretSetup(log);

  // First start: the admin account and the demo dataset.
  const handle = openDb(database.url, { max: 2, applicationName: 'signalops-start' });
  try {
    const admin = await ensureFirstAdmin(handle.db, cfg.ADMIN_PASSWORD);
    if (admin.created && admin.generated) {
      // Printed once, to the console only (never to the structured log).
      process.stdout.write(
        `\n  ┌───────────────────────────────────────────────────────────────┐\n` +
          `  │ First start: created user 'admin' with a generated password:   │\n` +
          `  │   ${admin.password!.padEnd(60)}│\n` +
          `  │ It is shown only this once. Set ADMIN_PASSWORD to choose one.  │\n` +
          `  └───────────────────────────────────────────────────────────────┘\n\n`,
      );
    } else if (admin.created) {
      log.info("created user 'admin' with the password from ADMIN_PASSWORD");
    }
    await firstStartData(handle.db, log);
  } finally {
    await handle.close();
  }

  const childEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', DATABASE_URL: database.url, NODE_ENV: dev ? 'development' : 'production' };
  const nextBin = require.resolve('next/dist/bin/next');
  const tsxLoader = require.resolve('tsx');

  if (!dev && !buildIsCurrent(ROOT)) {
    log.info('building the web app (next build) — first start or sources changed; this takes a minute');
    const build = run('build', [nextBin, 'build'], { ...childEnv, SIGNALOPS_PROC: 'build' });
    children.push({ name: 'build', proc: build });
    const code = await waitForExit(build);
    children.pop();
    if (shuttingDown) return;
    if (code !== 0) {
      log.error({ code }, 'next build failed');
      return shutdown('build failed', 1);
    }
  }

  // Supervised: a crash restarts that child only (web keeps answering while the worker restarts, and vice versa).
  supervisor.add('web', () => run('web', [nextBin, dev ? 'dev' : 'start', '-p', String(cfg.PORT), '-H', cfg.HOSTNAME], { ...childEnv, SIGNALOPS_PROC: 'web' }));
  supervisor.add('worker', () => run('worker', ['--import', tsxLoader, path.join(ROOT, 'server/bin/worker.ts')], { ...childEnv, SIGNALOPS_PROC: 'worker' }));
  database.updateRuntime({ webPort: cfg.PORT });
  log.info({ url: `http://localhost:${cfg.PORT}` }, 'SignalOps is starting: web + 1 worker');
}

main().catch(fail);
