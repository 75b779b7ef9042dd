/**
 * `npm run worker`: consumes jobs from the Postgres queue. Run as many as you like, on any machine that reaches the
 * database (DATABASE_URL), or next to a running `npm start` on the same DATA_DIR (embedded database).
 */
process.env.SIGNALOPS_PROC ??= 'worker';
import http from 'node:http';
import { config } from '../config';
import { logger } from '../log';
import { openDb, maskUrl } from '../db/client';
import { resolveDatabaseUrl, logMoved } from '../db/app';
import { openDatabase, fail } from './boot';
import { startWorker } from '../jobs/worker';
import { principalFromHeaders } from '../auth/request';
import { requestIdFrom } from '../http/rest';
import { PrometheusMetrics, answerMetrics, wantsJson } from '../monitoring/prometheus';
import type { Db } from '../db/client';

/**
 * GET /metrics on WORKER_METRICS_PORT: this worker's process metrics and the database facts (training runs, queue
 * depth, live workers, traffic split); the same auth as the web and serve processes. Anything else is a 404.
 */
function serveWorkerMetrics(db: Db, port: number, host: string) {
  const prom = new PrometheusMetrics({ db });
  const server = http.createServer((req, res) => {
    const headers = { get: (n: string) => { const v = req.headers[n.toLowerCase()]; return Array.isArray(v) ? v.join(', ') : (v ?? null); } };
    const requestId = requestIdFrom(headers);
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    const answer =
      req.method === 'GET' && (path === '/metrics' || path === '/api/v1/metrics')
        ? answerMetrics({
            headers,
            requestId,
            json: path === '/api/v1/metrics' || wantsJson(headers.get('accept')),
            principal: () => principalFromHeaders(db, headers),
            db,
            exposition: async () => ({ text: await prom.metrics(), contentType: prom.contentType }),
          })
        : Promise.resolve({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'A worker answers only GET /metrics.', request_id: requestId } }) });
    void answer
      .catch(() => ({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Metrics failed; see the worker log.', request_id: requestId } }) }))
      .then((a) => {
        res.writeHead(a.status, { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.body), 'x-request-id': requestId });
        res.end(a.body);
      });
  });
  server.listen(port, host, () => logger().info({ port }, `worker metrics on http://localhost:${port}/metrics`));
  return server;
}

/** Waits for `p`, at most `ms` (then calls `onTimeout` and goes on). */
async function bounded(p: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const first = await Promise.race([p.catch(() => undefined), late]);
  clearTimeout(timer);
  if (first === 'late') onTimeout();
}

async function main() {
  const cfg = config();
  const log = logger();
  const database = await openDatabase({ owner: 'worker', boot: false, join: true, log });
  const handle = openDb(database.url, { applicationName: 'signalops-worker', max: 5, resolveUrl: resolveDatabaseUrl, onMoved: logMoved });
  const begin = (url: string) => startWorker({ db: handle.db, url, heartbeatSeconds: cfg.WORKER_HEARTBEAT_SECONDS, concurrency: cfg.WORKER_CONCURRENCY });
  let current = database.url;
  let worker = await begin(current);
  const metricsServer = cfg.WORKER_METRICS_PORT ? serveWorkerMetrics(handle.db, cfg.WORKER_METRICS_PORT, cfg.HOSTNAME) : null;
  let stopping = false;
  // The job queue (pg-boss) holds its own connections to one URL: it reconnects by itself when the database restarts
  // on the same port; when the embedded database comes back on another port, restart the consumer there.
  let moving = false;
  const watch = setInterval(() => {
    const next = resolveDatabaseUrl();
    if (stopping || moving || !next || next === current) return;
    moving = true;
    log.warn({ from: maskUrl(current), to: maskUrl(next) }, 'the database moved; restarting the job consumer on its new address');
    void (async () => {
      // The new consumer first: the old one's connections point at an address that is gone, so it cannot take a job
      // meanwhile, and its stop may take long or never finish (bounded, after the new one runs).
      const old = worker;
      while (!stopping) {
        try {
          current = resolveDatabaseUrl() ?? next;
          worker = await begin(current);
          log.info('job consumer restarted on the new database address');
          break;
        } catch (e) {
          log.warn({ err: (e as Error).message }, 'job consumer could not start yet; retrying in 2 s');
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
      await bounded(old.stop(), 15_000, () => log.warn('the old job consumer did not stop within 15 s; left behind'));
      moving = false;
    })();
  }, 2000);
  watch.unref();
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    log.info({ signal }, 'worker shutting down');
    metricsServer?.close();
    await bounded(worker.stop(), 20_000, () => log.warn('the job consumer did not stop within 20 s; exiting anyway'));
    await bounded(handle.close(), 5000, () => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(fail);
