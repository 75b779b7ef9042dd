import { appDb } from '@/server/db/app';
import { readiness } from '@/server/monitoring/health';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Readiness: database, migrations, workers, TensorFlow.js backend. 200 when ready, 503 (with the reasons) when not. */
export async function GET() {
  try {
    const r = await readiness(appDb().db);
    return Response.json(r, { status: r.ready ? 200 : 503 });
  } catch (e) {
    return Response.json({ ready: false, problems: [e instanceof Error ? e.message : String(e)] }, { status: 503 });
  }
}
