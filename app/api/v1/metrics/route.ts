import { appDb } from '@/server/db/app';
import { servingContext } from '@/server/serving/instance';
import { metricsResponse } from '@/server/serving/http';
import { guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** GET /api/v1/metrics — today's dashboard JSON (last hour, all replicas); needs a `read` key or METRICS_TOKEN. */
export const GET = guarded((req: Request) => metricsResponse(req, { json: true, context: servingContext, db: () => appDb().db }));
