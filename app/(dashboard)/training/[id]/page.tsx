import Link from 'next/link';
import { notFound } from 'next/navigation';
import { TRPCError } from '@trpc/server';
import { serverCaller, requireUser } from '../../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { RunMonitor } from '@/components/charts/RunMonitor';
import { dateTime, runOrigin } from '@/components/charts/format';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const user = await requireUser();
  const api = await serverCaller();
  const run = asWire(
    await api.training.get({ id }).catch((e) => {
      if (e instanceof TRPCError && e.code === 'NOT_FOUND') notFound();
      throw e;
    }),
  );
  return (
    <>
      <PageHead
        title={`${run.modelName} · run ${run.id.slice(0, 8)}`}
        subtitle={
          <>
            <Link href="/training">All runs</Link> · {run.modelType} on <Link href={`/data/${encodeURIComponent(run.dataset)}`}>{run.dataset}</Link> · queued {dateTime(run.createdAt)} UTC ·{' '}
            <span data-testid="run-origin">{runOrigin(run.trigger, run.createdBy)}</span>
          </>
        }
      />
      <RunMonitor initialRun={run} canEdit={user.role !== 'analyst'} />
    </>
  );
}
