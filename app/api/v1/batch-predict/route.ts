import { servingContext } from '@/server/serving/instance';
import { handlers } from '@/server/serving/http';
import { toErrorResponse } from '@/server/http/rest';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** POST /api/v1/batch-predict (also served at /batch-predict for today's clients): see server/serving/http.ts. */
export async function POST(req: Request) {
  try {
    return await handlers.batchPredict(req, await servingContext());
  } catch (e) {
    return toErrorResponse(e);
  }
}
