import { servingContext } from '@/server/serving/instance';
import { handlers } from '@/server/serving/http';
import { toErrorResponse, toResponse } from '@/server/http/rest';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** GET /api/v1/health (also served at /health for today's clients): see server/serving/http.ts. */
export async function GET(req: Request) {
  try {
    return toResponse(await handlers.health({ headers: req.headers, text: () => req.text() }, await servingContext()));
  } catch (e) {
    return toErrorResponse(e);
  }
}
