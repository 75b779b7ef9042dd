'use client';
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { ConfirmButton } from '@/components/forms/ConfirmButton';
import { errorText } from '@/components/forms/trpcError';
import { severityTone, type AlertMetric, type AlertRuleRow } from './types';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

function RuleRow({ rule, metric, canEdit }: { rule: AlertRuleRow; metric: AlertMetric | undefined; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [threshold, setThreshold] = useState(String(rule.threshold));
  const [forSeconds, setForSeconds] = useState(String(rule.forSeconds));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() });
  const update = useMutation(trpc.alerts.updateRule.mutationOptions({ onSuccess: refresh }));
  const enable = useMutation(trpc.alerts.setRuleEnabled.mutationOptions({ onSuccess: refresh }));
  const del = useMutation(trpc.alerts.deleteRule.mutationOptions({ onSuccess: refresh }));
  const dirty = threshold !== String(rule.threshold) || forSeconds !== String(rule.forSeconds);
  const unit = metric?.unit ?? '';
  const error = update.error ?? enable.error;
  return (
    <tr data-testid="rule-row" data-rule={rule.name}>
      <td>
        <strong>{rule.name}</strong> {rule.builtin ? <span className="muted small">(built-in)</span> : null}
      </td>
      <td>
        <span className="mono" title={metric?.description}>
          {rule.metric}
        </span>
        {Object.keys(rule.params).length ? <div className="small muted mono">{Object.entries(rule.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}</div> : null}
      </td>
      <td>
        {canEdit ? (
          <span className="inline-action" style={{ whiteSpace: 'nowrap', flexWrap: 'nowrap', gap: 6 }}>
            <span aria-hidden="true">{rule.comparator}</span>
            <input
              type="number"
              aria-label={`Threshold of ${rule.name} (${rule.comparator} ${unit})`}
              value={threshold}
              min={metric?.min}
              max={metric?.max}
              step="any"
              style={{ width: 90 }}
              onChange={(e) => setThreshold(e.target.value)}
            />
            <span>{unit}</span>
          </span>
        ) : (
          `${rule.comparator} ${rule.threshold} ${unit}`
        )}
      </td>
      <td>
        {canEdit ? (
          <span className="inline-action" style={{ whiteSpace: 'nowrap', flexWrap: 'nowrap', gap: 6 }}>
            <input type="number" aria-label={`For (seconds) of ${rule.name}`} value={forSeconds} min={0} step={1} style={{ width: 80 }} onChange={(e) => setForSeconds(e.target.value)} />
            <span>s</span>
          </span>
        ) : (
          `${rule.forSeconds} s`
        )}
      </td>
      <td>
        <Badge tone={severityTone(rule.severity)}>{rule.severity}</Badge>
      </td>
      <td>
        {canEdit ? (
          <label className="inline-action" style={{ whiteSpace: 'nowrap' }}>
            <input
              type="checkbox"
              aria-label={`Enabled: ${rule.name}`}
              checked={rule.enabled}
              disabled={enable.isPending}
              onChange={(e) => enable.mutate({ id: rule.id, enabled: e.target.checked })}
            />
            <span aria-hidden="true">{rule.enabled ? 'on' : 'off'}</span>
          </label>
        ) : (
          <Badge tone={rule.enabled ? 'ok' : 'neutral'}>{rule.enabled ? 'on' : 'off'}</Badge>
        )}
      </td>
      {canEdit ? (
        <td>
          <div className="inline-action">
            <button
              type="button"
              disabled={!dirty || update.isPending}
              onClick={() => update.mutate({ id: rule.id, threshold: Number(threshold), forSeconds: Number(forSeconds) })}
            >
              {update.isPending ? 'Saving…' : 'Save'}
            </button>
            {!rule.builtin ? (
              <ConfirmButton
                label="Delete"
                buttonClassName="danger"
                groupLabel={`Confirm deleting ${rule.name}`}
                question={
                  <>
                    Delete <strong>{rule.name}</strong> and its history?
                  </>
                }
                confirmLabel="Delete it"
                pending={del.isPending}
                error={del.error ? errorText(del.error) : null}
                onConfirm={() => del.mutateAsync({ id: rule.id })}
              />
            ) : null}
          </div>
          <ErrorAlert error={error} />
        </td>
      ) : null}
    </tr>
  );
}

