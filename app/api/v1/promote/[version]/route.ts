import { appDb } from '@/server/db/app';
import { promoteRoute } from '@/server/promotion/rest';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The trading team's `POST /models/{model_version}/promote?traffic_percentage=N` (next.config.mjs rewrites it here):
 * a bare `vN` names the only model, or `?model=` says which.
 */
export const POST = guarded(promoteRoute(() => appDb().db, (p) => ({ version: p.at(-1) ?? '' })), { accepts: ACCEPTS.json });
