import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/trpc/root';
import { createContext } from '@/server/trpc/init';
import { appDb } from '@/server/db/app';
import { childLogger } from '@/server/log';
import { REQUEST_ID_HEADER, requestIdFrom, withRequestIdHeader } from '@/server/http/rest';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * tRPC over HTTP. Every request carries a request id (server/http/rest.ts: the caller's sane `x-request-id`, else a
 * new one), echoed in the `x-request-id` header and put in every error as `error.data.request_id`. An internal error
 * is logged with the id and answers a generic message naming it — never the SQL or message of what failed.
 */
async function handler(req: Request) {
  const requestId = requestIdFrom(req.headers);
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => {
      resHeaders.set(REQUEST_ID_HEADER, requestId);
      return createContext({ db: appDb().db, headers: req.headers, resHeaders });
    },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        childLogger({ request_id: requestId }).error({ path, err: error.cause?.message ?? error.message }, 'trpc internal error');
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
