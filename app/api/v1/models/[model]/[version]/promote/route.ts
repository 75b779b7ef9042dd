import { appDb } from '@/server/db/app';
import { promoteRoute } from '@/server/promotion/rest';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * POST /api/v1/models/{model}/{version}/promote?traffic_percentage=N[&comment=…&revision=R] — the version gets N % of the
 * model's traffic and the champion the rest; 100 makes it champion. Answers `{ status, message, result }`.
 */
export const POST = guarded(promoteRoute(() => appDb().db, (p) => ({ model: p.at(-3), version: p.at(-2) ?? '' })), { accepts: ACCEPTS.json });
