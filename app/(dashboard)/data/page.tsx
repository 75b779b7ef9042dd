import Link from 'next/link';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { dateTime } from '@/components/charts/format';
import { EmptyState } from '@/components/ui/EmptyState';
import { UploadDataset } from '@/components/forms/UploadDataset';
import { FreshnessBadge } from '@/components/ui/FreshnessBadge';

export const dynamic = 'force-dynamic';

export default async function DataPage() {
  const user = await requireUser();
  const api = await serverCaller();
  const datasets = await api.data.list();
  const canImport = user.role !== 'analyst';
  return (
    <>
      <PageHead title="Data" subtitle="Candle datasets: the start of the pipeline (candles → features → labels → samples)." />
      <div className="stack">
        {datasets.length ? (
          <div className="card">
            <h2>Datasets</h2>
            <div className="table-wrap">
              <table data-testid="datasets-table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Symbol</th>
                    <th>Timeframe</th>
                    <th>Bars</th>
                    <th>First bar (UTC)</th>
                    <th>Last bar (UTC)</th>
                    <th title="When the next closed bar should have arrived: the last bar's open + 2 timeframes">Next bar due (UTC)</th>
                    <th>Freshness</th>
                    <th>Source</th>
                  </tr>
                </thead>
                <tbody>
                  {datasets.map((d) => (
                    <tr key={d.id}>
                      <td>
                        <Link href={`/data/${encodeURIComponent(d.name)}`}>{d.name}</Link>
                      </td>
                      <td>{d.symbol}</td>
                      <td>{d.timeframe}</td>
                      <td>{d.rowCount.toLocaleString()}</td>
                      <td>{dateTime(d.firstTs)}</td>
                      <td>{dateTime(d.lastTs)}</td>
                      <td>{dateTime(d.freshness?.expectedNext)}</td>
                      <td>
                        <FreshnessBadge f={d.freshness} />
                      </td>
                      <td>{d.source}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        ) : (
          <EmptyState title="No datasets yet — import one">
            Import candle files (MetaTrader, CryptoDataDownload/Binance, Yahoo Finance or any CSV) to build features and labels.
          </EmptyState>
        )}
        {canImport ? <UploadDataset /> : <p className="muted">Engineers and admins can import data.</p>}
      </div>
    </>
  );
}
