import Link from 'next/link';
import { notFound } from 'next/navigation';
import { TRPCError } from '@trpc/server';
import { serverCaller } from '../../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { dateTime, lateBy } from '@/components/charts/format';
import { FreshnessBadge } from '@/components/ui/FreshnessBadge';
import { PriceChart } from '@/components/charts/PriceChart';
import { LabelDistribution } from '@/components/charts/LabelDistribution';

export const dynamic = 'force-dynamic';

export default async function DatasetPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  const api = await serverCaller();
  const detail = await api.data.get({ name: decodeURIComponent(name) }).catch((e) => {
    if (e instanceof TRPCError && e.code === 'NOT_FOUND') notFound();
    throw e;
  });
  const { dataset: d, imports } = detail;
  const summary = await api.data.chart({ dataset: d.name, bars: 20, maxPoints: 50 });
  const rule = summary.labelRule;
  return (
    <>
      <PageHead
        title={d.name}
        subtitle={
          <>
            <Link href="/data">Data</Link> · {d.symbol} · {d.timeframe} · {d.rowCount.toLocaleString()} bars · {dateTime(d.firstTs)} → {dateTime(d.lastTs)} UTC
          </>
        }
      />
      <div className="stack">
        <PriceChart dataset={d.name} />
        <div className="grid cols-2">
          <div className="card" data-testid="label-distribution">
            <h2>Label distribution</h2>
            <p className="muted" style={{ marginTop: -6 }}>
              {rule.kind === 'atr'
                ? `BUY when the close ${rule.horizon} bars ahead is more than ${rule.k} × ATR above today's close, SELL when more than ${rule.k} × ATR below, HOLD otherwise.`
                : `BUY when the ${rule.horizon}-bar forward return exceeds +${(rule.threshold * 100).toFixed(2)}%, SELL below −${(rule.threshold * 100).toFixed(2)}%, HOLD otherwise.`}{' '}
              {summary.classBalance.total.toLocaleString()} labelled bars (warm-up and the last {rule.horizon} bars have no label).
            </p>
            <LabelDistribution counts={summary.classBalance.counts} shares={summary.classBalance.shares} />
          </div>
          <div className="card">
            <h2>Dataset</h2>
            <table>
              <tbody>
                <tr>
                  <th>Freshness</th>
                  <td data-testid="dataset-freshness">
                    <FreshnessBadge f={d.freshness} />
                    {d.freshness ? (
                      <div className="muted" style={{ fontSize: 12, marginTop: 4 }}>
                        last bar {dateTime(d.freshness.lastBar)} (closed {dateTime(d.freshness.lastBarClose)}) · next due {dateTime(d.freshness.expectedNext)} UTC · stale{' '}
                        {lateBy(d.freshness.graceMs)} after that
                        {d.freshness.clock === 'weekdays' ? ' · weekdays clock (no Saturday bars: weekends do not count)' : ''}
                      </div>
                    ) : null}
                  </td>
                </tr>
                <tr>
                  <th>Source format</th>
                  <td>{d.source}</td>
                </tr>
                <tr>
                  <th>Content hash</th>
                  <td className="mono" style={{ wordBreak: 'break-all' }}>
                    {d.contentHash ?? '—'}
                  </td>
                </tr>
                <tr>
                  <th>Created</th>
                  <td>
                    {dateTime(d.createdAt)} by {d.createdBy}
                  </td>
                </tr>
              </tbody>
            </table>
          </div>
        </div>
        <div className="card" data-testid="import-history">
          <h2>Imports</h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>File</th>
                  <th>Format</th>
                  <th>Read</th>
                  <th>Inserted</th>
                  <th>Skipped</th>
                  <th>Range</th>
                  <th>By</th>
                </tr>
              </thead>
              <tbody>
                {imports.map((i) => (
                  <tr key={i.id}>
                    <td>{dateTime(i.createdAt)}</td>
                    <td>{i.fileName ?? '—'}</td>
                    <td>{i.format}</td>
                    <td>{i.read.toLocaleString()}</td>
                    <td>{i.inserted.toLocaleString()}</td>
                    <td>
                      {i.skipped ? (
                        <details>
                          <summary>{i.skipped.toLocaleString()}</summary>
                          <ul style={{ margin: '4px 0 0', paddingLeft: 16 }}>
                            {i.errors.slice(0, 20).map((e) => (
                              <li key={`${e.line ?? e.field}-${e.reason}`}>
                                {e.field ?? `line ${e.line}`}: {e.reason}
                              </li>
                            ))}
                          </ul>
                        </details>
                      ) : (
                        0
                      )}
                    </td>
                    <td>
                      {dateTime(i.firstTs)} → {dateTime(i.lastTs)}
                    </td>
                    <td>{i.actor}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </>
  );
}
