import type { Db } from '../db/client';
import { checkAccess } from '../auth/principal';
import { principalFromHeaders, type HeaderSource } from '../auth/request';
import { migrationStatus } from '../db/migrate';
import { listWorkers, type WorkerInfo } from '../jobs/heartbeat';
import { APP_VERSION, config } from '../config';

export interface Readiness {
  ready: boolean;
  version: string;
  checkedAt: string;
  database: { ok: boolean; latencyMs: number | null; error?: string };
  migrations: { ok: boolean; expected: number; applied: number };
  workers: { ok: boolean; alive: number; staleAfterSeconds: number; list: WorkerInfo[] };
  tensorflow: { ok: boolean; backend: string | null; version: string | null; error?: string };
  /** Why not ready, in words (empty when ready). */
  problems: string[];
}

/**
 * What /api/ready, `cli status` and the Overview page say. Ready = database reachable, every shipped migration
 * applied, at least one worker seen within WORKER_STALE_SECONDS, and a TensorFlow.js backend initialised.
 */
export async function readiness(db: Db, opts: { initTensorflow?: boolean } = {}): Promise<Readiness> {
  const cfg = config();
  const problems: string[] = [];
  const out: Readiness = {
    ready: false,
    version: APP_VERSION,
    checkedAt: new Date().toISOString(),
    database: { ok: false, latencyMs: null },
    migrations: { ok: false, expected: 0, applied: 0 },
    workers: { ok: false, alive: 0, staleAfterSeconds: cfg.WORKER_STALE_SECONDS, list: [] },
    tensorflow: { ok: false, backend: null, version: null },
    problems,
  };
  try {
    const t0 = performance.now();
    await db.$client.query('SELECT 1');
    out.database = { ok: true, latencyMs: Math.round((performance.now() - t0) * 100) / 100 };
  } catch (e) {
    out.database.error = e instanceof Error ? e.message : String(e);
    problems.push(`database unreachable: ${out.database.error}`);
    return out;
  }
  const mig = await migrationStatus(db.$client);
  out.migrations = { ...mig, ok: mig.applied >= mig.expected };
  if (!out.migrations.ok) problems.push(`migrations pending: ${mig.applied} of ${mig.expected} applied`);
  if (out.migrations.applied > 0) {
    const list = await listWorkers(db, cfg.WORKER_STALE_SECONDS);
    const alive = list.filter((w) => w.state === 'alive').length;
    out.workers = { ok: alive > 0, alive, staleAfterSeconds: cfg.WORKER_STALE_SECONDS, list };
    if (!alive) {
      const last = list.find((w) => w.state !== 'stopped');
      problems.push(
        last
          ? `no worker seen in the last ${cfg.WORKER_STALE_SECONDS}s (last: ${last.id}, ${Math.round(last.ageSeconds)}s ago)`
          : 'no worker running: start one with `npm run worker`',
      );
    }
  }
  try {
    const { initTf, tfInfo } = await import('../ml/backend');
    const info = opts.initTensorflow === false ? tfInfo() : await initTf();
    out.tensorflow = { ok: !!info, backend: info?.backend ?? null, version: info?.version ?? null };
    if (!info) problems.push('TensorFlow.js not initialised');
  } catch (e) {
    out.tensorflow.error = e instanceof Error ? e.message : String(e);
    problems.push(`TensorFlow.js backend failed: ${out.tensorflow.error}`);
  }
  out.ready = out.database.ok && out.migrations.ok && out.workers.ok && out.tensorflow.ok;
  return out;
}

/** Who may read the details of /api/ready: analysts and up, `read` API keys. */
export const READINESS_DETAILS = { role: 'analyst', scope: 'read' } as const;

/**
 * GET /api/ready: the status (200 ready / 503 not) for anyone; the details only for a viewer. Anonymous callers and
 * callers whose credential does not check out (or cannot be checked: the database is down) get `{ ready }` alone —
 * no version, worker hosts, database errors or migration counts for whoever can reach the port.
 */
export async function readinessAnswer(getDb: () => Db, headers: HeaderSource): Promise<{ status: 200 | 503; body: Readiness | { ready: boolean } }> {
  let db: Db | null = null;
  let r: Readiness | null = null;
  try {
    db = getDb();
    r = await readiness(db);
  } catch {
    r = null;
  }
  const ready = !!r?.ready;
  const status = ready ? 200 : 503;
  let viewer = false;
  if (db && (headers.get('authorization') || headers.get('x-api-key') || headers.get('cookie'))) {
    try {
      viewer = checkAccess(await principalFromHeaders(db, headers), READINESS_DETAILS).ok;
    } catch {
      viewer = false;
    }
  }
  return { status, body: viewer && r ? r : { ready } };
}
