/**
 * `npm run serve`: the lean inference server for high request rates — node:http, the same engine, auth and endpoints
 * as the web app (POST /predict, POST /batch-predict, GET /model/info, POST /reload-model, GET /health, and the same
 * under /api/v1/), no Next.js in the request path, plus GET /metrics (Prometheus text, or JSON with
 * `Accept: application/json`; GET /api/v1/metrics is always JSON). Port INFERENCE_PORT (default 8080).
 *
 * Every core: the process forks SERVE_WORKERS workers (default: one per core; 1 = no cluster) that share the port
 * (node:cluster). Each worker is a full engine — hot reload, roll-ups under its own process id, its own Prometheus
 * registry. A scrape reaches one worker, which asks the primary; the primary collects every worker's registry over
 * IPC and merges them with prom-client's AggregatorRegistry, so one scrape reports all workers together whichever
 * answered it. A worker that dies is restarted (with a log line; backing off when it keeps dying at start). Ctrl-C or
 * SIGTERM stops all. Run as many replicas as needed: each LISTENs for changes and reloads within a second.
 */
process.env.SIGNALOPS_PROC ??= 'serve';
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import os from 'node:os';
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { config } from '../config';
import { logger } from '../log';
import { DomainError } from '../errors';
import { openDatabase, fail } from './boot';
import { dispatch, type ServingContext } from '../serving/http';
import { errorBody, requestIdFrom, withRequestId, type PlainResponse } from '../http/rest';
import { answerMetrics, wantsJson } from '../monitoring/prometheus';
import { JSON_TYPES, checkRequest, refusalBody, refusalHeaders, securityHeaders } from '../http/guard';

