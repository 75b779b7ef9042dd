import type { AuditRow } from '@/server/auth/audit';
import { Badge, type Tone } from '@/components/ui/Badge';
import { describeDetails } from './describe';

const TONE: Record<AuditRow['outcome'], Tone> = { ok: 'ok', denied: 'warn', failed: 'bad' };

/** One line per audited action: when, who (and from where), what, on what, the outcome and the from → to values. */
export function AuditTable({ rows }: { rows: AuditRow[] }) {
  return (
    <div className="card table-wrap" data-testid="audit-table">
      <table>
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>Outcome</th>
            <th>Change / details</th>
            <th>Origin</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="audit-row" data-action={r.action} data-outcome={r.outcome}>
              <td className="small" style={{ whiteSpace: 'nowrap' }}>
                {r.at.toISOString().replace('T', ' ').slice(0, 19)}
              </td>
              <td>{r.actor}</td>
              <td>
                <code>{r.action}</code>
              </td>
              <td className="break">{r.target ?? <span className="muted">—</span>}</td>
              <td>
                <Badge tone={TONE[r.outcome]}>{r.outcome}</Badge>
              </td>
              <td className="small">
                {describeDetails(r.details).map((line, i) => (
                  <div key={i} className="break">
                    {line}
                  </div>
                ))}
              </td>
              <td className="small muted">
                {r.ip ? <div>{r.ip}</div> : null}
                {r.userAgent ? (
                  <div className="clamp" title={r.userAgent}>
                    {r.userAgent}
                  </div>
                ) : null}
                {r.apiKeyId ? <div title="API key id">key {r.apiKeyId.slice(0, 8)}</div> : null}
                {r.requestId ? <div title="request id">req {r.requestId.slice(0, 12)}</div> : null}
                {!r.ip && !r.userAgent && !r.requestId ? <div>CLI / system</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
