import { servingContext } from '@/server/serving/instance';
import { ROUTES } from '@/server/serving/http';
import { errorResponse, toErrorResponse, toResponse } from '@/server/http/rest';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The inference endpoints (/api/v1/predict, batch-predict, model/info, reload-model, health — and the same at the
 * root for today's clients, via rewrites): one adapter over the transport-neutral handlers of server/serving/http.ts.
 * Static routes beside this one (datasets, train, models, training-status) take precedence.
 */
async function serve(req: Request, { params }: { params: Promise<{ serving: string[] }> }, method: 'GET' | 'POST') {
  const path = `/api/v1/${(await params).serving.join('/')}`;
  const route = ROUTES[path];
  if (!route) return errorResponse(404, 'NOT_FOUND', `No endpoint ${path}.`);
  if (route.method !== method) return errorResponse(405, 'METHOD_NOT_SUPPORTED', `${path} takes ${route.method}.`);
  try {
    return toResponse(await route.handler({ headers: req.headers, text: () => req.text() }, await servingContext()));
  } catch (e) {
    return toErrorResponse(e);
  }
}

export const GET = (req: Request, ctx: { params: Promise<{ serving: string[] }> }) => serve(req, ctx, 'GET');
export const POST = (req: Request, ctx: { params: Promise<{ serving: string[] }> }) => serve(req, ctx, 'POST');
