import Link from 'next/link';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';
import { PromotionOverview } from '@/components/promotion/PromotionOverview';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function PromotionPage() {
  const user = await requireUser();
  const api = await serverCaller();
  const overview = asWire(await api.promotion.overview());
  return (
    <>
      <PageHead
        title="Promotion"
        subtitle="Who gets live traffic: per model the champion and its challengers, the A/B split, canaries, shadows and the audited history of every change."
      />
      {overview.length ? (
        <PromotionOverview initial={overview} />
      ) : (
        <EmptyState title="No model yet">
          A model appears here once a training run registers its first version; the first version that passes the gate becomes champion with 100 % of
          traffic. {user.role !== 'analyst' ? <Link href="/training">Train one</Link> : null}
        </EmptyState>
      )}
    </>
  );
}
