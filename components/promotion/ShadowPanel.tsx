'use client';
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { pollMs, rangeLabel, type RangeName } from '@/components/charts/metrics/types';
import { int, pct, signed } from '@/components/charts/format';
import { CommentField, OutcomeLine, RangePicker, READ_ONLY, Reason, VersionSelect, useChangeOutcome } from './change';
import { AgreementChart, ShadowClassMixChart } from './charts';
import { CHAMPION, type PromotionState, type ShadowPair, type ShadowSummary } from './types';
import styles from './Promotion.module.css';

const ms = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);

function PairFigures({ pair }: { pair: ShadowPair }) {
  const ci = pair.agreementCi;
  return (
    <dl className={styles.facts} data-testid="shadow-figures">
      <div>
        <dt>Agreement (same direction)</dt>
        <dd>
          <strong>{pct(pair.agreement)}</strong> {ci ? <span className="muted">95 % interval {pct(ci[0])} – {pct(ci[1])}</span> : null}
        </dd>
      </div>
      <div>
        <dt>Confidence, shadow − answered (percentage points)</dt>
        <dd>
          {signed(pair.meanConfidenceDiff, 1)} mean · {pair.meanAbsConfidenceDiff === null ? '—' : pair.meanAbsConfidenceDiff.toFixed(1)} mean absolute
        </dd>
      </div>
      <div>
        <dt>Shadow latency</dt>
        <dd>
          {ms(pair.avgLatencyMs)} mean · p95 {ms(pair.p95LatencyMs)}
        </dd>
      </div>
      <div>
        <dt>Mirrored requests</dt>
        <dd>
          {int(pair.requests)}
          {pair.errors ? ` (${int(pair.errors)} failed in the shadow)` : ''}
        </dd>
      </div>
    </dl>
  );
}

/**
 * Shadow: a version that gets a copy of the model's requests (all or a sample), computed off the response path and
 * never returned. On/off and the sample, and how it compares with the version that answered: agreement over time,
 * confidence difference, class mix side by side, its latency.
 */
export function ShadowPanel({ state, canEdit, initial }: { state: PromotionState; canEdit: boolean; initial: ShadowSummary & { range: RangeName } }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<RangeName>(initial.range);
  const q = useQuery({
    ...trpc.promotion.shadow.queryOptions({ model: state.model, range }),
    initialData: range === initial.range ? initial : undefined,
    refetchInterval: Math.max(10_000, pollMs(range)),
    placeholderData: (prev) => prev,
  });
  const shadow = state.snapshot.shadow;
  const choices = state.versions.filter((v) => v.status === 'candidate' && v.percent === 0 && !v.aliases.includes(CHAMPION));
  const [version, setVersion] = useState('');
  const [sample, setSample] = useState(String(shadow ? Math.round(shadow.sample * 1000) / 10 : 100));
  const [comment, setComment] = useState('');
  const out = useChangeOutcome();
  const set = useMutation(
    trpc.promotion.setShadow.mutationOptions({
      onSuccess: (r) => {
        setComment('');
        out.onSuccess(r, state.snapshot);
      },
      onError: out.onError,
    }),
  );
  const target = version || String(shadow?.version ?? choices[choices.length - 1]?.version ?? '');
  const sampleNum = Number(sample);
  const sampleOk = Number.isFinite(sampleNum) && sampleNum > 0 && sampleNum <= 100;
  const pairs = q.data?.pairs ?? [];
  // The current shadow's pairs first, then earlier shadows still in the range.
  const shown = [...pairs].sort((a, b) => Number(b.version === shadow?.version) - Number(a.version === shadow?.version) || b.requests - a.requests);

  return (
    <section className="card" data-testid="shadow-panel" aria-labelledby="shadow-title">
      <div className={styles.panelHead}>
        <h2 id="shadow-title">Shadow</h2>
        {shadow ? (
          <Badge tone="warn">
            v{shadow.version} on {Math.round(shadow.sample * 1000) / 10} % of requests
          </Badge>
        ) : (
          <Badge>off</Badge>
        )}
      </div>
      <p className="muted hint">
        {shadow
          ? `v${shadow.version} gets a copy of ${state.model}'s requests (${Math.round(shadow.sample * 1000) / 10} % sampled), computed after the answer is sent: its answers are logged as shadow and never returned.`
          : 'No shadow: a shadow version would get a copy of the requests, off the response path, and its answers would be compared with the champion’s without being returned.'}
      </p>
      {canEdit ? (
        choices.length || shadow ? (
          <form
            className="form-row"
            style={{ marginTop: 8 }}
            aria-label="Shadow on or off"
            onSubmit={(e) => {
              e.preventDefault();
              set.mutate({ model: state.model, version: Number(target), sample: sampleNum / 100, comment: comment.trim(), revision: state.revision });
            }}
          >
            <VersionSelect label="Shadow version" value={target} onChange={setVersion} versions={choices} extra={shadow?.version} />
            <label>
              Sample (% of requests)
              <input type="number" className="num" min={0.1} max={100} step="any" value={sample} onChange={(e) => setSample(e.target.value)} />
            </label>
            <CommentField value={comment} onChange={setComment} placeholder="e.g. mirror the GRU before it gets traffic" />
            <button type="submit" className="primary" disabled={set.isPending || !comment.trim() || !sampleOk || !target}>
              {shadow ? 'Update shadow' : 'Start shadow'}
            </button>
            {shadow ? (
              <button type="button" disabled={set.isPending || !comment.trim()} onClick={() => set.mutate({ model: state.model, version: null, comment: comment.trim(), revision: state.revision })}>
                Stop shadow
              </button>
            ) : null}
          </form>
        ) : (
          <Reason>No candidate without traffic to shadow with: a shadow is a candidate version that is not the champion and gets 0 % of traffic.</Reason>
        )
      ) : (
        <Reason>{READ_ONLY}</Reason>
      )}
      <OutcomeLine outcome={out.outcome} testId="shadow-outcome" revision={state.revision} />

      <div className={styles.panelHead} style={{ marginTop: 14 }}>
        <h3 style={{ margin: 0 }}>Compared with the answering version</h3>
        <RangePicker value={range} onChange={setRange} label="Range of the shadow comparison" />
      </div>
      {shown.length && q.data ? (
        shown.map((p) => (
          <div key={`${p.version}-${p.primaryVersion}`} data-testid="shadow-pair" data-version={p.version}>
            <p className="small" style={{ margin: '6px 0' }}>
              <strong>v{p.version}</strong> shadowing <strong>v{p.primaryVersion}</strong>
              {p.version !== shadow?.version ? <span className="muted"> (an earlier shadow, still in this range)</span> : null}
            </p>
            <PairFigures pair={p} />
            <AgreementChart pair={p} from={q.data.from} to={q.data.to} />
            <ShadowClassMixChart pair={p} />
          </div>
        ))
      ) : (
        <p className="muted" data-testid="shadow-empty">
          No mirrored request in the last {rangeLabel(range)}
          {shadow ? `: v${shadow.version}'s comparison appears about 10 s after requests reach the model.` : '.'}
        </p>
      )}
    </section>
  );
}
