'use client';
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { dateTime } from '@/components/charts/format';
import { labelText, type AlertEventRow } from './types';

function Deliveries({ eventId }: { eventId: number }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.alerts.deliveries.queryOptions({ eventId }, { refetchInterval: 5000 }));
  if (q.isPending) return <p className="muted">Loading deliveries…</p>;
  if (q.error) return <div className="error">{q.error.message}</div>;
  if (!q.data.length) return <p className="muted">No channel was enabled when this happened: nothing was sent.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Channel</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Answer</th>
          <th scope="col">Next attempt / sent (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {q.data.map((d) => (
          <tr key={d.id} data-testid="delivery-row" data-status={d.status}>
            <td>{d.channel}</td>
            <td>
              <Badge tone={d.status === 'sent' ? 'ok' : d.status === 'failed' ? 'bad' : 'warn'}>{d.status}</Badge>
            </td>
            <td>{d.attempts}</td>
            <td className="mono">{d.lastError ?? (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : '—')}</td>
            <td>{d.sentAt ? dateTime(d.sentAt) : dateTime(d.nextAttemptAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The timeline of firing and resolved events, newest first, each with its delivery log. */
export function AlertHistory({ initial }: { initial: AlertEventRow[] }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.alerts.history.queryOptions({ limit: 50 }, { initialData: initial, refetchInterval: 5000 }));
  const [open, setOpen] = useState<number | null>(null);
  const rows = q.data ?? initial;
  return (
    <div className="card" data-testid="alert-history">
      <h2>History</h2>
      {rows.length ? (
        <ol style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {rows.map((e) => (
            <li key={e.id} data-testid="alert-event" data-status={e.status} style={{ borderTop: '1px solid var(--border, #e3e6ea)', padding: '8px 0' }}>
              <div className="inline-action" style={{ flexWrap: 'wrap', gap: 8 }}>
                <span className="mono">{dateTime(e.createdAt)}</span>
                <Badge tone={e.status === 'firing' ? 'bad' : 'ok'}>{e.status}</Badge>
                <strong>{e.rule}</strong>
                <span className="muted">{labelText(e.labels)}</span>
                <span className="muted">
                  {e.deliveries.sent} sent · {e.deliveries.pending} pending · {e.deliveries.failed} failed
                </span>
                <button type="button" aria-expanded={open === e.id} aria-controls={`deliveries-${e.id}`} onClick={() => setOpen(open === e.id ? null : e.id)}>
                  {open === e.id ? 'Hide deliveries' : 'Deliveries'}
                </button>
              </div>
              <div className="small">{e.annotations.summary}</div>
              {e.annotations.description ? <div className="small muted">{e.annotations.description}</div> : null}
              {open === e.id ? (
                <div id={`deliveries-${e.id}`} className="table-wrap" style={{ marginTop: 6 }}>
                  <Deliveries eventId={e.id} />
                </div>
              ) : null}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">No alert has fired yet.</p>
      )}
    </div>
  );
}
