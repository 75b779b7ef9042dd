import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';

export const dynamic = 'force-dynamic';

export default function MetricsPage() {
  return (
    <>
      <PageHead title="Metrics" />
      <EmptyState title="No live metrics yet">Latency, throughput and live accuracy appear here once models serve predictions.</EmptyState>
    </>
  );
}
