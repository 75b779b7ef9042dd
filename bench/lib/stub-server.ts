/**
 * Reference servers for bench/serve.ts, to split the serve process's cost per request into layers (run as a child:
 * `node --import tsx bench/lib/stub-server.ts <mode>`, env PORT, CANNED = a real /predict response body,
 * DATABASE_URL for `shell`):
 *
 *  - `plain`: bare node:http — read the body, JSON.parse it, answer the canned JSON. The floor of any Node HTTP
 *    server on this machine with this load generator.
 *  - `shell`: the serve process's own request path — createServeHandler (server/bin/serve.ts) → handlers.predict
 *    (server/serving/http.ts: Fetch Request/Response adapter, readJson, API-key check through the real AuthCache and
 *    database) — with the engine replaced by a stub that answers the canned response. Everything but the engine.
 *  - `direct`: a sketch of a leaner serve path — node:http straight to the REAL engine and auth (servingContext(),
 *    the same as the serve process), without the Fetch Request/Response adapter: body Buffer → JSON.parse →
 *    AuthCache → checkAccess → engine.predict → JSON.stringify → res.end. Measures what that adapter costs.
 */
import http from 'node:http';
import { openDb } from '../../server/db/client';
import { AuthCache, type ServingContext } from '../../server/serving/http';
import type { InferenceEngine } from '../../server/serving/engine';
import { createServeHandler } from '../../server/bin/serve';
import { servingContext } from '../../server/serving/instance';
import { checkAccess } from '../../server/auth/principal';
import { DomainError } from '../../server/errors';

const mode = process.argv[2];
const port = Number(process.env.PORT);
const canned = process.env.CANNED ?? '{}';
const cannedObj = JSON.parse(canned) as unknown;

let handler: http.RequestListener;
if (mode === 'plain') {
  const body = Buffer.from(canned);
  handler = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  };
} else if (mode === 'shell') {
  const h = openDb(process.env.DATABASE_URL!, { max: 2, applicationName: 'signalops-bench-stub' });
  const engine = { predict: async (input: unknown) => (input ? cannedObj : cannedObj) } as unknown as InferenceEngine;
  const ctx: ServingContext = { db: h.db, engine, auth: new AuthCache(h.db) };
  const serveHandler = createServeHandler(ctx);
  handler = (req, res) => void serveHandler(req, res);
} else if (mode === 'direct') {
  const ctx = await servingContext();
  const reply = (res: http.ServerResponse, status: number, obj: unknown) => {
    const b = Buffer.from(JSON.stringify(obj));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': b.length });
    res.end(b);
  };
  handler = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const auth = req.headers.authorization;
          const p = await ctx.auth.principal({ get: (k: string) => (k === 'authorization' ? (auth ?? null) : null) } as Headers);
          const d = checkAccess(p, { role: 'analyst', scope: 'predict' });
          if (!d.ok) return reply(res, d.status, { error: { message: d.message } });
          reply(res, 200, await ctx.engine.predict(JSON.parse(Buffer.concat(chunks).toString())));
        } catch (e) {
          reply(res, e instanceof DomainError ? e.status : 500, { error: { message: (e as Error).message } });
        }
      })();
    });
  };
} else {
  throw new Error(`mode must be plain, shell or direct, got ${mode}`);
}

const server = http.createServer(handler);
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log(`stub ${mode} listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
