'use client';
import { dateTime } from '@/components/charts/format';
import { useRef, useState, type RefObject } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { ConfirmButton } from './ConfirmButton';
import { errorText } from './trpcError';

const SCOPES = ['predict', 'read', 'data', 'train', 'promote', 'admin'] as const;
type Scope = (typeof SCOPES)[number];

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date | string;
  createdBy: string;
  expiresAt: Date | string | null;
  revokedAt: Date | string | null;
  lastUsedAt: Date | string | null;
  /** Points per minute (one per call, one per batch item); null = the server's default. */
  rateLimitPerMinute?: number | null;
}

/** A key's rate limit: shown, and changed in place (empty = the server's default). */
function LimitCell({ k }: { k: ApiKeyRow }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [value, setValue] = useState(k.rateLimitPerMinute ? String(k.rateLimitPerMinute) : '');
  const update = useMutation(trpc.apiKeys.update.mutationOptions({ onSuccess: () => router.refresh() }));
  if (k.revokedAt) return <>{k.rateLimitPerMinute ?? 'default'}</>;
  const next = value.trim() ? Number(value) : null;
  const changed = next !== (k.rateLimitPerMinute ?? null);
  return (
    <form
      className="inline-action"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ id: k.id, rateLimitPerMinute: next });
      }}
    >
      <input
        type="number"
        min={1}
        step={1}
        name={`limit-${k.id}`}
        aria-label={`Rate limit of ${k.name} (points per minute; empty = default)`}
        placeholder="default"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        style={{ width: '7em' }}
      />
      {changed ? (
        <button type="submit" disabled={update.isPending}>
          Set
        </button>
      ) : null}
      {update.error ? <span className="error">{errorText(update.error)}</span> : null}
    </form>
  );
}


function stateOf(k: ApiKeyRow): ['ok' | 'bad' | 'warn', string] {
  if (k.revokedAt) return ['bad', 'revoked'];
  if (k.expiresAt && new Date(k.expiresAt).getTime() < Date.now()) return ['warn', 'expired'];
  return ['ok', 'active'];
}

/**
 * Copies `text` to the clipboard. Where the Clipboard API is missing or refused (plain http on another host, an
 * old browser), it selects the text in `target` instead so Ctrl+C / ⌘C copies it, and says so.
 */
function CopyButton({ text, target }: { text: string; target: RefObject<HTMLElement | null> }) {
  const [state, setState] = useState<'idle' | 'copied' | 'selected'>('idle');
  const selectTarget = () => {
    const el = target.current;
    const sel = typeof window !== 'undefined' ? window.getSelection() : null;
    if (!el || !sel) return false;
    sel.selectAllChildren(el);
    return true;
  };
  const copy = async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard API');
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // Fallback: select it; the legacy copy command works in many browsers where the API does not.
      let copied = false;
      if (selectTarget()) {
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
      }
      setState(copied ? 'copied' : 'selected');
    }
  };

  return (
    <>
      <button type="button" onClick={() => void copy()}>
        {state === 'copied' ? 'Copied' : 'Copy key'}
      </button>
      <span role="status" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard.' : state === 'selected' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
      </span>
    </>
  );
}

export function ApiKeysPanel({ keys }: { keys: ApiKeyRow[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['predict', 'read']);
  const [expires, setExpires] = useState('');
  const [limit, setLimit] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (r) => {
        setCreated({ name: r.apiKey.name, key: r.key });
        setName('');
        router.refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => router.refresh() }));
  const keyRef = useRef<HTMLElement>(null);
  return (
    <div className="card" data-testid="api-keys">
      <h2>API keys</h2>
      <p className="muted" style={{ marginTop: -6 }}>
        For machine clients such as the trading app: send as <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key</code>. The key is
        shown once; only its hash is stored.
      </p>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(null);
          create.mutate({ name, scopes, expiresAt: expires ? new Date(`${expires}T23:59:59Z`) : null, rateLimitPerMinute: limit.trim() ? Number(limit) : null });
        }}
      >
        <label>
          Name
          <input name="keyName" value={name} onChange={(e) => setName(e.target.value)} placeholder="trading-app" required />
        </label>
        <div className="checks" role="group" aria-label="Scopes">
          {SCOPES.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                name={`scope-${s}`}
                checked={scopes.includes(s)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
              />
              {s}
            </label>
          ))}
        </div>
        <label>
          Expires (optional)
          <input type="date" name="expires" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <label>
          Rate limit per minute (optional)
          <input type="number" min={1} step={1} name="rateLimit" value={limit} onChange={(e) => setLimit(e.target.value)} placeholder="default" style={{ width: '8em' }} />
        </label>
        <button className="primary" type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {create.error ? <div className="error">{create.error.message}</div> : null}
      {created ? (
        <div className="notice" data-testid="new-api-key">
          Key <strong>{created.name}</strong> created. Copy it now — it will not be shown again:
          <div className="inline-action" style={{ marginTop: 6 }}>
            <code ref={keyRef}>{created.key}</code>
            <CopyButton key={created.key} text={created.key} target={keyRef} />
          </div>
        </div>
      ) : null}
      <div className="table-wrap" style={{ marginTop: 14 }}>
        {keys.length ? (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Scopes</th>
                <th>State</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th title="Points per minute: one per call, one per item of a batch; shared by all replicas">Limit / min</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => {
                const [tone, label] = stateOf(k);
                return (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td className="mono">{k.prefix}…</td>
                    <td>{k.scopes.join(', ')}</td>
                    <td>
                      <Badge tone={tone}>{label}</Badge>
                    </td>
                    <td>
                      {dateTime(k.createdAt)} <span className="muted">by {k.createdBy}</span>
                    </td>
                    <td>{dateTime(k.expiresAt)}</td>
                    <td>{dateTime(k.lastUsedAt)}</td>
                    <td>
                      <LimitCell k={k} />
                    </td>
                    <td>
                      {!k.revokedAt ? (
                        <ConfirmButton
                          label="Revoke"
                          buttonClassName="danger"
                          groupLabel={`Confirm revoking ${k.name}`}
                          question={
                            <>
                              Revoke <strong>{k.name}</strong>? Clients using it are refused at once; this cannot be undone.
                            </>
                          }
                          confirmLabel="Revoke it"
                          pendingLabel="Revoking…"
                          pending={revoke.isPending && revoke.variables?.id === k.id}
                          error={revoke.error && revoke.variables?.id === k.id ? errorText(revoke.error) : null}
                          onConfirm={() => revoke.mutateAsync({ id: k.id })}
                        />
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <p className="muted">No API keys yet.</p>
        )}
      </div>
    </div>
  );
}
