'use client';
import { Badge } from '@/components/ui/Badge';
import { dateTime, int, runTone, timeOfDay } from '../format';
import type { PipelinePanel, ProcessTable } from './types';
import styles from './Metrics.module.css';

const mb = (bytes: number) => `${Math.round(bytes / 1048576).toLocaleString('en')} MB`;
const age = (s: number) => (s < 90 ? `${Math.round(s)} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`);

/** Every web and serve process that wrote a sample in the last hour: its latest figures; stale ones marked. */
export function ProcessesTable({ data }: { data: ProcessTable }) {
  if (!data.processes.length)
    return (
      <p className="muted" data-testid="processes-empty">
        No process sample in the last hour. Every web and serve process writes one every 15 s once its inference engine has started (on its first prediction request).
      </p>
    );
  return (
    <div className="table-wrap" role="region" aria-label="Processes" tabIndex={0}>
      <table data-testid="processes-table" className={styles.table}>
        <thead>
          <tr>
            <th>Process</th>
            <th>Kind</th>
            <th>Host · pid</th>
            <th>CPU</th>
            <th>RSS / heap</th>
            <th>Event loop p99</th>
            <th>Connections</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {data.processes.map((p) => (
            <tr key={p.processId} data-process={p.processId} data-stale={p.stale}>
              <td className="mono break">{p.processId}</td>
              <td>{p.kind}</td>
              <td>
                {p.host} · {p.pid}
              </td>
              <td>{p.cpuPercent.toFixed(1)} %</td>
              <td>
                {mb(p.rssBytes)}
                <div className="muted small">
                  heap {mb(p.heapUsedBytes)} / {mb(p.heapTotalBytes)}
                </div>
              </td>
              <td>{p.eventLoopP99Ms.toFixed(1)} ms</td>
              <td>{p.openConnections ?? '—'}</td>
              <td>
                <time dateTime={String(p.lastSeen)} title={`${dateTime(p.lastSeen)} UTC`}>
                  {timeOfDay(p.lastSeen)}
                </time>{' '}
                {p.stale ? <Badge tone="warn">stale</Badge> : <Badge tone="ok">live</Badge>}
                <div className="muted small">{age(p.ageSeconds)}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        CPU in % of one core; stale = no sample for {data.staleAfterSeconds} s (stopped, or cannot reach the database).
      </p>
    </div>
  );
}

/** Training runs by status, what runs now, queue depth and workers. */
export function PipelineCard({ data }: { data: PipelinePanel }) {
  const w = data.workers;
  return (
    <div className={styles.pipeline} data-testid="pipeline-panel">
      <div>
        <h3>Training runs</h3>
        <table className={`${styles.table} ${styles.compact}`} data-testid="runs-by-status">
          <thead>
            <tr>
              <th>Status</th>
              <th>Last 24 h</th>
              <th>All</th>
            </tr>
          </thead>
          <tbody>
            {data.runs.map((r) => (
              <tr key={r.status} data-status={r.status}>
                <td>
                  <Badge tone={runTone(r.status)}>{r.status}</Badge>
                </td>
                <td>{int(r.last24h)}</td>
                <td>{int(r.all)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.active.length ? (
          <ul className={styles.list}>
            {data.active.map((r) => (
              <li key={r.id}>
                <a href={`/training/${r.id}`} className="mono">
                  {r.id.slice(0, 8)}
                </a>{' '}
                {r.modelName} · {r.status} · epoch {r.epoch}/{r.epochs}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">Nothing is training now.</p>
        )}
      </div>
      <div>
        <h3>Queue</h3>
        <table className={`${styles.table} ${styles.compact}`} data-testid="queue-depth">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Waiting</th>
              <th>Active</th>
            </tr>
          </thead>
          <tbody>
            {data.queues.map((q) => (
              <tr key={q.name} data-queue={q.name}>
                <td className="mono">{q.name}</td>
                <td>{int(q.waiting)}</td>
                <td>{int(q.active)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div>
        <h3>Workers</h3>
        <p data-testid="workers-summary">
          <strong>{w.alive}</strong> live{w.stale ? ` · ${w.stale} stale` : ''}
          <span className="muted small"> (stale after {w.staleAfterSeconds} s without a heartbeat)</span>
        </p>
        {w.list.length ? (
          <ul className={styles.list}>
            {w.list.slice(0, 8).map((x) => (
              <li key={x.id}>
                <span className="mono break">{x.id}</span> <Badge tone={x.state === 'alive' ? 'ok' : x.state === 'stale' ? 'warn' : 'neutral'}>{x.state}</Badge>
                <div className="muted small">{x.currentJob ? `running ${x.currentJob}` : 'idle'} · seen {age(x.ageSeconds)}</div>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">No worker has heart-beaten in the last day: start one with npm run worker (npm start starts one).</p>
        )}
      </div>
    </div>
  );
}
