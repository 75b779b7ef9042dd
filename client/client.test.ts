import { describe, it, expect, beforeAll } from 'vitest';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createTestDb } from '../server/db/test-db';
import { appRouter } from '../server/trpc/root';
import { createContext } from '../server/trpc/init';
import { createApiKey } from '../server/auth/apikeys';
import { createSignalOpsClient, TRPCClientError } from './index';
import type { Db } from '../server/db/client';

/** The typed client talking HTTP semantics (Request/Response) to the real tRPC handler and database, no mocks. */
describe('typed client', () => {
  let db: Db;
  let serverFetch: typeof fetch;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    serverFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      return fetchRequestHandler({
        endpoint: '/api/trpc',
        req,
        router: appRouter,
        createContext: ({ resHeaders }) => createContext({ db, headers: req.headers, resHeaders }),
      });
    }) as typeof fetch;
  });

  it('calls procedures with an API key and gets typed results', async () => {
    const { key } = await createApiKey(db, { name: 'trading-app', scopes: ['predict', 'read'] }, 'test');
    const so = createSignalOpsClient({ url: 'http://signalops.test/', apiKey: key, fetch: serverFetch });
    const me = await so.auth.me.query();
    expect(me).toEqual({ kind: 'apikey', name: 'trading-app', scopes: ['predict', 'read'] });
    const workers = await so.system.workers.query();
    expect(Array.isArray(workers)).toBe(true);
    const viaHeader = createSignalOpsClient({ url: 'http://signalops.test', apiKey: key, header: 'x-api-key', fetch: serverFetch });
    expect((await viaHeader.auth.me.query()).kind).toBe('apikey');
  });

  it('surfaces 401/403 as TRPCClientError with the HTTP status and reason', async () => {
    const bad = createSignalOpsClient({ url: 'http://signalops.test', apiKey: 'so_nope', fetch: serverFetch });
    const e1 = await bad.system.workers.query().catch((e) => e);
    expect(e1).toBeInstanceOf(TRPCClientError);
    expect(e1.data.httpStatus).toBe(401);
    expect(e1.message).toBe('Unknown API key.');
    const { key } = await createApiKey(db, { name: 'predict-only', scopes: ['predict'] }, 'test');
    const limited = createSignalOpsClient({ url: 'http://signalops.test', apiKey: key, fetch: serverFetch });
    const e2 = await limited.users.list.query().catch((e) => e);
    expect(e2.data.httpStatus).toBe(403);
    expect(e2.message).toMatch(/'admin' scope/);
    expect(e2.data.stack).toBeUndefined();
  });
});
