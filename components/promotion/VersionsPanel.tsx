'use client';
import { useState } from 'react';
import Link from 'next/link';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { dateTime, num, pct, versionTone } from '@/components/charts/format';
import { compareHref, refParam } from '@/components/compare/types';
import { CommentField, OutcomeLine, READ_ONLY, Reason, VersionSelect, useChangeOutcome } from './change';
import { CHAMPION, versionHref, type PromotionState } from './types';
import styles from './Promotion.module.css';

const SUGGESTED_ALIASES = [CHAMPION, 'challenger', 'staging', 'previous'];

/**
 * Champion and challengers: every version with its role (aliases), traffic and key test figures; engineers point
 * aliases at versions (moving `champion` is one atomic step: it takes the old champion's share).
 */
export function VersionsPanel({ state, canEdit }: { state: PromotionState; canEdit: boolean }) {
  const trpc = useTRPC();
  const candidates = state.versions.filter((v) => v.status === 'candidate');
  const [alias, setAlias] = useState('challenger');
  const [version, setVersion] = useState<string>('');
  const [comment, setComment] = useState('');
  const out = useChangeOutcome();
  const done = (r: Parameters<typeof out.onSuccess>[0]) => {
    setComment('');
    out.onSuccess(r, state.snapshot);
  };
  const set = useMutation(trpc.promotion.setAlias.mutationOptions({ onSuccess: done, onError: out.onError }));
  const remove = useMutation(trpc.promotion.removeAlias.mutationOptions({ onSuccess: done, onError: out.onError }));
  const target = version || String(candidates.find((v) => !v.aliases.includes(CHAMPION))?.version ?? candidates[0]?.version ?? '');
  const aliasNames = Object.keys(state.snapshot.aliases);
  const pending = set.isPending || remove.isPending;
  const aliasOk = /^[a-z][a-z0-9_-]{0,31}$/.test(alias);
  // The champion first, then the newest.
  const ordered = [...state.versions].sort((a, b) => Number(b.aliases.includes(CHAMPION)) - Number(a.aliases.includes(CHAMPION)) || b.version - a.version);
  const compare = state.versions.filter((v) => v.percent > 0 || v.shadow || v.aliases.length).map((v) => refParam(state.model, `v${v.version}`));

  return (
    <section className="card" data-testid="versions-panel" aria-labelledby="versions-title">
      <div className={styles.panelHead}>
        <h2 id="versions-title">Champion and challengers</h2>
        {compare.length >= 2 ? <Link href={compareHref(compare.slice(0, 4))}>compare these versions</Link> : null}
      </div>
      <ul className={styles.cards} data-testid="versions-list">
        {ordered.map((v) => (
          <li key={v.versionId} data-version={v.version} className={`${styles.vcard} ${v.aliases.includes(CHAMPION) ? styles.champ : ''}`}>
            <div className={styles.vhead}>
              <span>
                <Link href={versionHref(state.model, v.version)}>
                  <strong>v{v.version}</strong>
                </Link>{' '}
                <span className="muted">{v.modelType}</span>
              </span>
              <span className="inline-action" style={{ gap: 4 }}>
                {v.aliases.map((a) => (
                  <Badge key={a} tone={a === CHAMPION ? 'ok' : 'info'}>
                    {a}
                  </Badge>
                ))}
                {v.shadow ? <Badge tone="warn">shadow</Badge> : null}
                {v.status !== 'candidate' ? <Badge tone={versionTone(v.status)}>{v.status}</Badge> : null}
              </span>
            </div>
            <dl className={styles.figures}>
              <div>
                <dt>Traffic</dt>
                <dd data-testid="version-traffic">{v.percent} %</dd>
              </div>
              <div>
                <dt>Accuracy</dt>
                <dd>{pct(v.accuracy)}</dd>
              </div>
              <div>
                <dt>Macro-F1</dt>
                <dd>{num(v.macroF1)}</dd>
              </div>
              <div>
                <dt>Win rate</dt>
                <dd>{pct(v.winRate)}</dd>
              </div>
            </dl>
            <div className="muted small">registered {dateTime(v.createdAt)} UTC</div>
          </li>
        ))}
      </ul>
      <p className="muted hint">Test-part figures of each version (registry). Versions are candidates (passed the gate) unless marked rejected or archived; only candidates get traffic or aliases. The champion takes the traffic not given to others.</p>
      {canEdit ? (
        candidates.length ? (
          <form
            className="form-row"
            style={{ marginTop: 10 }}
            aria-label="Set or remove an alias"
            onSubmit={(e) => {
              e.preventDefault();
              set.mutate({ model: state.model, alias, version: Number(target), comment: comment.trim(), revision: state.revision });
            }}
          >
            <label>
              Alias
              <input value={alias} onChange={(e) => setAlias(e.target.value.toLowerCase())} list={`aliases-${state.model}`} size={12} className="mono" />
              <datalist id={`aliases-${state.model}`}>
                {[...new Set([...SUGGESTED_ALIASES, ...aliasNames])].map((a) => (
                  <option key={a} value={a} />
                ))}
              </datalist>
            </label>
            <VersionSelect label="Version" value={target} onChange={setVersion} versions={candidates} />
            <CommentField value={comment} onChange={setComment} placeholder="e.g. GRU v3 is the next challenger" />
            <button type="submit" className="primary" disabled={pending || !aliasOk || !comment.trim() || !target}>
              Set alias
            </button>
            <button
              type="button"
              disabled={pending || !aliasNames.includes(alias) || !comment.trim()}
              title={aliasNames.includes(alias) ? undefined : `${state.model} has no alias '${alias}'`}
              onClick={() => remove.mutate({ model: state.model, alias, comment: comment.trim(), revision: state.revision })}
            >
              Remove alias
            </button>
          </form>
        ) : (
          <Reason>No candidate version yet: aliases point at versions that passed the gate.</Reason>
        )
      ) : (
        <Reason>{READ_ONLY}</Reason>
      )}
      {canEdit && !aliasOk ? (
        <Reason testId="alias-hint">An alias is lower-case letters, digits, &apos;_&apos; or &apos;-&apos;, starting with a letter (e.g. challenger).</Reason>
      ) : null}
      {canEdit && alias === CHAMPION ? <Reason>Making another version champion moves the old champion&apos;s share to it in one step (never none, never two).</Reason> : null}
      <OutcomeLine outcome={out.outcome} testId="alias-outcome" revision={state.revision} />
    </section>
  );
}
