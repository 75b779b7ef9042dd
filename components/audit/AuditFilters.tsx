import { queryOf } from './describe';

export interface AuditFilterValues {
  actor?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
  q?: string;
}

/**
 * The filters as a plain GET form (works without JavaScript; the URL is shareable), and the CSV export of the same
 * filters (GET /api/v1/audit?format=csv, streamed by the server).
 */
export function AuditFilters({ values, actors, actions }: { values: AuditFilterValues; actors: string[]; actions: string[] }) {
  return (
    <form className="card form-row" method="get" action="/audit" data-testid="audit-filters" aria-label="Audit filters">
      <label>
        Actor
        <input name="actor" list="audit-actors" defaultValue={values.actor ?? ''} placeholder="user:alice" />
        <datalist id="audit-actors">
          {actors.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label>
        Action
        <input name="action" list="audit-actions" defaultValue={values.action ?? ''} placeholder="user.update (or user.)" />
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label>
        Outcome
        <select name="outcome" defaultValue={values.outcome ?? ''}>
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="denied">denied</option>
          <option value="failed">failed</option>
        </select>
      </label>
      <label>
        From (UTC)
        <input name="from" type="datetime-local" defaultValue={values.from ?? ''} />
      </label>
      <label>
        To (UTC)
        <input name="to" type="datetime-local" defaultValue={values.to ?? ''} />
      </label>
      <label>
        Target contains
        <input name="q" defaultValue={values.q ?? ''} placeholder="a user, model, key…" />
      </label>
      <button className="primary" type="submit">
        Apply
      </button>
      <a className="button" href="/audit">
        Clear
      </a>
      <a className="button" href={`/api/v1/audit${queryOf({ ...values, format: 'csv' })}`} download data-testid="audit-csv">
        Export CSV
      </a>
    </form>
  );
}
