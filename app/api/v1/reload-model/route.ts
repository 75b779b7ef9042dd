import { servingContext } from '@/server/serving/instance';
import { handlers } from '@/server/serving/http';
import { toErrorResponse, toResponse } from '@/server/http/rest';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** POST /api/v1/reload-model (also served at /reload-model for today's clients): see server/serving/http.ts. */
export async function POST(req: Request) {
  try {
    return toResponse(await handlers.reload({ headers: req.headers, text: () => req.text() }, await servingContext()));
  } catch (e) {
    return toErrorResponse(e);
  }
}
