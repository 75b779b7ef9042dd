import { appDb } from '@/server/db/app';
import { readinessAnswer } from '@/server/monitoring/health';
import { guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Readiness: 200 `{ "ready": true }` when ready, 503 `{ "ready": false }` when not — that is all an anonymous caller
 * (a load balancer, a Kubernetes probe) learns. A viewer (analyst and up, or a `read` API key) gets the details:
 * database, migrations, workers, TensorFlow.js backend and the reasons (server/monitoring/health.ts).
 */
export const GET = guarded(async (req: Request) => {
  const { status, body } = await readinessAnswer(() => appDb().db, req.headers);
  return Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
});
