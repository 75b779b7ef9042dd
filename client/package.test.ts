import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createTestDb } from '../server/db/test-db';
import { appRouter } from '../server/trpc/root';
import { createContext } from '../server/trpc/init';
import { createApiKey } from '../server/auth/apikeys';
import { importsOf } from './pack';
import type { Db } from '../server/db/client';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const installed = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;

/**
 * `@signalops/client` as a consumer outside the repo gets it: `npm run client:pack`, then a scratch project in the OS
 * temp directory installs the tarball, type-checks a program under NodeNext and under Bundler (with a call that must
 * not compile), and runs the compiled program against the real tRPC handler on a local HTTP port and a real database.
 */
describe('@signalops/client package', () => {
  let db: Db;
  let scratch: string;
  let server: http.Server;
  let url: string;
  let tarball: string;
  let packed: { tarball: string; dtsBytes: number; dtsImports: string[]; anyIn: string[]; seconds: { total: number } };

  beforeAll(async () => {
    db = (await createTestDb()).db;
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'signalops-client-consumer-'));
    // The real tRPC handler, as app/api/trpc/[trpc]/route.ts serves it, behind node:http.
    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
        const request = new Request(`http://${req.headers.host}${req.url}`, {
          method: req.method,
          headers,
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
        });
        const response = await fetchRequestHandler({
          endpoint: '/api/trpc',
          req: request,
          router: appRouter,
          createContext: ({ resHeaders }) => createContext({ db, headers: request.headers, resHeaders }),
        });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    };
    server = http.createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // 1. Pack, exactly as the README says (into the scratch directory, so dist/ is left alone).
    const { stdout } = await run('npm', ['run', '--silent', 'client:pack', '--', '--out', scratch], { cwd: ROOT, maxBuffer: 16 << 20 });
    packed = JSON.parse(stdout.trim().split('\n').at(-1)!);
    tarball = packed.tarball;
  }, 300_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('ships one declaration file that imports only @trpc/*', () => {
    expect(path.basename(tarball)).toMatch(/^signalops-client-\d+\.\d+\.\d+\.tgz$/);
    expect(packed.dtsImports.sort()).toEqual(['@trpc/client', '@trpc/server']);
    expect(packed.anyIn).toEqual([]);
    console.log(`client:pack ${packed.seconds.total} s; index.d.ts ${(packed.dtsBytes / 1024).toFixed(1)} KiB, imports ${packed.dtsImports.join(', ')}`);
  });

  it('installs outside the repo, type-checks under NodeNext and Bundler, and calls a running server', async () => {
    const app = path.join(scratch, 'consumer');
    fs.mkdirSync(path.join(app, 'src'), { recursive: true });
    const write = (file: string, text: string) => fs.writeFileSync(path.join(app, file), text);
    write('package.json', JSON.stringify({
      name: 'signalops-consumer', private: true, type: 'module',
      // The consumer's own tools, pinned to the repo's versions (they are in the npm cache after `npm ci`).
      devDependencies: { typescript: installed('typescript'), '@types/node': installed('@types/node') },
    }, null, 2));
    // skipLibCheck as `tsc --init` writes it; the package's own d.ts is checked strictly below.
    const common = { target: 'ES2022', lib: ['ES2023'], types: ['node'], strict: true, skipLibCheck: true, rootDir: 'src' };
    write('tsconfig.nodenext.json', JSON.stringify({ compilerOptions: { ...common, module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out' }, include: ['src'] }, null, 2));
    write('tsconfig.bundler.json', JSON.stringify({ compilerOptions: { ...common, module: 'ESNext', moduleResolution: 'Bundler', noEmit: true }, files: ['src/main.ts'] }, null, 2));
    write('src/main.ts', CONSUMER);
    // A CommonJS module of the same project (NodeNext only): `require` resolves to index.cjs and index.d.cts.
    write('src/legacy.cts', LEGACY);

    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app, maxBuffer: 16 << 20 });
    const nm = path.join(app, 'node_modules');
    // The package brings tRPC and nothing of the server.
    for (const absent of ['drizzle-orm', 'pg', 'zod', 'next', '@tensorflow/tfjs']) expect(fs.existsSync(path.join(nm, absent)), absent).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(nm, '@signalops/client/package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@trpc/client', '@trpc/server']);
    const dts = fs.readFileSync(path.join(nm, '@signalops/client/index.d.ts'), 'utf8');
    expect(importsOf(dts)).toEqual(['@trpc/client', '@trpc/server']);

    // Type-check (and, under NodeNext, emit) with the consumer's own TypeScript; the @ts-expect-error lines fail the
    // build if they stop being errors.
    const tsc = path.join(nm, 'typescript', 'bin', 'tsc');
    const seconds: Record<string, number> = {};
    for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const t0 = performance.now();
      const r = await run(process.execPath, [tsc, '-p', config], { cwd: app }).catch((e) => e as { stdout: string; code: number });
      seconds[config] = Math.round(performance.now() - t0) / 1000;
      expect((r as { stdout: string }).stdout, config).toBe('');
    }
    console.log(`consumer tsc: NodeNext ${seconds['tsconfig.nodenext.json']} s, Bundler ${seconds['tsconfig.bundler.json']} s`);

    // The package's d.ts itself is error-free (tRPC's own d.ts files need the DOM lib and @types/ws under
    // skipLibCheck: false, so only errors in @signalops/client count here).
    const strict = await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json', '--skipLibCheck', 'false'], { cwd: app }).then((r) => r, (e) => e as { stdout: string });
    expect(strict.stdout.split('\n').filter((l) => l.includes('@signalops/client'))).toEqual([]);

    // A wrong call really fails to compile (the same program without its @ts-expect-error comments).
    write('src/main.ts', CONSUMER.replaceAll('// @ts-expect-error', '//'));
    const broken = await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: app }).then(() => null, (e) => e as { stdout: string });
    expect(broken?.stdout).toMatch(/main\.ts\(\d+,\d+\): error TS2322/);
    expect(broken?.stdout).toMatch(/main\.ts\(\d+,\d+\): error TS2339: Property 'nope'/);
    write('src/main.ts', CONSUMER);

    // Run the compiled program against the running server.
    const { key } = await createApiKey(db, { name: 'trading-app', scopes: ['predict', 'read'] }, 'test');
    const { stdout } = await run(process.execPath, ['out/main.js'], { cwd: app, env: { ...process.env, SIGNALOPS_URL: url, SIGNALOPS_API_KEY: key } });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.me).toEqual({ kind: 'apikey', name: 'trading-app', scopes: ['predict', 'read'] });
    expect(out.workers).toEqual({ isArray: true });
    expect(out.unauthorized).toEqual({ isTRPCClientError: true, httpStatus: 401, message: 'Unknown API key.' });
    expect(out.forbidden).toMatchObject({ isTRPCClientError: true, httpStatus: 403 });

    // CommonJS consumers get the same client through `require`.
    expect((await run(process.execPath, ['out/legacy.cjs'], { cwd: app })).stdout.trim()).toBe('function function');
  }, 600_000);
});

