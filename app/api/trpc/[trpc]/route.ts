import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { TRPCError } from '@trpc/server';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '@/server/db/unavailable';
import { appRouter } from '@/server/trpc/root';
import { createContext } from '@/server/trpc/init';
import { appDb } from '@/server/db/app';
import { childLogger } from '@/server/log';
import { logFieldsOf } from '@/server/errors';
import { REQUEST_ID_HEADER, requestIdFrom, withRequestIdHeader } from '@/server/http/rest';
import { trpcBatchCalls, trpcBatchTooLarge } from '@/server/http/ratelimit';
import { config } from '@/server/config';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * tRPC over HTTP. Every request carries a request id (server/http/rest.ts: the caller's sane `x-request-id`, else a
 * new one), echoed in the `x-request-id` header and put in every error as `error.data.request_id`. An internal error
 * is logged with the id and answers a generic message naming it — never the SQL or message of what failed.
 */
async function handler(req: Request) {
  const requestId = requestIdFrom(req.headers);
  // Size cap: at most TRPC_MAX_BATCH calls per HTTP batch, refused before any of them runs (server/http/ratelimit.ts).
  const maxBatch = config().TRPC_MAX_BATCH;
  const calls = trpcBatchCalls(new URL(req.url));
  if (calls > maxBatch) return trpcBatchTooLarge(calls, maxBatch, requestId);
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    maxBatchSize: maxBatch,
    createContext: async ({ resHeaders }) => {
      resHeaders.set(REQUEST_ID_HEADER, requestId);
      try {
        return await createContext({ db: appDb().db, headers: req.headers, resHeaders, requestId });
      } catch (e) {
        // The caller is looked up (session, API key) before any middleware runs. tRPC 11's fetch adapter turns an
        // error thrown here into each call's error (a non-TRPCError becomes a 500): a database outage is the same
        // 503 SERVICE_UNAVAILABLE that server/trpc/init.ts gives inside procedures.
        if (isDatabaseUnavailable(e)) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE_MESSAGE, cause: e });
        throw e;
      }
    },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        // The error's name, database code and stack frames, secrets masked — never the SQL text or its parameters.
        childLogger({ request_id: requestId }).error({ path, ...logFieldsOf(error.cause ?? error) }, 'trpc internal error');
        // onError runs before the error's shape is built: the client sees this message, not the cause's.
        error.message = `Internal error (request id ${requestId}); see the server log.`;
      }
    },
  });
  return withTrpcRequestId(withRequestIdHeader(res, requestId), requestId);
}

/** Adds `data.request_id` to each error of a (non-streamed) tRPC JSON error answer; successes pass untouched. */
async function withTrpcRequestId(res: Response, requestId: string): Promise<Response> {
  if (res.status < 400 && res.status !== 207) return res;
  if (!res.headers.get('content-type')?.includes('application/json')) return res;
  const text = await res.text();
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  try {
    const doc = JSON.parse(text) as unknown;
    const tag = (item: unknown) => {
      const e = (item as { error?: { data?: Record<string, unknown> } } | null)?.error;
      if (e && typeof e === 'object') e.data = { ...(e.data ?? {}), request_id: requestId };
    };
    if (Array.isArray(doc)) doc.forEach(tag);
    else tag(doc);
    return new Response(JSON.stringify(doc), { status: res.status, headers });
  } catch {
    return new Response(text, { status: res.status, headers });
  }
}

export { handler as GET, handler as POST };
