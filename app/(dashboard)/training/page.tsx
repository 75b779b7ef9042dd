import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';

export const dynamic = 'force-dynamic';

export default function TrainingPage() {
  return (
    <>
      <PageHead title="Training" />
      <EmptyState title="No training runs yet — train one">Once a dataset exists, pick it and a model type here, click Train and watch the curves live.</EmptyState>
    </>
  );
}