const MAX_BODY = 32 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new DomainError('PAYLOAD_TOO_LARGE', `Request body exceeds ${MAX_BODY} bytes.`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The security headers of every answer (server/http/guard.ts), computed once. */
let security: Record<string, string> | undefined;
const securityOnce = () => (security ??= securityHeaders());

function send(res: http.ServerResponse, r: PlainResponse) {
  const body = JSON.stringify(r.body);
  res.writeHead(r.status, { ...securityOnce(), ...r.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const METRICS_PATHS = new Set(['/metrics', '/api/v1/metrics']);

/**
 * node:http → the shared handlers, with no Fetch Request/Response in between (they cost a quarter of the CPU).
 * `clusterMetrics`: in a cluster worker, the merged exposition of all workers (asked from the primary).
 */
export function createServeHandler(ctx: ServingContext, opts: { clusterMetrics?: () => Promise<string> } = {}) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers = {
      get(name: string) {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v.join(', ') : (v ?? null);
      },
    };
    const requestId = requestIdFrom(headers);
    try {
      const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
      if (METRICS_PATHS.has(path)) return await sendMetrics(req, res, { ctx, headers, requestId, path, clusterMetrics: opts.clusterMetrics });
      // A browser's POST with the session cookie: same origin only, JSON only (API-key requests pass untouched).
      const guard = checkRequest({ method: req.method, headers, scheme: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http' }, { accepts: JSON_TYPES });
      if (!guard.ok) return send(res, { status: guard.status, body: refusalBody(guard, requestId), headers: refusalHeaders(guard, requestId, JSON_TYPES) });
      send(res, await dispatch(path, req.method ?? 'GET', { headers, requestId, socketAddress: req.socket.remoteAddress, text: async () => (await readBody(req)).toString('utf8') }, ctx));
    } catch (e) {
      logger().child({ request_id: requestId }).error({ err: (e as Error).message }, 'serve: unhandled error');
      if (!res.headersSent) send(res, withRequestId(errorBody(500, 'INTERNAL_SERVER_ERROR', `Internal error (request id ${requestId}); see the server log.`), requestId));
    }
  };
}

async function sendMetrics(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  o: { ctx: ServingContext; headers: { get(n: string): string | null }; requestId: string; path: string; clusterMetrics?: () => Promise<string> },
) {
  if (req.method !== 'GET') return send(res, withRequestId(errorBody(405, 'METHOD_NOT_SUPPORTED', `${o.path} takes GET.`), o.requestId));
  const prom = o.ctx.prom;
  const a = await answerMetrics({
    headers: o.headers,
    requestId: o.requestId,
    json: o.path === '/api/v1/metrics' || wantsJson(o.headers.get('accept')),
    principal: () => o.ctx.auth.principal(o.headers),
    db: o.ctx.db,
    exposition: async () => {
      const contentType = prom?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8';
      if (o.clusterMetrics) return { text: await o.clusterMetrics(), contentType };
      return { text: prom ? await prom.metrics() : '', contentType };
    },
  });
  res.writeHead(a.status, { ...securityOnce(), 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.body), 'x-request-id': o.requestId });
  res.end(a.body);
}

// --- cluster: messages between the primary and its workers ----------------------------------------------------------
type Msg =
  | { t: 'so:scrape'; id: number } // worker → primary: merge everyone's metrics for me
  | { t: 'so:collect'; id: number } // primary → worker: your registry as JSON
  | { t: 'so:collected'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { t: 'so:scrape-result'; id: number; text: string };
const isMsg = (m: unknown): m is Msg => !!m && typeof m === 'object' && typeof (m as { t?: unknown }).t === 'string' && (m as { t: string }).t.startsWith('so:');

/** A worker that has not answered a collect within this long is left out of that scrape (and counted). */
const COLLECT_TIMEOUT_MS = 3000;

async function runPrimary(workers: number) {
  const log = logger().child({ component: 'serve-primary' });
  const cfg = config();
  // Resolve the database once (and migrate), so the workers start on a known URL.
  const database = await openDatabase({ owner: 'worker', boot: false, join: true, log });
  // Workers find the database as the primary did: DATABASE_URL when set; else the embedded one through DATA_DIR —
  // not pinned to today's port, so they follow it when it restarts elsewhere (server/db/app.ts resolveDatabaseUrl).

  // The primary's own metrics, merged into every scrape.
  const registry = new Registry();
  const live = new Gauge({ name: 'signalops_serve_workers', help: 'Serve worker processes alive under this primary.', registers: [registry], aggregator: 'max' });
  const restarts = new Counter({ name: 'signalops_serve_worker_restarts_total', help: 'Serve workers restarted after they died.', registers: [registry] });
  const scrapeErrors = new Counter({ name: 'signalops_scrape_errors_total', help: 'Scrape-time reads that failed.', labelNames: ['source'], registers: [registry] });
  scrapeErrors.inc({ source: 'cluster' }, 0);

  let stopping = false;
  const startedAt = new Map<number, number>();
  let quickDeaths = 0;
  const fork = () => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    w.on('message', (m: unknown) => void onMessage(w, m));
  };

  // Scrape merging: one collect round per scrape, answered by whichever workers reply in time.
  let nextCollect = 0;
  const collecting = new Map<number, { pending: Set<number>; got: MetricObjectWithValues<MetricValue<string>>[][]; done: () => void }>();
  const merged = async (): Promise<string> => {
    const id = nextCollect++;
    const targets = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const round = { pending: new Set(targets.map((w) => w.id)), got: [] as MetricObjectWithValues<MetricValue<string>>[][], done: () => {} };
    const finished = new Promise<void>((resolve) => (round.done = resolve));
    collecting.set(id, round);
    for (const w of targets) w.send({ t: 'so:collect', id } satisfies Msg);
    if (!targets.length) round.done();
    const timer = setTimeout(() => round.done(), COLLECT_TIMEOUT_MS);
    await finished;
    clearTimeout(timer);
    collecting.delete(id);
    if (round.pending.size) {
      scrapeErrors.inc({ source: 'cluster' }, round.pending.size);
      log.warn({ missing: round.pending.size, of: targets.length }, 'scrape: some serve workers did not answer in time; left out of this scrape');
    }
    live.set(targets.length);
    return AggregatorRegistry.aggregate([...round.got, await registry.getMetricsAsJSON()]).metrics();
  };
  const onMessage = async (w: Worker, m: unknown) => {
    if (!isMsg(m)) return;
    if (m.t === 'so:collected') {
      const round = collecting.get(m.id);
      if (!round || !round.pending.delete(w.id)) return;
      round.got.push(m.metrics);
      if (!round.pending.size) round.done();
    } else if (m.t === 'so:scrape') {
      let text: string;
      try {
        text = await merged();
      } catch (e) {
        scrapeErrors.inc({ source: 'cluster' });
        log.warn({ err: (e as Error).message }, 'scrape: merging the workers failed');
        text = await registry.metrics();
      }
      if (w.isConnected()) w.send({ t: 'so:scrape-result', id: m.id, text } satisfies Msg);
    }
  };

  cluster.on('exit', (w, code, signal) => {
    const age = Date.now() - (startedAt.get(w.id) ?? 0);
    startedAt.delete(w.id);
    if (stopping) return;
    quickDeaths = age < 10_000 ? quickDeaths + 1 : 0;
    const delay = quickDeaths ? Math.min(30_000, 500 * 2 ** (quickDeaths - 1)) : 0;
    restarts.inc();
    log.warn({ worker: w.process.pid, code, signal, aliveMs: age, restartInMs: delay }, 'serve worker died; starting another');
    setTimeout(() => !stopping && fork(), delay).unref();
  });

  log.info({ workers, port: cfg.INFERENCE_PORT }, `serve: starting ${workers} workers on port ${cfg.INFERENCE_PORT}`);
  for (let i = 0; i < workers; i++) fork();

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'serve primary shutting down its workers');
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    for (const w of all) w.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, 15_000);
    force.unref();
    const check = () => {
      if (!Object.keys(cluster.workers ?? {}).length) {
        clearTimeout(force);
        void database.close().finally(() => process.exit(0));
      }
    };
    cluster.on('exit', check);
    check();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** In a cluster worker: ask the primary for the merged exposition (falls back to this worker's own on timeout). */
function clusterScraper(ctx: ServingContext): () => Promise<string> {
  let next = 0;
  const waiting = new Map<number, (text: string) => void>();
  process.on('message', (m: unknown) => {
    if (!isMsg(m)) return;
    if (m.t === 'so:collect') {
      void (ctx.prom?.metricsAsJSON() ?? Promise.resolve([])).then(
        (metrics) => process.send?.({ t: 'so:collected', id: m.id, metrics } satisfies Msg),
        () => process.send?.({ t: 'so:collected', id: m.id, metrics: [] } satisfies Msg),
      );
    } else if (m.t === 'so:scrape-result') {
      waiting.get(m.id)?.(m.text);
      waiting.delete(m.id);
    }
  });
  return () =>
    new Promise<string>((resolve) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        ctx.prom?.scrapeErrors.inc({ source: 'cluster' });
        void (ctx.prom?.metrics() ?? Promise.resolve('')).then(resolve);
      }, COLLECT_TIMEOUT_MS + 2000);
      waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send?.({ t: 'so:scrape', id } satisfies Msg);
    });
}