function NewRule({ metrics }: { metrics: AlertMetric[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [metric, setMetric] = useState(metrics[0]?.id ?? '');
  const [comparator, setComparator] = useState<'>' | '<'>('>');
  const [threshold, setThreshold] = useState('');
  const [forSeconds, setForSeconds] = useState('300');
  const [severity, setSeverity] = useState<'info' | 'warning' | 'critical'>('warning');
  const create = useMutation(
    trpc.alerts.createRule.mutationOptions({
      onSuccess: () => {
        setName('');
        setThreshold('');
        void qc.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() });
      },
    }),
  );
  const m = metrics.find((x) => x.id === metric);
  return (
    <form
      className="form-row"
      style={{ marginTop: 14 }}
      aria-label="New alert rule"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ name, metric, comparator, threshold: Number(threshold), forSeconds: Number(forSeconds), severity });
      }}
    >
      <label>
        Rule name
        <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="Slow eurusd model" />
      </label>
      <label>
        Metric
        <select value={metric} onChange={(e) => setMetric(e.target.value)}>
          {metrics.map((x) => (
            <option key={x.id} value={x.id}>
              {x.id} ({x.unit})
            </option>
          ))}
        </select>
      </label>
      <label>
        Comparator
        <select value={comparator} onChange={(e) => setComparator(e.target.value as '>' | '<')}>
          <option value=">">&gt; above</option>
          <option value="<">&lt; below</option>
        </select>
      </label>
      <label>
        Threshold{m ? ` (${m.unit})` : ''}
        <input type="number" step="any" value={threshold} onChange={(e) => setThreshold(e.target.value)} required style={{ width: 110 }} />
      </label>
      <label>
        For (s)
        <input type="number" min={0} step={1} value={forSeconds} onChange={(e) => setForSeconds(e.target.value)} required style={{ width: 90 }} />
      </label>
      <label>
        Severity
        <select value={severity} onChange={(e) => setSeverity(e.target.value as typeof severity)}>
          <option value="info">info</option>
          <option value="warning">warning</option>
          <option value="critical">critical</option>
        </select>
      </label>
      <button className="primary" type="submit" disabled={create.isPending}>
        Add rule
      </button>
      {m ? <p className="hint small" style={{ flexBasis: '100%', margin: 0 }}>{m.description}.</p> : null}
      <ErrorAlert error={create.error} style={{ flexBasis: '100%' }} />
    </form>
  );
}

/** Alert rules: engineers edit threshold, `for` and enabled inline; analysts read. */
export function RulesTable({ initial, metrics, canEdit }: { initial: AlertRuleRow[]; metrics: AlertMetric[]; canEdit: boolean }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.alerts.rules.queryOptions(undefined, { initialData: initial }));
  const rules = q.data ?? initial;
  const byId = new Map(metrics.map((m) => [m.id, m]));
  return (
    <div className="card" data-testid="alert-rules">
      <h2>Rules</h2>
      <p className="muted" style={{ marginTop: -6 }}>
        A rule fires when its metric stays past the threshold for the “for” duration (pending until then); it resolves when the condition stops holding.
        {canEdit ? '' : ' Engineers edit rules.'}
      </p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Metric</th>
              <th scope="col">Threshold</th>
              <th scope="col">For</th>
              <th scope="col">Severity</th>
              <th scope="col">Enabled</th>
              {canEdit ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <RuleRow key={`${r.id}-${r.updatedAt}`} rule={r} metric={byId.get(r.metric)} canEdit={canEdit} />
            ))}
          </tbody>
        </table>
      </div>
      {canEdit ? <NewRule metrics={metrics} /> : null}
    </div>
  );
}
