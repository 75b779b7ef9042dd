import { servingContext } from '@/server/serving/instance';
import { handlers } from '@/server/serving/http';
import { toErrorResponse, toResponse } from '@/server/http/rest';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** POST /api/v1/predict (also served at /predict for today's clients): see server/serving/http.ts. */
export async function POST(req: Request) {
  try {
    return toResponse(await handlers.predict({ headers: req.headers, text: () => req.text() }, await servingContext()));
  } catch (e) {
    return toErrorResponse(e);
  }
}
