/**
 * `npm run serve`: the lean inference server for high request rates — node:http, the same engine, auth and endpoints
 * as the web app (POST /predict, POST /batch-predict, GET /model/info, POST /reload-model, GET /health, and the same
 * under /api/v1/), no Next.js in the request path. Port INFERENCE_PORT (default 8080). Run as many replicas as needed:
 * each LISTENs for changes and reloads within a second.
 */
process.env.SIGNALOPS_PROC ??= 'serve';
import http from 'node:http';
import { config } from '../config';
import { logger } from '../log';
import { openDatabase, fail } from './boot';
import { servingContext } from '../serving/instance';
import { ROUTES, type ServingContext } from '../serving/http';
import { errorBody, type PlainResponse } from '../http/rest';

const MAX_BODY = 32 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { tooLarge: true }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: PlainResponse) {
  const body = JSON.stringify(r.body);
  res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** node:http → the shared handlers, with no Fetch Request/Response in between (they cost a quarter of the CPU). */
export function createServeHandler(ctx: ServingContext) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
      const route = ROUTES[path];
      if (!route) return send(res, errorBody(404, 'NOT_FOUND', `No endpoint ${path}. Try POST /predict, POST /batch-predict, GET /model/info, GET /health.`));
      if (req.method !== route.method) return send(res, errorBody(405, 'METHOD_NOT_SUPPORTED', `${path} takes ${route.method}.`));
      const body = route.method === 'POST' ? await readBody(req) : null;
      const headers = {
        get(name: string) {
          const v = req.headers[name.toLowerCase()];
          return Array.isArray(v) ? v.join(', ') : (v ?? null);
        },
      };
      send(res, await route.handler({ headers, text: async () => (body ? body.toString('utf8') : '') }, ctx));
    } catch (e) {
      if ((e as { tooLarge?: boolean }).tooLarge) return send(res, errorBody(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${MAX_BODY} bytes.`));
      logger().error({ err: (e as Error).message }, 'serve: unhandled error');
      if (!res.headersSent) send(res, errorBody(500, 'INTERNAL_SERVER_ERROR', 'Internal error; see the server log.'));
    }
  };
}

async function main() {
  const cfg = config();
  const log = logger();
  const port = cfg.INFERENCE_PORT;
  const database = await openDatabase({ owner: 'worker', boot: false, join: true, log });
  process.env.DATABASE_URL = database.url; // appDb() of this process
  const ctx = await servingContext();
  const handle = createServeHandler(ctx);
  const server = http.createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000;
  server.listen(port, cfg.HOSTNAME, () => log.info({ port, info: ctx.engine.info().models.map((m) => m.name) }, `serve listening on http://localhost:${port}`));
  const stop = async (signal: string) => {
    log.info({ signal }, 'serve shutting down');
    server.close();
    await ctx.engine.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (process.argv[1] && /serve\.ts$/.test(process.argv[1])) main().catch(fail);