async function runServer(inCluster: boolean) {
  const cfg = config();
  const log = logger();
  const port = cfg.INFERENCE_PORT;
  // Resolves and migrates; appDb() of this process then resolves it again, and again when it moves (server/db/app.ts).
  await openDatabase({ owner: 'worker', boot: false, join: true, log });
  // Imported here, not at the top: a cluster primary never loads the engine (nor TensorFlow.js).
  const { servingContext } = await import('../serving/instance');
  const ctx = await servingContext();
  const handle = createServeHandler(ctx, inCluster ? { clusterMetrics: clusterScraper(ctx) } : {});
  const server = http.createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000;
  server.listen(port, cfg.HOSTNAME, () => log.info({ port, info: ctx.engine.info().models.map((m) => m.name) }, `serve listening on http://localhost:${port}`));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'serve shutting down');
    server.close();
    await ctx.engine.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A worker whose primary is gone (killed) stops too, instead of serving on unsupervised.
  if (inCluster) process.on('disconnect', () => void stop('primary gone'));
}

async function main() {
  const workers = config().SERVE_WORKERS ?? os.availableParallelism();
  if (cluster.isPrimary && workers > 1) return runPrimary(workers);
  return runServer(!cluster.isPrimary);
}

if (process.argv[1] && /serve\.ts$/.test(process.argv[1])) main().catch(fail);