const LEGACY = `import { createSignalOpsClient, TRPCClientError } from '@signalops/client';

export async function direction(): Promise<'BUY' | 'HOLD' | 'SELL'> {
  const so = createSignalOpsClient({ url: 'http://127.0.0.1:9', apiKey: 'so_unused' });
  return (await so.inference.predict.mutate({ symbol: 'EURUSD', indicators: {} })).prediction.direction;
}
console.log(typeof createSignalOpsClient, typeof TRPCClientError);
`;

/** The consumer's program: typed calls, two lines that must not compile, and calls against the server. */
const CONSUMER = `import { createSignalOpsClient, TRPCClientError, type RouterInputs, type RouterOutputs } from '@signalops/client';

const url = process.env.SIGNALOPS_URL!;
const so = createSignalOpsClient({ url, apiKey: process.env.SIGNALOPS_API_KEY! });

/** Type-checked only (needs a served model to run). */
export async function predict(): Promise<'BUY' | 'HOLD' | 'SELL'> {
  const request: RouterInputs['inference']['predict'] = { symbol: 'EURUSD', indicators: { rsi_value: 45.2 } };
  const signal = await so.inference.predict.mutate(request);
  const confidence: number = signal.prediction.confidence;
  // @ts-expect-error: the direction is 'BUY' | 'HOLD' | 'SELL', not a number
  const wrong: number = signal.prediction.direction;
  const ready: RouterOutputs['system']['ready'] = await so.system.ready.query();
  const alive: number = ready.workers.alive;
  const job: { jobId: string } = await so.system.ping.mutate({ message: 'hello' });
  void confidence; void wrong; void alive; void job;
  // @ts-expect-error: rsi_value is a number
  await so.inference.predict.mutate({ symbol: 'EURUSD', indicators: { rsi_value: 'high' } });
  // @ts-expect-error: there is no such procedure
  await so.inference.nope.query();
  return signal.prediction.direction;
}

async function failure(p: Promise<unknown>) {
  const e = await p.then(() => null, (err: unknown) => err);
  return e instanceof TRPCClientError
    ? { isTRPCClientError: true, httpStatus: e.data?.httpStatus, message: e.message }
    : { isTRPCClientError: false, message: String(e) };
}

const me = await so.auth.me.query();
const workers = await so.system.workers.query();
const unauthorized = await failure(createSignalOpsClient({ url, apiKey: 'so_nope' }).system.workers.query());
const forbidden = await failure(so.users.list.query());
console.log(JSON.stringify({ me, workers: { isArray: Array.isArray(workers) }, unauthorized, forbidden }));
`;
