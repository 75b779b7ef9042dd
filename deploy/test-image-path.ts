/**
 * `npx tsx deploy/test-image-path.ts [--deps ci|prune] [--keep]`: the container image's start path, without Docker
 * (no Docker engine runs on this project's machines). It does what the Dockerfile does, in a temp dir:
 *
 *   1. build stage: the build context (the checkout minus .dockerignore's entries) with all dependencies (the
 *      checkout's node_modules, copied), `next build` with NEXT_OUTPUT=standalone;
 *   2. runtime stage: a fresh directory with exactly what the Dockerfile's final stage copies — package.json,
 *      package-lock.json, tsconfig.json, server/, drizzle/, deploy/{docker-entrypoint.sh,prestart.ts}, the standalone
 *      server.js and .next, .next/static — and production dependencies only: `npm ci --omit=dev` (`--deps ci`,
 *      the default, needs the registry) or the build's node_modules pruned with `npm prune --omit=dev` (`--deps
 *      prune`; also the fallback when `npm ci` fails);
 *   3. a fresh database (DATABASE_URL's server → a scratch database; else an embedded PostgreSQL), secrets given as
 *      files (ADMIN_PASSWORD_FILE, SESSION_SECRET_FILE, DATABASE_URL_FILE), and the image's commands run from the
 *      runtime dir through its entry point: `web` (prestart: migrations, first admin; then `node server.js`),
 *      `worker`, `serve`;
 *   4. passes when GET /api/health and GET /api/ready answer 200 on web, GET /health on serve, and no dev
 *      dependency is installed. Prints the duration of each step; removes everything (--keep leaves the temp dir).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scratchDatabase } from '../server/db/scratch';
import { freePort } from '../server/db/embedded';

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const depsMode = args.includes('--deps') ? args[args.indexOf('--deps') + 1] : 'ci';
if (depsMode !== 'ci' && depsMode !== 'prune') throw new Error('--deps must be ci or prune');

const timings: Record<string, number> = {};
const log = (line: string) => console.log(`image-path: ${line}`);
async function step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  timings[name] = Math.round((performance.now() - t0) / 100) / 10;
  log(`${name}: ${timings[name]} s`);
  return out;
}
function sh(cmd: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} (in ${cwd}) exited ${r.status}:\n${(r.stdout + r.stderr).split('\n').slice(-30).join('\n')}`);
  return r.stdout;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'signalops-image-'));
const buildDir = path.join(tmp, 'build');
const appDir = path.join(tmp, 'app');
const children: { name: string; proc: ChildProcess; out: () => string }[] = [];
let dropDb: (() => Promise<void>) | null = null;

async function cleanup() {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.proc.exitCode !== null || c.proc.signalCode !== null ? null : new Promise((r) => c.proc.once('exit', r)))));
  await dropDb?.().catch((e: Error) => log(`dropping the database: ${e.message}`));
  if (keep) log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

function start(name: string, command: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn('sh', [path.join(appDir, 'deploy/docker-entrypoint.sh'), ...command], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keepTail = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  proc.stdout!.on('data', keepTail);
  proc.stderr!.on('data', keepTail);
  children.push({ name, proc, out: () => out });
  return children[children.length - 1];
}

async function poll(name: string, url: string, child: (typeof children)[number], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited ${child.proc.exitCode} before ${name} answered:\n${child.out().split('\n').slice(-30).join('\n')}`);
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
    if (!(r instanceof Error)) {
      last = `${r.status} ${(await r.text()).slice(0, 400)}`;
      if (r.status === 200) return last;
    } else last = r.message;
    if (Date.now() > deadline) throw new Error(`${name} (${url}) did not answer 200 within ${timeoutMs / 1000} s; last: ${last}\n${child.name}:\n${child.out().split('\n').slice(-30).join('\n')}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

async function main() {
  const t0 = performance.now();
  log(`temp dir ${tmp}; ${os.cpus().length} cores, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);

  // 1. build stage -------------------------------------------------------------------------------------------------
  const ignored = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  await step('copy build context', () => {
    fs.mkdirSync(buildDir);
    sh('tar', ['-C', ROOT, ...ignored.flatMap((p) => ['--exclude', `./${p}`]), '-cf', path.join(tmp, 'context.tar'), '.'], ROOT);
    sh('tar', ['-C', buildDir, '-xf', path.join(tmp, 'context.tar')], ROOT);
    fs.rmSync(path.join(tmp, 'context.tar'));
  });
  await step('copy all dependencies (npm ci in the deps stage)', () => sh('cp', ['-a', path.join(ROOT, 'node_modules'), path.join(buildDir, 'node_modules')], ROOT));
  await step('next build (standalone)', () =>
    sh(process.execPath, [path.join(buildDir, 'node_modules/next/dist/bin/next'), 'build'], buildDir, { ...process.env, NEXT_OUTPUT: 'standalone', NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', SIGNALOPS_PROC: 'build' }),
  );
  if (!fs.existsSync(path.join(buildDir, '.next/standalone/server.js'))) throw new Error('next build wrote no .next/standalone/server.js (is output: standalone set from NEXT_OUTPUT in next.config.mjs?)');

  // 2. runtime stage: what the Dockerfile's final stage copies ------------------------------------------------------------
  await step('assemble the runtime stage', () => {
    fs.mkdirSync(path.join(appDir, 'deploy'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) fs.copyFileSync(path.join(buildDir, f), path.join(appDir, f));
    for (const d of ['server', 'drizzle']) fs.cpSync(path.join(buildDir, d), path.join(appDir, d), { recursive: true });
    for (const f of ['docker-entrypoint.sh', 'prestart.ts']) fs.copyFileSync(path.join(buildDir, 'deploy', f), path.join(appDir, 'deploy', f));
    fs.copyFileSync(path.join(buildDir, '.next/standalone/server.js'), path.join(appDir, 'server.js'));
    // Symlinks copied as they are, as Docker's COPY does: .next/node_modules/<pkg>-<hash> → ../../node_modules/<pkg>
    // (Turbopack's names for the external packages) must resolve against the runtime stage's node_modules.
    fs.cpSync(path.join(buildDir, '.next/standalone/.next'), path.join(appDir, '.next'), { recursive: true, verbatimSymlinks: true });
    fs.cpSync(path.join(buildDir, '.next/static'), path.join(appDir, '.next/static'), { recursive: true, verbatimSymlinks: true });
  });
  let deps = depsMode;
  if (depsMode === 'ci') {
    try {
      await step('npm ci --omit=dev (prod-deps stage)', () => sh('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], appDir));
    } catch (e) {
      log(`npm ci --omit=dev failed (${(e as Error).message.split('\n')[0]}); falling back to pruning the build's node_modules`);
      deps = 'prune (npm ci failed)';
    }
  }
  if (deps !== 'ci') {
    await step('copy + npm prune --omit=dev', () => {
      sh('cp', ['-a', path.join(buildDir, 'node_modules'), path.join(appDir, 'node_modules')], ROOT);
      sh('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], appDir);
    });
  }
  fs.rmSync(buildDir, { recursive: true, force: true });
  // Production dependencies only: no package the lockfile marks dev-only is installed. ("devOptional" ones — dev
  // dependencies that are also optional peers of production packages, e.g. @playwright/test for next — npm keeps.)
  const lock = JSON.parse(fs.readFileSync(path.join(appDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const entries = Object.entries(lock.packages).filter(([p]) => p.startsWith('node_modules/'));
  const devInstalled = entries.filter(([p, v]) => v.dev && fs.existsSync(path.join(appDir, p)));
  const devOptionalKept = entries.filter(([p, v]) => v.devOptional && fs.existsSync(path.join(appDir, p))).map(([p]) => p.replace(/^node_modules\//, ''));
  if (devInstalled.length) throw new Error(`dev dependencies in the runtime stage: ${devInstalled.slice(0, 10).map(([p]) => p).join(', ')}${devInstalled.length > 10 ? ', …' : ''}`);
  const size = sh('du', ['-sh', appDir], ROOT).split('\t')[0];
  log(`runtime stage: ${size}; none of the ${entries.filter(([, v]) => v.dev).length} dev-only packages installed (kept as optional peers of production packages: ${devOptionalKept.join(', ') || 'none'})`);

  // 3. database, secrets as files, the three commands -------------------------------------------------------------------
  const db = await step('fresh database', () => scratchDatabase('so_image'));
  dropDb = db.drop;
  log(`database: ${db.kind}`);
  const secrets = path.join(tmp, 'secrets');
  fs.mkdirSync(secrets, { mode: 0o700 });
  const secret = (name: string, value: string) => {
    fs.writeFileSync(path.join(secrets, name), `${value}\n`, { mode: 0o600 });
    return path.join(secrets, name);
  };
  const [webPort, servePort] = [await freePort(), await freePort()];
  // A clean environment, as in a container: nothing from this shell but PATH and HOME.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    HOSTNAME: '127.0.0.1',
    PORT: String(webPort),
    INFERENCE_PORT: String(servePort),
    SERVE_WORKERS: '1',
    DATA_DIR: path.join(appDir, '.data'),
    LOG_LEVEL: 'warn',
    DATABASE_URL_FILE: secret('database_url', db.url),
    ADMIN_PASSWORD_FILE: secret('admin_password', 'image-path-admin-password'),
    SESSION_SECRET_FILE: secret('session_secret', 'x'.repeat(16) + Math.random().toString(36).slice(2).padEnd(24, 'y')),
  };
  const web = start('web', ['web'], env);
  const worker = start('worker', ['worker'], env);
  const serve = start('serve', ['serve'], env);
  const health = await step('web: /api/health 200', () => poll('/api/health', `http://127.0.0.1:${webPort}/api/health`, web, 180_000));
  const ready = await step('web: /api/ready 200', () => poll('/api/ready', `http://127.0.0.1:${webPort}/api/ready`, web, 180_000));
  const serveHealth = await step('serve: /health 200', () => poll('/health', `http://127.0.0.1:${servePort}/health`, serve, 120_000));
  if (worker.proc.exitCode !== null) throw new Error(`worker exited ${worker.proc.exitCode}:\n${worker.out()}`);
  log(`/api/health → ${health}`);
  log(`/api/ready  → ${ready}`);
  log(`serve /health → ${serveHealth.slice(0, 160)}`);
  const total = Math.round((performance.now() - t0) / 100) / 10;
  log(`PASSED in ${total} s (deps: ${deps})`);
  console.log(JSON.stringify({ test: 'image-path', ok: true, deps, seconds: total, timings, runtime_size: size, database: db.kind.startsWith('DATABASE_URL') ? 'DATABASE_URL' : 'embedded' }));
}

void main()
  .then(cleanup, async (e: unknown) => {
    console.error(`image-path: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    await cleanup();
    process.exit(1);
  })
  .then(() => process.exit(0));
