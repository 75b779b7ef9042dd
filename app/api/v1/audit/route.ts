import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { guarded } from '@/server/http/guard';
import { listAudit, ZAuditRequest } from '@/server/auth/audit';
import { auditCsvStream } from '@/server/auth/audit-csv';
import { z } from 'zod';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const ZQuery = ZAuditRequest.unwrap().extend({ format: z.enum(['json', 'csv']).optional() });

/**
 * GET /api/v1/audit?actor=&action=&outcome=ok|denied|failed&from=ISO&to=ISO&q=&before=ID&limit=N[&format=csv] — admins
 * (or an `admin` key). JSON: `{ entries, next_before }` (newest first; pass `before=next_before` for the next page).
 * CSV: every matching row (streamed, header line first, formula-like cells neutralised; server/auth/audit-csv.ts).
 */
export const GET = guarded(restHandler({
  need: { role: 'admin', scope: 'admin' },
  getDb: () => appDb().db,
  input: async (req) => Object.fromEntries(new URL(req.url).searchParams),
  schema: ZQuery,
  run: async ({ db }, { format, ...filter }) => {
    if (format === 'csv') {
      const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
      return new Response(auditCsvStream(db, filter), {
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="signalops-audit-${stamp}.csv"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
      });
    }
    const limit = filter.limit ?? 100;
    const entries = await listAudit(db, { ...filter, limit });
    return { entries, next_before: entries.length === limit ? entries[entries.length - 1].id : null };
  },
}));
