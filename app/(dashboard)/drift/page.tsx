import Link from 'next/link';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';
import { DriftOverview } from '@/components/drift/DriftOverview';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function DriftPage() {
  const user = await requireUser();
  const api = await serverCaller();
  const models = await api.promotion.overview();
  const rows = await Promise.all(
    models.map(async (m) => ({ model: m.model, champion: m.champion, versions: m.versions, latest: asWire((await api.drift.reports({ model: m.model, limit: 1 }))[0] ?? null) })),
  );
  return (
    <>
      <PageHead
        title="Drift"
        subtitle="Per model: do the inputs it sees still look like its training data, has its class mix moved, and how did its served signals turn out. Checks run daily (00:00 UTC by default), on demand, and over the API."
      />
      {rows.length ? (
        <DriftOverview rows={rows} />
      ) : (
        <EmptyState title="No model yet">
          Drift compares what a model sees with its training data; a model appears here once a training run registers its first version.{' '}
          {user.role !== 'analyst' ? <Link href="/training">Train one</Link> : null}
        </EmptyState>
      )}
    </>
  );
}
