import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/trpc/root';
import { createContext } from '@/server/trpc/init';
import { appDb } from '@/server/db/app';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => createContext({ db: appDb().db, headers: req.headers, resHeaders }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        // Logged server-side only; the client sees a generic message without a stack.
        console.error(JSON.stringify({ level: 'error', msg: 'trpc internal error', path, err: error.cause?.message ?? error.message }));
      }
    },
  });
}

export { handler as GET, handler as POST };
