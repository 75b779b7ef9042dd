'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { splitText } from './sliders';
import { modelHref, type OverviewRow } from './types';
import styles from './Promotion.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

/** Every model with its champion, split, canary and shadow in one row; refreshes every 5 s. */
export function PromotionOverview({ initial }: { initial: OverviewRow[] }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.promotion.overview.queryOptions(undefined, { initialData: initial, refetchInterval: 5000 }));
  const rows = q.data ?? initial;
  return (
    <section className="card" data-testid="promotion-overview" aria-labelledby="overview-title">
      <h2 id="overview-title">Models</h2>
      <div className="table-wrap">
        <table className={styles.table}>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Champion</th>
              <th scope="col">Traffic split</th>
              <th scope="col">Canary</th>
              <th scope="col">Shadow</th>
              <th scope="col">Versions</th>
              <th scope="col">Revision</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.model} data-model={m.model}>
                <td className={styles.wrap}>
                  <Link href={modelHref(m.model)}>{m.model}</Link>
                </td>
                <td>{m.champion === null ? <span className="muted">none yet</span> : <Badge tone="ok">v{m.champion}</Badge>}</td>
                <td className={styles.wrap}>{splitText(m.split)}</td>
                <td>
                  {m.canary ? (
                    <Badge tone={m.canary.status === 'running' ? 'info' : m.canary.status === 'paused' ? 'warn' : m.canary.status === 'rolled_back' ? 'bad' : 'neutral'}>
                      v{m.canary.version} {m.canary.status.replace('_', ' ')} · {m.canary.percent} %
                    </Badge>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>{m.shadow ? `v${m.shadow.version} · ${Math.round(m.shadow.sample * 1000) / 10} %` : <span className="muted">—</span>}</td>
                <td>
                  {m.versions} <span className="muted">({m.candidates} candidate{m.candidates === 1 ? '' : 's'})</span>
                </td>
                <td>{m.revision}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorAlert error={q.error} />
    </section>
  );
}
