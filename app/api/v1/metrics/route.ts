import { appDb } from '@/server/db/app';
import { servingContext } from '@/server/serving/instance';
import { metricsResponse } from '@/server/serving/http';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** GET /api/v1/metrics — today's dashboard JSON (last hour, all replicas); needs a `read` key or METRICS_TOKEN. */
export const GET = (req: Request) => metricsResponse(req, { json: true, context: servingContext, db: () => appDb().db });
