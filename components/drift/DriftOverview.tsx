import Link from 'next/link';
import { Badge } from '@/components/ui/Badge';
import { actorLabel, dateTime, int, pct } from '@/components/charts/format';
import { verdictOf } from './logic';
import { driftHref, type ReportListRow } from './types';
import styles from './Drift.module.css';

export interface DriftOverviewRow {
  model: string;
  champion: number | null;
  versions: number;
  latest: ReportListRow | null;
}

/** Every model with its latest drift verdict; a model's name opens its Drift page. */
export function DriftOverview({ rows }: { rows: DriftOverviewRow[] }) {
  return (
    <section className="card" data-testid="drift-overview" aria-labelledby="drift-models-title">
      <h2 id="drift-models-title">Models</h2>
      <div className="table-wrap" role="region" aria-label="Models and their latest drift verdict" tabIndex={0}>
        <table className={styles.table}>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Champion</th>
              <th scope="col">Latest verdict</th>
              <th scope="col">Drift share</th>
              <th scope="col">Checked (UTC)</th>
              <th scope="col">Samples</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => {
              const v = m.latest ? verdictOf(m.latest.status) : null;
              return (
                <tr key={m.model} data-model={m.model}>
                  <td className={styles.wrap}>
                    <Link href={driftHref(m.model)}>{m.model}</Link> <span className="muted small">{m.versions} version{m.versions === 1 ? '' : 's'}</span>
                  </td>
                  <td>{m.champion === null ? <span className="muted">none</span> : <Badge tone="ok">v{m.champion}</Badge>}</td>
                  <td>{m.latest && v ? <Badge tone={v.tone}>{v.text}</Badge> : <span className="muted">no check yet</span>}</td>
                  <td>{m.latest ? pct(m.latest.driftShare, 0) : '—'}</td>
                  <td>{m.latest ? `${dateTime(m.latest.createdAt)} · v${m.latest.version} · ${m.latest.trigger} · ${actorLabel(m.latest.actor)}` : '—'}</td>
                  <td>{m.latest ? int(m.latest.samples) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
