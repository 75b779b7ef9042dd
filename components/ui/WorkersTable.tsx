import { Badge } from './Badge';
import { dateTime } from '@/components/charts/format';

export interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  startedAt: Date | string;
  lastSeenAt: Date | string;
  currentJob: string | null;
  ageSeconds: number;
  state: 'alive' | 'stale' | 'stopped';
}

export function WorkersTable({ workers }: { workers: WorkerRow[] }) {
  if (!workers.length) return <p className="muted">No worker has started yet. Run <code>npm run worker</code>.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="workers-table">
        <thead>
          <tr>
            <th>Worker</th>
            <th>State</th>
            <th>Last seen</th>
            <th>Current job</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((w) => (
            <tr key={w.id}>
              <td>
                <div className="mono">{w.host}</div>
                <div className="muted" style={{ fontSize: 12 }}>
                  pid {w.pid} · since {dateTime(w.startedAt)} UTC
                </div>
              </td>
              <td>
                <Badge tone={w.state === 'alive' ? 'ok' : w.state === 'stale' ? 'bad' : 'neutral'}>{w.state}</Badge>
              </td>
              <td>{w.ageSeconds < 1 ? 'just now' : `${Math.round(w.ageSeconds)}s ago`}</td>
              <td className="mono">{w.currentJob ?? <span className="muted">idle</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
