/**
 * The typed SignalOps client for TypeScript callers (e.g. the trading app), published as `@signalops/client`
 * (`npm run client:pack` builds the tarball; see the README):
 *
 *   import { createSignalOpsClient } from '@signalops/client';
 *   const so = createSignalOpsClient({ url: 'http://localhost:3000', apiKey: process.env.SIGNALOPS_API_KEY! });
 *   const ready = await so.system.ready.query();
 *
 * Every procedure's input and output types come from the server's AppRouter, so a call that does not match the API
 * does not compile. In the repo, import this file (`client/index.ts`); it reads the server only through ./router,
 * which the package build replaces with a self-contained copy of the router's types.
 */
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './router';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { TRPCClientError };

export interface SignalOpsClientOptions {
  /** Base URL of the web process, e.g. `http://localhost:3000`. */
  url: string;
  /** An API key (create one on the Settings page or with `npm run cli -- apikey create`). */
  apiKey: string;
  /** Send the key as `X-API-Key` instead of `Authorization: Bearer`. */
  header?: 'authorization' | 'x-api-key';
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch;
}

export function createSignalOpsClient(opts: SignalOpsClientOptions) {
  const base = opts.url.replace(/\/+$/, '');
  const headers: Record<string, string> =
    opts.header === 'x-api-key' ? { 'x-api-key': opts.apiKey } : { authorization: `Bearer ${opts.apiKey}` };
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${base}/api/trpc`, headers: () => headers, fetch: opts.fetch, maxItems: 20 /* the server refuses batches over TRPC_MAX_BATCH (default 50) */ })],
  });
}
