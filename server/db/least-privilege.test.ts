/**
 * The application runs as a role that is not a superuser (README: "Least-privilege database role").
 *
 * On the run's PostgreSQL server (DATABASE_URL's, e.g. postgres://postgres@127.0.0.1:5432/postgres in CI, or the
 * embedded one), as its admin: create a role like `signalops_app` (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE) owning a
 * fresh database; then, as that role only: run the migrations, start the job queue (pg-boss installs its schema),
 * create the first admin and a user, record and read the audit log, send and fetch a job, LISTEN/NOTIFY, and check
 * readiness. Finally the role and database are dropped. The role name carries a random suffix so parallel runs on
 * one server cannot collide.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { runMigrations, ensureDatabase, migrationStatus } from './migrate';
import { openDb, type DbHandle } from './client';
import { openBoss, QUEUES } from '../jobs/queue';
import { ensureFirstAdmin, createUser, verifyLogin } from '../auth/users';
import { createApiKey, principalFromApiKey } from '../auth/apikeys';
import { listAudit, recordAudit } from '../auth/audit';
import { readiness } from '../monitoring/health';
import { notifyServing, SERVING_CHANNEL } from './notify';

const serverUrl = inject('pgServerUrl');
const suffix = crypto.randomBytes(4).toString('hex');
const ROLE = `signalops_app_${suffix}`;
const DB = `signalops_lp_${suffix}`;
const PASSWORD = crypto.randomBytes(18).toString('base64url');

let admin: pg.Client | null = null;
let appUrl = '';
let handle: DbHandle | null = null;
let unreachable: string | null = null;
/** Further roles made by the tests, dropped at the end. */
const roles: string[] = [];

/** The PostgreSQL message of a failed query (drizzle wraps it as the cause). */
async function pgError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    const err = e as Error & { cause?: Error };
    return err.cause?.message ?? err.message;
  }
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (e) {
    unreachable = `least-privilege test skipped: the run's PostgreSQL (${new URL(serverUrl).host}) is not reachable as its admin: ${(e as Error).message}`;
    console.warn(unreachable);
    admin = null;
    return;
  }
  // What README's recipe does (with the name signalops_app).
  await admin.query(`CREATE ROLE ${ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${PASSWORD}'`);
  await admin.query(`CREATE DATABASE ${DB} OWNER ${ROLE}`);
  await admin.query(`REVOKE ALL ON DATABASE ${DB} FROM PUBLIC`);
  const u = new URL(serverUrl);
  u.username = ROLE;
  u.password = PASSWORD;
  u.pathname = `/${DB}`;
  appUrl = u.toString();
});

afterAll(async () => {
  await handle?.close().catch(() => {});
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => {});
  for (const r of [...roles, ROLE]) await admin.query(`DROP ROLE IF EXISTS ${r}`).catch((e) => console.warn(`could not drop role ${r}: ${(e as Error).message}`));
  await admin.end();
});

