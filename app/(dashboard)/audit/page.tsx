import Link from 'next/link';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';
import { AuditFilters, type AuditFilterValues } from '@/components/audit/AuditFilters';
import { AuditTable } from '@/components/audit/AuditTable';
import { queryOf } from '@/components/audit/describe';
import { ZAuditRequest } from '@/server/auth/audit';

export const dynamic = 'force-dynamic';

const PAGE = 50;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  if (user.role !== 'admin') {
    return (
      <>
        <PageHead title="Audit" />
        <div className="card" role="alert" data-testid="audit-forbidden">
          <h2>403 — admins only</h2>
          <p className="muted">
            The audit log is for admins: user <strong>{user.username}</strong> is {user.role}. Ask an admin if you need an entry from it.
          </p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === 'string' ? (sp[k] as string) : undefined);
  const values: AuditFilterValues = { actor: one('actor'), action: one('action'), outcome: one('outcome'), from: one('from'), to: one('to'), q: one('q') };
  const parsed = ZAuditRequest.safeParse({ ...values, before: one('before') });
  const api = await serverCaller();
  const facets = await api.system.auditFacets();
  const head = (
    <PageHead
      title="Audit"
      subtitle="Every change (with its from → to values), refused call and failed sign-in, with who, when and from where. Append-only."
    />
  );
  if (!parsed.success) {
    return (
      <>
        {head}
        <AuditFilters values={values} actors={facets.actors} actions={facets.actions} />
        <div className="error" role="alert">
          {parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}
        </div>
      </>
    );
  }
  const rows = await api.system.audit({ ...parsed.data, limit: PAGE });
  const filtered = Object.values(values).some((v) => v);
  const older = rows.length === PAGE ? rows[rows.length - 1].id : null;
  return (
    <>
      {head}
      <div className="stack">
        <AuditFilters values={values} actors={facets.actors} actions={facets.actions} />
        {rows.length === 0 ? (
          <EmptyState title={filtered || parsed.data.before ? 'No entries match these filters' : 'The audit log is empty'}>
            {filtered || parsed.data.before
              ? 'Nothing on record matches. Widen the time range or clear the filters.'
              : 'Nothing has been recorded yet: changes, refused calls and failed sign-ins appear here as they happen.'}
          </EmptyState>
        ) : (
          <>
            <AuditTable rows={rows} />
            <div className="inline-action" data-testid="audit-paging">
              <span className="muted small">
                {rows.length} {rows.length === 1 ? 'entry' : 'entries'}, newest first{parsed.data.before ? ` (older than #${parsed.data.before})` : ''}.
              </span>
              {parsed.data.before ? <Link href={`/audit${queryOf({ ...values })}`}>Newest</Link> : null}
              {older ? <Link href={`/audit${queryOf({ ...values }, { before: older })}`}>Older →</Link> : null}
            </div>
          </>
        )}
      </div>
    </>
  );
}
