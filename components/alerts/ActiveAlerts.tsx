'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { dateTime } from '@/components/charts/format';
import { labelText, severityTone, type ActiveAlertRow } from './types';

/** Alerts firing or pending now; refreshes every 5 s. `compact`: the Overview card (firing only, with a link). */
export function ActiveAlerts({ initial, compact = false }: { initial: ActiveAlertRow[]; compact?: boolean }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.alerts.active.queryOptions(undefined, { initialData: initial, refetchInterval: 5000 }));
  const rows = (q.data ?? initial).filter((a) => !compact || a.state === 'firing');
  if (compact) {
    return (
      <div className="card" data-testid="firing-alerts-card" style={{ marginBottom: 16 }}>
        <h2>
          Firing alerts <Badge tone={rows.length ? 'bad' : 'ok'}>{rows.length}</Badge>
        </h2>
        {rows.length ? (
          <ul style={{ margin: 0, paddingLeft: 18, lineHeight: 1.7 }}>
            {rows.slice(0, 5).map((a) => (
              <li key={`${a.ruleId}-${a.fingerprint}`}>
                <strong>{a.rule}</strong> {labelText(a.labels) !== '—' ? <span className="muted">({labelText(a.labels)})</span> : null} — {a.condition}, since {dateTime(a.firedAt)} UTC
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted" style={{ margin: 0 }}>
            Nothing is firing.
          </p>
        )}
        <p style={{ marginBottom: 0 }}>
          <Link href="/alerts">All alerts, rules and channels</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="card" data-testid="active-alerts">
      <h2>Firing and pending</h2>
      {rows.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Rule</th>
                <th scope="col">Labels</th>
                <th scope="col">Value</th>
                <th scope="col">Active since (UTC)</th>
                <th scope="col">Fired (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={`${a.ruleId}-${a.fingerprint}`} data-state={a.state} data-rule={a.rule}>
                  <td>
                    <Badge tone={a.state === 'firing' ? 'bad' : 'warn'}>{a.state}</Badge>
                  </td>
                  <td>
                    {a.rule} <Badge tone={severityTone(a.severity)}>{a.severity}</Badge>
                  </td>
                  <td className="mono">{labelText(a.labels)}</td>
                  <td>{a.condition}</td>
                  <td>{dateTime(a.activeSince)}</td>
                  <td>{a.state === 'firing' ? dateTime(a.firedAt) : <span className="muted">pending</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No alert is firing or pending. Rules are evaluated every few seconds by the workers.</p>
      )}
    </div>
  );
}
