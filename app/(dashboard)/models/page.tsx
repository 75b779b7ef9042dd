import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';

export const dynamic = 'force-dynamic';

export default function ModelsPage() {
  return (
    <>
      <PageHead title="Models" />
      <EmptyState title="No models yet — train one">Every training run that finishes registers a model version here, with its metrics, indicator weights and lineage.</EmptyState>
    </>
  );
}
