'use client';
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { ConfirmButton } from '@/components/forms/ConfirmButton';
import { errorText } from '@/components/forms/trpcError';
import { dateTime } from '@/components/charts/format';
import type { AlertChannelRow } from './types';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

/**
 * Notification channels. The webhook URL is a secret: after creation only scheme + host are shown. Admins add and
 * remove channels; engineers send tests; analysts read.
 */
export function ChannelsPanel({ initial, canTest, canManage }: { initial: AlertChannelRow[]; canTest: boolean; canManage: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.alerts.channels.queryOptions(undefined, { initialData: initial, refetchInterval: 5000 }));
  const channels = q.data ?? initial;
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.alerts.channels.queryKey() });
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'alertmanager' | 'slack'>('alertmanager');
  const [url, setUrl] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const create = useMutation(
    trpc.alerts.createChannel.mutationOptions({
      onSuccess: (c) => {
        setNote(`Channel ${c.name} added (${c.urlMasked}).`);
        setName('');
        setUrl('');
        void refresh();
      },
    }),
  );
  const test = useMutation(
    trpc.alerts.testChannel.mutationOptions({
      onSuccess: () => {
        setNote('Test notification queued: the worker sends it within seconds.');
        void refresh();
      },
    }),
  );
  const del = useMutation(trpc.alerts.deleteChannel.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="card" data-testid="alert-channels">
      <h2>Channels</h2>
      <p className="muted" style={{ marginTop: -6 }}>
        Webhooks in Alertmanager’s format (version 4, any Alertmanager receiver) or Slack incoming webhooks. Firing and resolved alerts are sent to every
        enabled channel, retried with backoff. URLs are secrets: shown masked.
      </p>
      {channels.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Format</th>
                <th scope="col">URL</th>
                <th scope="col">Last delivery</th>
                {canTest ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.id} data-testid="channel-row" data-channel={c.name}>
                  <td>
                    <strong>{c.name}</strong> {c.enabled ? null : <Badge>disabled</Badge>}
                  </td>
                  <td>{c.kind === 'slack' ? 'Slack' : 'Alertmanager'}</td>
                  <td className="mono">{c.urlMasked}</td>
                  <td data-testid="channel-last-delivery">
                    {c.lastDelivery ? (
                      <>
                        <Badge tone={c.lastDelivery.status === 'sent' ? 'ok' : c.lastDelivery.status === 'failed' ? 'bad' : 'warn'}>{c.lastDelivery.status}</Badge>{' '}
                        <span className="small muted">
                          {c.lastDelivery.test ? 'test · ' : ''}
                          {dateTime(c.lastDelivery.at)}
                          {c.lastDelivery.error ? ` · ${c.lastDelivery.error}` : c.lastDelivery.statusCode ? ` · HTTP ${c.lastDelivery.statusCode}` : ''}
                        </span>
                      </>
                    ) : (
                      <span className="muted">none yet</span>
                    )}
                  </td>
                  {canTest ? (
                    <td>
                      <div className="inline-action">
                        <button type="button" disabled={test.isPending} onClick={() => test.mutate({ id: c.id })} aria-label={`Send test to ${c.name}`}>
                          Send test
                        </button>
                        {canManage ? (
                          <ConfirmButton
                            label="Delete"
                            buttonClassName="danger"
                            groupLabel={`Confirm deleting channel ${c.name}`}
                            question={
                              <>
                                Delete channel <strong>{c.name}</strong> and its delivery log?
                              </>
                            }
                            confirmLabel="Delete it"
                            pending={del.isPending}
                            error={del.error ? errorText(del.error) : null}
                            onConfirm={() => del.mutateAsync({ id: c.id })}
                          />
                        ) : null}
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No channel yet: alerts show here and on the Overview, but are not sent anywhere.</p>
      )}
      {canManage ? (
        <form
          className="form-row"
          style={{ marginTop: 14 }}
          aria-label="New channel"
          onSubmit={(e) => {
            e.preventDefault();
            setNote(null);
            create.mutate({ name, kind, url });
          }}
        >
          <label>
            Channel name
            <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="ops-webhook" />
          </label>
          <label>
            Format
            <select value={kind} onChange={(e) => setKind(e.target.value as 'alertmanager' | 'slack')}>
              <option value="alertmanager">Alertmanager webhook</option>
              <option value="slack">Slack incoming webhook</option>
            </select>
          </label>
          <label>
            Webhook URL
            <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://hooks.slack.com/services/…" autoComplete="off" style={{ minWidth: 280 }} />
          </label>
          <button className="primary" type="submit" disabled={create.isPending}>
            Add channel
          </button>
        </form>
      ) : canTest ? (
        <p className="muted small">Admins add and remove channels.</p>
      ) : null}
      <ErrorAlert error={create.error} />
      <ErrorAlert error={test.error} />
      <div role="status" aria-live="polite" className="small">
        {note}
      </div>
    </div>
  );
}
