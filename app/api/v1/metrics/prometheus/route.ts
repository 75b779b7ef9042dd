import { appDb } from '@/server/db/app';
import { servingContext } from '@/server/serving/instance';
import { metricsResponse } from '@/server/serving/http';
import { guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * GET /metrics of the web process (the Metrics page owns /metrics for browsers, so next.config.mjs rewrites /metrics
 * here for any request that is not a page load): Prometheus text, or JSON with Accept: application/json.
 */
export const GET = guarded((req: Request) => metricsResponse(req, { json: false, context: servingContext, db: () => appDb().db }));
