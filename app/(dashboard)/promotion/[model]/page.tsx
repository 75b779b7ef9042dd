import Link from 'next/link';
import { notFound } from 'next/navigation';
import { TRPCError } from '@trpc/server';
import { serverCaller, requireUser } from '../../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { PromotionModel } from '@/components/promotion/PromotionModel';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function PromotionModelPage({ params }: { params: Promise<{ model: string }> }) {
  const model = decodeURIComponent((await params).model);
  const user = await requireUser();
  const api = await serverCaller();
  const state = await api.promotion.state({ model }).catch((e) => {
    if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) notFound();
    throw e;
  });
  const [history, series, shadow, checks] = await Promise.all([
    api.promotion.history({ model, limit: 50 }),
    api.monitoring.series({ range: '15m', model }),
    api.promotion.shadow({ model, range: '15m' }),
    api.promotion.canaryChecks(),
  ]);
  const canEdit = user.role === 'engineer' || user.role === 'admin';
  return (
    <>
      <PageHead
        title={`Promotion · ${model}`}
        subtitle={
          <>
            <Link href="/promotion">All models</Link> · <Link href="/models">registry</Link> · <Link href={`/metrics?range=15m&model=${encodeURIComponent(model)}`}>live metrics</Link>
            {canEdit ? '' : ' · you are signed in as an analyst: read only'}
          </>
        }
      />
      <PromotionModel
        canEdit={canEdit}
        initial={{ state: asWire(state), history: asWire(history), series: asWire(series), shadow: { ...asWire(shadow), range: '15m' }, checks }}
      />
    </>
  );
}
