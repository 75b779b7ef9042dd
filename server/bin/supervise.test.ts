import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { Supervisor, backoffMs } from './supervise';
import pg from 'pg';
import { freePort, embeddedPassword, embeddedUrl } from '../db/embedded';
import { spawnTs, waitFor, type Spawned } from '../testing/processes';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** JSON log lines of a process's stdout (start.ts logs with pino; children's lines are prefixed [web] / [worker]). */
const lines = (p: Spawned) =>
  p
    .stdout()
    .split('\n')
    .map((l) => {
      const i = l.indexOf('{');
      try {
        return i >= 0 ? { prefix: l.slice(0, i).trim(), ...(JSON.parse(l.slice(i)) as Record<string, unknown>) } : null;
      } catch {
        return null;
      }
    })
    .filter((x): x is Record<string, unknown> & { prefix: string } => !!x);

describe('restart policy', () => {
  it('backs off 1 s, 2 s, 4 s … capped at 30 s', () => {
    const p = { initialMs: 1000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(p, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('a child that keeps crashing at start is restarted with backoff, then given up on with a clear line', async () => {
    const out: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) }));
    const gaveUp = new Promise<string>((resolve) => {
      const s = new Supervisor({ log, policy: { initialMs: 50, maxMs: 200, stableMs: 5000, maxRapid: 3 }, onGiveUp: (_n, reason) => resolve(reason) });
      s.add('crasher', () => spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' }));
    });
    const reason = await gaveUp;
    expect(reason).toMatch(/^crasher exited with code 3; it crashed 4 times in a row, each within 5 s of starting — giving up/);
    const restarts = out.map((l) => JSON.parse(l) as { msg: string; restartInMs?: number }).filter((l) => l.restartInMs !== undefined);
    expect(restarts.map((l) => l.restartInMs)).toEqual([50, 100, 200]);
    expect(restarts[0].msg).toMatch(/^crasher exited with code 3 after [\d.]+ s; restarting it in 50 ms \(crash 1 in a row; giving up after 3\)$/);
  });
});

describe('npm start supervises its children', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-supervise-'));
  let start: Spawned | undefined;
  afterAll(async () => {
    if (start && start.proc.exitCode === null) {
      start.proc.kill('SIGINT');
      await start.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL of the worker: it is restarted (with a log line), web and the embedded database keep answering; Ctrl-C stops everything', async () => {
    const port = await freePort();
    // --dev: `next dev` (no production build needed); the same supervision as `npm start`.
    start = spawnTs('server/bin/start.ts', ['--dev'], { DATA_DIR: dataDir, DATABASE_URL: '', PORT: String(port), HOSTNAME: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_PASSWORD: 'supervise-test-pw', WORKER_HEARTBEAT_SECONDS: '1' });
    const s = start;
    const started = (name: string) => lines(s).filter((l) => l.prefix === '' && l.process === name && typeof l.pid === 'number' && String(l.msg).startsWith(`${name} started`));
    const health = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5000) })).status;
      } catch {
        return 0;
      }
    };
    await waitFor(async () => (await health()) === 200, 180_000, 'web /api/health');
    // The database's own record of the living workers (heartbeats), not our log lines.
    const runtime = JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as { pgPort: number };
    const workerPids = async () => {
      const c = new pg.Client({ connectionString: embeddedUrl(embeddedPassword(dataDir), runtime.pgPort) });
      await c.connect();
      try {
        return (await c.query(`select pid from worker_heartbeats where stopped_at is null and last_seen_at > now() - interval '3 seconds' order by started_at`)).rows.map((r) => r.pid as number);
      } finally {
        await c.end();
      }
    };
    const [worker] = await waitFor(async () => { const p = await workerPids(); return p.length ? p : null; }, 60_000, 'worker heartbeat');
    const pgPid = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(alive(pgPid)).toBe(true);

    // Web answers throughout the worker's crash and restart.
    let polling = true;
    const statuses: number[] = [];
    const poller = (async () => {
      while (polling) {
        statuses.push(await health());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    process.kill(worker, 'SIGKILL');
    const [newWorker] = await waitFor(async () => { const p = (await workerPids().catch(() => [])).filter((x) => x !== worker && alive(x)); return p.length ? p : null; }, 60_000, 'a new worker heart-beating');
    polling = false;
    await poller;

    const restartLine = lines(s).find((l) => l.process === 'worker' && l.signal === 'SIGKILL');
    expect(restartLine?.msg).toMatch(/^worker was killed by SIGKILL after [\d.]+ s; restarting it in 1 s \(crash 1 in a row; giving up after 5\)$/);
    expect(statuses.length).toBeGreaterThan(5);
    expect(statuses.filter((x) => x !== 200)).toEqual([]);
    expect(alive(pgPid)).toBe(true);
    expect(s.proc.exitCode).toBeNull();
    const web = started('web')[0].pid as number;
    expect(alive(web)).toBe(true);

    // Ctrl-C: everything stops, nothing is left running, nothing is restarted.
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
    for (const pid of [web, newWorker, pgPid]) expect(alive(pid), `pid ${pid} still running`).toBe(false);
    expect(started('worker')).toHaveLength(2);
    expect(fs.existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
  }, 300_000);
});
