import { servingContext } from '@/server/serving/instance';
import { dispatch } from '@/server/serving/http';
import { toResponse } from '@/server/http/rest';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The inference endpoints (/api/v1/predict, batch-predict, model/info, reload-model, health — and the same at the
 * root for today's clients, via rewrites): one adapter over the transport-neutral handlers of server/serving/http.ts
 * (which also choose the request id and answer 404/405). Static routes beside this one (datasets, train, models,
 * training-status, metrics) take precedence.
 */
async function serve(req: Request, { params }: { params: Promise<{ serving: string[] }> }, method: 'GET' | 'POST') {
  const path = `/api/v1/${(await params).serving.join('/')}`;
  return toResponse(await dispatch(path, method, { headers: req.headers, text: () => req.text() }, servingContext));
}

export const GET = guarded((req: Request, ctx: { params: Promise<{ serving: string[] }> }) => serve(req, ctx, 'GET'));
// A browser's POST (session cookie, no API key): same origin and a JSON body (server/http/guard.ts).
export const POST = guarded((req: Request, ctx: { params: Promise<{ serving: string[] }> }) => serve(req, ctx, 'POST'), { accepts: ACCEPTS.json });
