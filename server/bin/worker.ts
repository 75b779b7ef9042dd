/**
 * `npm run worker`: consumes jobs from the Postgres queue. Run as many as you like, on any machine that reaches the
 * database (DATABASE_URL), or next to a running `npm start` on the same DATA_DIR (embedded database).
 */
process.env.SIGNALOPS_PROC ??= 'worker';
import { config } from '../config';
import { logger } from '../log';
import { openDb } from '../db/client';
import { openDatabase, fail } from './boot';
import { startWorker } from '../jobs/worker';

async function main() {
  const cfg = config();
  const log = logger();
  const database = await openDatabase({ owner: 'worker', boot: false, join: true, log });
  const handle = openDb(database.url, { applicationName: 'signalops-worker', max: 5 });
  const worker = await startWorker({ db: handle.db, url: database.url, heartbeatSeconds: cfg.WORKER_HEARTBEAT_SECONDS, concurrency: cfg.WORKER_CONCURRENCY });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker shutting down');
    await worker.stop();
    await handle.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(fail);
