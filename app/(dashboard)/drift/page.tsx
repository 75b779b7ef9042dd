import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';

export const dynamic = 'force-dynamic';

export default function DriftPage() {
  return (
    <>
      <PageHead title="Drift" />
      <EmptyState title="No drift checks yet">Drift compares the features the trading app sends against the training data of the serving model; it needs a model that serves predictions.</EmptyState>
    </>
  );
}
