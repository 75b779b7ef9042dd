import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDb, type DbHandle } from './client';
import { runMigrations } from './migrate';
import { acquireDataDirLock, embeddedPassword, freePort, portFilePath } from './embedded';
import { bootEmbeddedPostgres, type EmbeddedServer } from './embedded-server';
import { notifyServing } from './notify';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { createApiKey } from '../auth/apikeys';
import { applyNewVersionPolicy } from '../promotion/actions';
import { closeProducerBosses, openBoss, QUEUES } from '../jobs/queue';
import { logger } from '../log';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';
import type { TrainRequestInput } from '../training/params';

/**
 * A serve process on the embedded database (found through DATA_DIR, as `npm run serve` next to `npm start` finds
 * it) while that database stops and comes back — on the same port, then on another one: predictions of the loaded
 * model are answered throughout, calls that need the database answer 503 (never 500) while it is down, and
 * everything recovers afterwards (new keys, LISTEN/NOTIFY, the prediction log).
 */
describe('serve survives the database restarting', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-reconnect-'));
  const password = embeddedPassword(dataDir);
  const boot = () => bootEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), password, portFile: portFilePath(dataDir) });
  const lock = acquireDataDirLock(dataDir, 'start'); // this test plays `npm start`: it owns the cluster
  let server: EmbeddedServer;
  let h: DbHandle;
  let serve: Spawned;
  let web: Spawned;
  let worker: Spawned;
  let port: number;
  let webPort: number;
  let predictKey: string;
  let trainKey: string;
  const keys: Record<string, string> = {};
  const trpcStatuses: number[] = [];
  /** tRPC during each outage: a cached key (the procedure fails), a key never seen and a session cookie (createContext fails). */
  const trpcDuring: { label: string; status: number; body: unknown }[] = [];

  const call = async (p: string, key: string, init: RequestInit = {}) => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${p}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(15_000) });
      return { status: r.status, body: (await r.json().catch(() => null)) as Record<string, unknown> & { error?: { code: string; message: string } } };
    } catch (e) {
      return { status: 0, body: { error: { code: 'FETCH', message: String(e) } } };
    }
  };
  const rest = async (p: string) => {
    try {
      const r = await fetch(`http://127.0.0.1:${webPort}${p}`, { headers: { authorization: `Bearer ${keys['web-read']}` }, signal: AbortSignal.timeout(15_000) });
      return { status: r.status, body: (await r.json().catch(() => null)) as { error?: { code: string; message: string } } | null };
    } catch (e) {
      return { status: 0, body: { error: { code: 'FETCH', message: String(e) } } };
    }
  };
  /** A tRPC query on the web replica, with headers of our choosing; the raw answer. */
  const trpc = async (p: string, headers: Record<string, string>) => {
    try {
      const r = await fetch(`http://127.0.0.1:${webPort}/api/trpc/${p}`, { headers, signal: AbortSignal.timeout(15_000) });
      return { status: r.status, body: (await r.json().catch(() => null)) as unknown };
    } catch (e) {
      return { status: 0, body: String(e) };
    }
  };
  /** A ping job sent on the database as it is now; resolves with the worker's answer. */
  const ping = async (message: string) => {
    const boss = await openBoss(server.url, 'producer');
    try {
      const id = (await boss.send(QUEUES.ping, { message }))!;
      const job = await waitFor(async () => {
        const j = await boss.getJobById<Record<string, unknown>>(QUEUES.ping, id);
        return j?.state === 'completed' ? j : null;
      }, 40_000, `ping '${message}' completed`).catch((e: Error) => {
        // Say what the worker was doing (its consumer restarts, jobs, errors), not just that it timed out.
        const said = worker.stdout().split('\n').filter((l) => /moved|consumer|job|ready|"level":(40|50)/.test(l)).slice(-25);
        throw new Error(`${e.message}; the worker's last relevant log lines:\n${said.join('\n')}`);
      });
      return job.output as { message: string; pid: number };
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  };
  const predict = () => call('/predict', predictKey, { method: 'POST', body: JSON.stringify({ symbol: 'EURUSD', indicators: { rsi_value: 40 + Math.random() * 20 } }) });
  const info = (key: string) => call('/model/info', key);
  const newKey = async (name: string, scope: 'predict' | 'read' | 'train') => (keys[name] = (await createApiKey(h.db, { name, scopes: [scope] }, 'test')).key);

  beforeAll(async () => {
    server = await boot();
    lock.update({ pgPort: server.port });
    await runMigrations(server.url);
    h = openDb(server.url, { max: 3 });
    await importCandles(h.db, { source: Buffer.from(toCsv(plantedSignalCandles(3000, 3), 'mt-comma')), dataset: 'planted', symbol: 'EURUSD', actor: 'test' });
    const r = await startRun(h.db, { dataset: 'planted', modelName: 'signals', modelType: 'mlp', window: 16, epochs: 3, batchSize: 64, patience: 2, seed: 3 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(h.db, r.id, { workerId: 'test', log: logger(), onRegistered: (v) => applyNewVersionPolicy(h.db, v) });
    expect(out.version?.status, out.error).toBe('candidate');
    predictKey = await newKey('trading-app', 'predict');
    trainKey = await newKey('engineer', 'train');
    for (const n of ['info-1', 'info-2', 'web-read']) await newKey(n, 'read');
    port = await freePort();
    serve = spawnTs('server/bin/serve.ts', [], { DATA_DIR: dataDir, DATABASE_URL: '', INFERENCE_PORT: String(port), HOSTNAME: '127.0.0.1', SERVE_WORKERS: '1', LOG_LEVEL: 'info' });
    // A web replica (the app's route handlers; server/testing/api-server.ts) and a standalone `npm run worker`,
    // both finding the database through DATA_DIR too.
    webPort = await freePort();
    web = spawnTs('server/testing/api-server.ts', [], { DATA_DIR: dataDir, DATABASE_URL: '', PORT: String(webPort), SIGNALOPS_PROC: 'web' });
    worker = spawnTs('server/bin/worker.ts', [], { DATA_DIR: dataDir, DATABASE_URL: '', WORKER_HEARTBEAT_SECONDS: '1', LOG_LEVEL: 'info' });
    await waitFor(async () => (await call('/health', '')).status === 200, 90_000, 'serve /health');
    await waitFor(async () => (await rest('/api/v1/models')).status === 200, 90_000, 'web /api/v1/models');
    await waitFor(async () => worker.stdout().includes('"worker ready"'), 90_000, 'worker ready');
  }, 240_000);

  afterAll(async () => {
    if (process.env.SO_DEBUG) console.log(serve?.stdout().split('\n').slice(-60).join('\n'), serve?.stderr().slice(-3000), worker?.stdout().split('\n').slice(-30).join('\n'));
    const living = [serve, web, worker].filter((p) => p && p.proc.exitCode === null && p.proc.signalCode === null);
    for (const p of living) p.proc.kill('SIGTERM');
    const force = setTimeout(() => living.forEach((p) => p.proc.exitCode === null && p.proc.kill('SIGKILL')), 25_000);
    await Promise.all(living.map((p) => p.exited));
    clearTimeout(force);
    await closeProducerBosses();
    await h?.close().catch(() => {});
    await server?.stop();
    lock.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers predictions throughout two restarts (same port, then a new port); 503 not 500 while down; recovers', async () => {
    // A client predicting every 50 ms for the whole test.
    const results: { at: number; status: number; code?: string; message?: string }[] = [];
    let running = true;
    const marks: { at: number; what: string }[] = [];
    const client = (async () => {
      while (running) {
        const r = await predict();
        results.push({ at: Date.now(), status: r.status, code: r.body?.error?.code, ...(r.status === 200 ? {} : { message: r.body?.error?.message }) });
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    await waitFor(async () => results.filter((r) => r.status === 200).length >= 5, 30_000, 'first predictions');
    expect((await call('/reload-model', trainKey, { method: 'POST' })).status).toBe(200);
    const gen0 = (await info(predictKey)).body.generation as number;

    const outage = async (label: string, squat: boolean) => {
      const oldPort = server.port;
      const h0 = results.length;
      await h.close();
      marks.push({ at: Date.now(), what: `${label}: stopping` });
      await server.stop();
      marks.push({ at: Date.now(), what: `${label}: stopped` });
      const squatter = squat ? net.createServer().listen(oldPort, '127.0.0.1') : null;
      // Longer than the 10 s key cache: the key is now accepted because it was checked recently (outage grace).
      await new Promise((r) => setTimeout(r, 11_000));
      const never = await info(keys[label === 'same port' ? 'info-1' : 'info-2']);
      expect(never.status, `${label}: a key never seen, while the database is down`).toBe(503);
      expect(never.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(never.body.error!.message).toMatch(/database is unavailable/);
      const reload = await call('/reload-model', trainKey, { method: 'POST' });
      expect(reload.status, `${label}: a call that needs the database`).toBe(503);
      expect(reload.body.error!.message).toMatch(/database is unavailable/i);
      // tRPC on the web replica: 503 in tRPC's error shape, whether the procedure fails (a key checked recently) or
      // the caller cannot be looked up (createContext: a key never seen, a session cookie).
      // At once, with the REST call below: on the squatted port each waits for a connect timeout.
      const asked = ([
        ['cached key', { authorization: `Bearer ${keys['web-read']}` }],
        ['key never seen', { authorization: `Bearer ${label === 'same port' ? keys['info-1'] : keys['info-2']}` }],
        ['session cookie', { cookie: 'so_session=not-a-real-session-token-0123456789' }],
      ] as const).map(async ([who, headers]) => ({ label: `${label}: ${who}`, ...(await trpc('registry.list', headers)) }));
      const [viaWeb, ...answers] = await Promise.all([rest('/api/v1/models'), ...asked]);
      for (const a of answers) {
        trpcStatuses.push(a.status);
        trpcDuring.push(a);
      }
      expect(viaWeb.status, `${label}: a REST call on the web replica`).toBe(503);
      expect(viaWeb.body?.error?.code).toBe('SERVICE_UNAVAILABLE');
      const during = results.slice(h0);
      expect(during.length).toBeGreaterThan(50);
      marks.push({ at: Date.now(), what: `${label}: booting` });
      server = await boot();
      marks.push({ at: Date.now(), what: `${label}: booted` });
      squatter?.close();
      lock.update({ pgPort: server.port });
      if (squat) expect(server.port).not.toBe(oldPort);
      else expect(server.port).toBe(oldPort);
      h = openDb(server.url, { max: 3 });
      return during;
    };

    const during1 = await outage('same port', false);
    // Back: a key never seen is checked against the database again; the routing table was reloaded after reconnecting.
    await waitFor(async () => (await info(keys['info-1'])).status === 200, 30_000, 'model/info with a new key after the restart');
    await waitFor(async () => ((await info(predictKey)).body.generation as number) > gen0, 30_000, 'a reload after reconnecting');
    await waitFor(async () => (await rest('/api/v1/models')).status === 200, 30_000, 'web REST after the restart');
    expect((await ping('after restart')).pid).toBe(worker.proc.pid);

    const serveOutBefore2 = serve.stdout().length;
    const during2 = await outage('new port', true);
    const late = await newKey('after-the-move', 'predict');
    let lateServed = 0;
    await waitFor(async () => {
      const ok = (await call('/predict', late, { method: 'POST', body: JSON.stringify({ symbol: 'EURUSD', indicators: { rsi_value: 50 } }) })).status === 200;
      if (ok) lateServed++;
      return ok;
    }, 30_000, 'a key created on the moved database');
    const gen1 = await waitFor(async () => { const g = (await info(predictKey)).body.generation as number; return g > gen0 + 1 ? g : null; }, 30_000, 'a reload after reconnecting to the new port');
    // LISTEN follows the database to its new port: a notification sent there reaches the serve process (once its
    // listener is connected again — a notification sent before that is covered by the reload on reconnecting).
    await waitFor(async () => serve.stdout().slice(serveOutBefore2).includes('serving listener reconnected'), 30_000, 'the serving listener on the new port');
    await new Promise((r) => setTimeout(r, 300));
    const infoMisses: { status: number; error?: unknown }[] = [];
    const generation = async () => {
      const r = await info(predictKey);
      if (typeof r.body?.generation === 'number') return r.body.generation;
      infoMisses.push({ status: r.status, error: r.body?.error });
      return null;
    };
    const before = await waitFor(generation, 10_000, 'the generation before notifying');
    await notifyServing(h.db, 'test');
    await waitFor(async () => ((await generation()) ?? -1) > before, 5000, 'a notification on the new port');
    expect(before).toBeGreaterThanOrEqual(gen1);
    // The web replica and the standalone worker follow the database to its new port too.
    await waitFor(async () => (await rest('/api/v1/models')).status === 200, 30_000, 'web REST after the move');
    expect((await ping('after the move')).pid).toBe(worker.proc.pid);
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await client;

    const failed = results.filter((r) => r.status !== 200);
    // Every prediction served is in the log, also those served while the database was down (kept, written after).
    const served = results.filter((r) => r.status === 200).length + lateServed;
    const finalInfo = await waitFor(async () => {
      const b = (await info(predictKey)).body as { prediction_log: Record<string, number> };
      return b.prediction_log.pending === 0 && b.prediction_log.written >= served ? b : null;
    }, 30_000, 'the prediction log drained');
    const logged = Number((await h.db.execute<{ n: number }>(sql`select count(*)::int as n from prediction_log`)).rows[0].n);
    const lines = (p: Spawned) => p.stdout().split('\n').filter((l) => l.trim());
    const count = (p: Spawned, re: RegExp) => lines(p).filter((l) => re.test(l)).length;
    const warnings = (p: Spawned) => lines(p).filter((l) => /"level":(40|50)/.test(l)).length;
    console.log(
      JSON.stringify({
        predictions: results.length,
        failed: failed.length,
        during_outage_1: during1.length,
        during_outage_2: during2.length,
        prediction_log: finalInfo.prediction_log,
        prediction_log_rows: logged,
        served,
        trpc_during_outages: trpcStatuses,
        info_misses_after_the_move: infoMisses,
        warnings: { serve: warnings(serve), web: warnings(web), worker: warnings(worker) },
        log_lines: {
          prediction_log_unavailable: count(serve, /prediction log: the database is unavailable/),
          prediction_log_recovered: count(serve, /prediction log: the database is reachable again/),
          history_load_failed: count(serve, /loading symbol history failed/),
          history_write_failed: count(serve, /writing symbol snapshots failed/),
          heartbeat_failed: count(worker, /heartbeat failed/),
          heartbeat_recovered: count(worker, /heartbeat recovered/),
        },
      }),
    );
    for (const t of trpcDuring) {
      expect(t.status, `tRPC ${t.label}`).toBe(503);
      expect(t.body, `tRPC ${t.label}`).toMatchObject({ error: { message: expect.stringMatching(/database is unavailable/), data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 } } });
    }
    expect(trpcDuring).toHaveLength(6);
    // Nothing was dropped: the buffer held what the outages produced, and it was written once the database was back.
    expect(finalInfo.prediction_log).toMatchObject({ overflow: 0, failedWrites: 0, pending: 0 });
    expect(logged).toBe(finalInfo.prediction_log.written);
    expect(logged).toBeGreaterThanOrEqual(served);
    // Once per outage, not once per write, request or beat (two outages); and each recovery said so.
    const outageLines = (p: Spawned, re: RegExp) => count(p, re);
    expect(outageLines(serve, /prediction log: the database is unavailable/)).toBeLessThanOrEqual(2);
    expect(outageLines(serve, /prediction log: the database is reachable again/)).toBe(outageLines(serve, /prediction log: the database is unavailable/));
    expect(outageLines(serve, /loading symbol history failed/)).toBeLessThanOrEqual(2);
    expect(outageLines(serve, /writing symbol snapshots failed/)).toBeLessThanOrEqual(2);
    expect(outageLines(worker, /heartbeat failed/)).toBeGreaterThanOrEqual(1);
    expect(outageLines(worker, /heartbeat failed/)).toBeLessThanOrEqual(2);
    expect(outageLines(worker, /heartbeat recovered/)).toBe(outageLines(worker, /heartbeat failed/));
    // No log line carries SQL text or its parameters (drizzle's message has both: server/errors.ts logFieldsOf).
    for (const p of [serve, web, worker]) expect(p.stdout()).not.toMatch(/Failed query:|params: /);
    expect(failed.length ? { failed, marks } : [], 'predictions that were not answered 200').toEqual([]);
    expect(during1.every((r) => r.status === 200) && during2.every((r) => r.status === 200)).toBe(true);
    // The prediction log writes again, to the database on its new port.
    await waitFor(async () => {
      const r = await h.db.execute<{ n: number }>(sql`select count(*)::int as n from prediction_log where at >= to_timestamp(${t1 / 1000 - 2})`);
      return r.rows[0].n > 0;
    }, 10_000, 'prediction log rows after the move');
    expect(serve.stderr()).not.toMatch(/unhandled/i);
  }, 240_000);
});
