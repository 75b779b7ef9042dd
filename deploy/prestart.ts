/**
 * What the container's `web` command runs before the Next.js standalone server (deploy/docker-entrypoint.sh), i.e.
 * what `npm start` does before it starts the web process: the database from DATABASE_URL (or DATABASE_URL_FILE) —
 * created when missing — migrations under the advisory lock (processes starting together serialise on it), the first
 * admin (ADMIN_PASSWORD / ADMIN_PASSWORD_FILE, else a generated password printed once) and the demo dataset on a
 * fresh database. `--migrate-only` stops after the migrations (a Kubernetes init container or a one-off job).
 * The worker and serve commands migrate at their own start (server/bin/boot.ts).
 */
process.env.SIGNALOPS_PROC ??= 'web-prestart';
import { config } from '../server/config';
import { logger } from '../server/log';
import { openDb, maskUrl } from '../server/db/client';
import { ensureFirstAdmin } from '../server/auth/users';
import { openDatabase, fail } from '../server/bin/boot';
import { firstStartData } from '../server/bin/first-start';

async function main() {
  const log = logger();
  const cfg = config();
  if (!cfg.DATABASE_URL) {
    throw new Error('the container needs DATABASE_URL (or DATABASE_URL_FILE): postgres://user:password@host:5432/signalops');
  }
  const database = await openDatabase({ owner: 'start', boot: false, join: false, log });
  log.info({ database: maskUrl(database.url) }, 'database ready, migrations applied');
  if (process.argv.includes('--migrate-only')) return;
  const handle = openDb(database.url, { max: 2, applicationName: 'signalops-prestart' });
  try {
    const admin = await ensureFirstAdmin(handle.db, cfg.ADMIN_PASSWORD);
    if (admin.created && admin.generated) {
      // Printed once, to the console only (never to the structured log) — as `npm start` does.
      process.stdout.write(`\nFirst start: created user 'admin' with the generated password: ${admin.password}\nIt is shown only this once. Set ADMIN_PASSWORD_FILE (or ADMIN_PASSWORD) to choose one.\n\n`);
    } else if (admin.created) {
      log.info("created user 'admin' with the password from ADMIN_PASSWORD");
    }
    await firstStartData(handle.db, log);
  } finally {
    await handle.close();
  }
}

main().then(() => process.exit(0), fail);
