import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';

export const dynamic = 'force-dynamic';

export default function DataPage() {
  return (
    <>
      <PageHead title="Data" />
      <EmptyState title="No datasets yet — import one">Import candle files (MetaTrader, CryptoDataDownload/Binance, Yahoo Finance or any CSV) to build features and labels.</EmptyState>
    </>
  );
}
