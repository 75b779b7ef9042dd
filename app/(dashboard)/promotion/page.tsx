import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';

export const dynamic = 'force-dynamic';

export default function PromotionPage() {
  return (
    <>
      <PageHead title="Promotion" />
      <EmptyState title="Nothing to promote yet">Promote candidates to champion and split live traffic between versions (A/B, canary, shadow) once models exist.</EmptyState>
    </>
  );
}
