import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { MetricsDashboard } from '@/components/charts/metrics/MetricsDashboard';
import { isRange, type RangeName } from '@/components/charts/metrics/types';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function MetricsPage({ searchParams }: { searchParams: Promise<{ range?: string | string[]; model?: string | string[] }> }) {
  await requireUser();
  const api = await serverCaller();
  const sp = await searchParams;
  const range: RangeName = isRange(sp.range) ? sp.range : '1h';
  const model = typeof sp.model === 'string' && sp.model ? sp.model : null;
  const [series, processes, pipeline] = await Promise.all([
    api.monitoring.series({ range, ...(model ? { model } : {}) }),
    api.monitoring.processes(),
    api.monitoring.pipeline(),
  ]);
  return (
    <>
      <PageHead
        title="Metrics"
        subtitle="Live serving metrics merged across every web and serve process (10-s roll-ups in PostgreSQL), the processes themselves, and training and the queue. Times in UTC."
      />
      <MetricsDashboard initial={{ range, model, series: asWire(series), processes: asWire(processes), pipeline: asWire(pipeline) }} />
    </>
  );
}
