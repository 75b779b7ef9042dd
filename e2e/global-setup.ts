import pg from 'pg';

/**
 * With DATABASE_URL (your own server), each e2e run starts the app on a fresh database `so_e2e_<run>`; drop the
 * ones earlier runs left behind (not this run's: the app is using it).
 */
export default async function globalSetup() {
  const base = process.env.DATABASE_URL;
  const current = process.env.SO_E2E_DATABASE_URL;
  if (!base || !current) return;
  const keep = decodeURIComponent(new URL(current).pathname.slice(1));
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const r = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE 'so\\_e2e\\_%' AND datname <> $1`, [keep]);
    for (const row of r.rows) await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(row.datname)} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