describe('least-privilege database role', () => {
  it('the role is neither superuser nor allowed to create databases or roles', async (ctx) => {
    if (unreachable) return ctx.skip();
    const c = new pg.Client({ connectionString: appUrl });
    await c.connect();
    try {
      const r = await c.query('SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user');
      expect(r.rows[0]).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false });
      await expect(c.query(`CREATE DATABASE ${DB}_nope`)).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
  });

  it('migrations, the job queue, users, API keys, the audit log and readiness all work as that role', async (ctx) => {
    if (unreachable) return ctx.skip();
    // The database exists: start-up's "create it when missing" step only reads pg_database.
    expect(await ensureDatabase(appUrl)).toBe(false);
    const first = await runMigrations(appUrl);
    expect(first.applied).toBeGreaterThan(0);
    expect((await runMigrations(appUrl)).applied).toBe(0);

    handle = openDb(appUrl, { max: 3, applicationName: 'signalops-least-privilege' });
    const { db, pool } = handle;
    const status = await migrationStatus(pool);
    expect(status.applied).toBe(status.expected);

    // pg-boss installs its schema and queues (as a worker: maintenance and schedules too), then a job round-trips.
    const boss = await openBoss(appUrl, 'worker');
    try {
      const id = await boss.send(QUEUES.ping, { message: 'least privilege' });
      expect(id).toBeTruthy();
      const [job] = await boss.fetch(QUEUES.ping);
      expect(job?.id).toBe(id);
      await boss.complete(QUEUES.ping, job.id, { ok: true });
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }

    const made = await ensureFirstAdmin(db, 'first-admin-password');
    expect(made.created).toBe(true);
    await createUser(db, { username: 'lp-analyst', password: 'correct-horse-battery', role: 'analyst' }, 'cli');
    expect((await verifyLogin(db, 'lp-analyst', 'correct-horse-battery')).role).toBe('analyst');
    const { key } = await createApiKey(db, { name: 'lp-key', scopes: ['predict'] }, 'cli');
    expect((await principalFromApiKey(db, key)).kind).toBe('apikey');

    await recordAudit(db, { actor: 'cli', action: 'lp.check', ip: '192.0.2.1' });
    expect((await listAudit(db, { action: 'lp.check' }))[0].ip).toBe('192.0.2.1');
    // Append-only holds for the owner role too (the trigger).
    await expect(db.execute(sql`delete from audit_log`)).rejects.toThrow();

    // LISTEN/NOTIFY (serving reloads) needs no extra rights.
    const listener = new pg.Client({ connectionString: appUrl });
    await listener.connect();
    try {
      await listener.query(`LISTEN ${SERVING_CHANNEL}`);
      const got = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.channel)));
      await notifyServing(db, 'least-privilege check');
      expect(await got).toBe(SERVING_CHANNEL);
    } finally {
      await listener.end();
    }

    const r = await readiness(db);
    expect(r.database.ok).toBe(true);
    expect(r.migrations.ok).toBe(true);
  });

  /**
   * The stricter split: an owner role migrates (and installs pg-boss's schema); the runtime role the processes use
   * has only data rights, and on audit_log only SELECT and INSERT — so not even a compromised process can rewrite the
   * log or drop its append-only trigger.
   */
  it('split roles: a runtime role with data rights only runs the app and cannot touch the audit log', async (ctx) => {
    if (unreachable || !admin) return ctx.skip();
    const RUNTIME = `${ROLE}_rt`;
    const pw = crypto.randomBytes(18).toString('base64url');
    await admin.query(`CREATE ROLE ${RUNTIME} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${pw}'`);
    try {
      // As the owner (the database's owner, migrated above): grants for the runtime role.
      const owner = new pg.Client({ connectionString: appUrl });
      await owner.connect();
      try {
        await owner.query(`GRANT CONNECT ON DATABASE ${DB} TO ${RUNTIME}`);
        for (const schema of ['public', 'pgboss', 'drizzle']) {
          await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${RUNTIME}`);
          await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${RUNTIME}`);
          await owner.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${RUNTIME}`);
        }
        await owner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM ${RUNTIME}`);
      } finally {
        await owner.end();
      }
      const u = new URL(appUrl);
      u.username = RUNTIME;
      u.password = pw;
      const rt = openDb(u.toString(), { max: 2, applicationName: 'signalops-least-privilege-rt' });
      try {
        await createUser(rt.db, { username: 'lp-runtime', password: 'correct-horse-battery', role: 'engineer' }, 'cli');
        await recordAudit(rt.db, { actor: 'cli', action: 'lp.runtime' });
        expect(await listAudit(rt.db, { action: 'lp.runtime' })).toHaveLength(1);
        expect(await pgError(rt.db.execute(sql`update audit_log set actor = 'x'`))).toMatch(/permission denied/);
        expect(await pgError(rt.db.execute(sql`alter table audit_log disable trigger audit_log_append_only`))).toMatch(/must be owner/);
        // A worker's queue handle too (maintenance and schedules): pg-boss's schema is current, so no DDL.
        const boss = await openBoss(u.toString(), 'worker');
        try {
          expect(await boss.send(QUEUES.ping, { message: 'runtime role' })).toBeTruthy();
        } finally {
          await boss.stop({ graceful: false, wait: true });
        }
        // Nothing left to migrate: start-up's migration step still succeeds as the runtime role.
        expect((await runMigrations(u.toString())).applied).toBe(0);
      } finally {
        await rt.close();
      }
    } finally {
      roles.push(RUNTIME); // dropped with the database in afterAll
    }
  });
});
