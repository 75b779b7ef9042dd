import { APP_VERSION } from '@/server/config';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Liveness: the web process answers. No auth, no database, cheap. */
export function GET() {
  return Response.json({ status: 'ok', version: APP_VERSION, uptimeSeconds: Math.round(process.uptime()) });
}
