/**
 * A real HTTP server over the app's own route handlers (app/api/**\/route.ts), without a Next.js build: for tests
 * that drive every API route over HTTP (the fuzz test) in a process of their own. Paths are matched as Next.js
 * matches them (static segments before `[param]` before `[...catchAll]`), and next.config.mjs's rewrites of the root
 * paths (/predict, /models/vN/promote, /drift-detection, /metrics) are applied. Pages and proxy.ts are not served.
 *
 *   DATABASE_URL=… PORT=… node --import tsx server/testing/api-server.ts    (see spawnTs in ./processes.ts)
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '../..');
const API_DIR = path.join(ROOT, 'app/api');

interface Route {
  file: string;
  segments: string[];
  /** Sort key: static < dynamic < catch-all, segment by segment. */
  rank: number[];
}

function listRoutes(dir: string, prefix: string[] = []): Route[] {
  const out: Route[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...listRoutes(path.join(dir, e.name), [...prefix, e.name]));
    else if (e.name === 'route.ts') {
      out.push({ file: path.join(dir, e.name), segments: prefix, rank: prefix.map((s) => (s.startsWith('[...') ? 2 : s.startsWith('[') ? 1 : 0)) });
    }
  }
  return out;
}

/** Every API route of the app, as `/api/...` patterns (for tests that want to list them). */
export function apiRoutePatterns(): string[] {
  return listRoutes(API_DIR).map((r) => `/api/${r.segments.join('/')}`);
}

const routes = listRoutes(API_DIR).sort((a, b) => {
  for (let i = 0; i < Math.max(a.rank.length, b.rank.length); i++) {
    const d = (a.rank[i] ?? -1) - (b.rank[i] ?? -1);
    if (d) return d;
  }
  return 0;
});

function match(pathname: string): { route: Route; params: Record<string, string | string[]> } | null {
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] !== 'api') return null;
  const rest = parts.slice(1).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  for (const route of routes) {
    const params: Record<string, string | string[]> = {};
    let ok = true;
    let i = 0;
    for (; i < route.segments.length; i++) {
      const s = route.segments[i];
      if (s.startsWith('[...')) {
        if (i >= rest.length) ok = false;
        else params[s.slice(4, -1)] = rest.slice(i);
        i = rest.length;
        break;
      }
      if (i >= rest.length) {
        ok = false;
        break;
      }
      if (s.startsWith('[')) params[s.slice(1, -1)] = rest[i];
      else if (s !== rest[i]) {
        ok = false;
        break;
      }
    }
    if (ok && i === rest.length) return { route, params };
  }
  return null;
}

const SERVING_PATHS = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'server/serving/paths.json'), 'utf8'))).filter((p) => p !== '//');

/** next.config.mjs's rewrites. */
function rewrite(pathname: string, accept: string): string {
  if (pathname === '/metrics' && !accept.includes('text/html')) return '/api/v1/metrics/prometheus';
  const promote = /^\/models\/(v\d+)\/promote$/.exec(pathname);
  if (promote) return `/api/v1/promote/${promote[1]}`;
  if (pathname === '/drift-detection') return '/api/v1/drift-detection';
  const p = pathname.slice(1);
  if (SERVING_PATHS.includes(p)) return `/api/v1/${p}`;
  return pathname;
}

const modules = new Map<string, Promise<Record<string, unknown>>>();
const load = (file: string) => {
  let m = modules.get(file);
  if (!m) modules.set(file, (m = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>));
  return m;
};

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const target = rewrite(url.pathname, String(req.headers.accept ?? ''));
  const m = match(target);
  if (!m) {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } }));
    return;
  }
  const mod = await load(m.route.file);
  const method = req.method ?? 'GET';
  const fn = mod[method] as ((r: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response) | undefined;
  if (typeof fn !== 'function') {
    res.writeHead(405, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'METHOD_NOT_SUPPORTED', message: `${method} not allowed` } }));
    return;
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const request = new Request(new URL(target + url.search, url.origin), {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit);
  const response = await fn(request, { params: Promise.resolve(m.params) });
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k === 'set-cookie') return;
    out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out['set-cookie'] = cookies;
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const port = Number(process.env.PORT ?? 0);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A handler that throws instead of answering: a Next.js server answers 500 too.
      console.error(JSON.stringify({ level: 'error', msg: 'route threw', err: String(e) }));
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    });
  });
  server.listen(port, '127.0.0.1', () => {
    const a = server.address();
    console.log(JSON.stringify({ msg: 'api-server listening', port: typeof a === 'object' && a ? a.port : port }));
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
