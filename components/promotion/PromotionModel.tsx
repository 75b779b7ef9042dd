'use client';
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { actorLabel, dateTime, timeOfDay } from '@/components/charts/format';
import type { MetricsSeries, RangeName } from '@/components/charts/metrics/types';
import { VersionsPanel } from './VersionsPanel';
import { TrafficPanel } from './TrafficPanel';
import { LiveSharePanel } from './LiveSharePanel';
import { CanaryPanel } from './CanaryPanel';
import { ShadowPanel } from './ShadowPanel';
import { PolicyPanel } from './PolicyPanel';
import { HistoryTimeline } from './HistoryTimeline';
import { sameSplit } from './sliders';
import type { CanaryCheckDef, HistoryRow, PromotionState, ShadowSummary } from './types';
import styles from './Promotion.module.css';

const PAGE = 50;

/**
 * One model's promotion page, live: the state (revision, split, aliases, policy, shadow, canary) and the history
 * refresh every 5 s, so another engineer's change or a canary step shows up without a reload; every panel's change
 * sends the revision it was made on.
 */
export function PromotionModel({
  initial,
  canEdit,
}: {
  initial: { state: PromotionState; history: HistoryRow[]; series: MetricsSeries; shadow: ShadowSummary & { range: RangeName }; checks: CanaryCheckDef[] };
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const model = initial.state.model;
  const [limit, setLimit] = useState(PAGE);
  const state = useQuery(trpc.promotion.state.queryOptions({ model }, { initialData: initial.state, refetchInterval: 5000 }));
  const history = useQuery({
    ...trpc.promotion.history.queryOptions({ model, limit }),
    initialData: limit === PAGE ? initial.history : undefined,
    refetchInterval: 5000,
    placeholderData: (prev) => prev,
  });
  const s = state.data ?? initial.state;
  const h = history.data ?? initial.history;
  const splitChangedAt = h.find((e) => !sameSplit(e.before.split, e.after.split))?.at ?? null;

  return (
    <div className="stack">
      <p className="muted small" aria-live="polite" data-testid="promotion-revision">
        Revision <strong>{s.revision}</strong>
        {s.updatedAt ? ` · last change ${dateTime(s.updatedAt)} UTC${s.updatedBy ? ` by ${actorLabel(s.updatedBy)}` : ''}` : ' · no change recorded yet'} · refreshed{' '}
        {state.dataUpdatedAt ? `${timeOfDay(state.dataUpdatedAt)} UTC` : '—'}, every 5 s
        {state.error ? <span className="error"> {state.error.message}</span> : null}
      </p>
      <div className={styles.grid}>
        <div className={styles.wide}>
          <VersionsPanel state={s} canEdit={canEdit} />
        </div>
        <TrafficPanel state={s} canEdit={canEdit} />
        <LiveSharePanel state={s} initial={initial.series} splitChangedAt={splitChangedAt} />
        <CanaryPanel state={s} canEdit={canEdit} checks={initial.checks} />
        <ShadowPanel state={s} canEdit={canEdit} initial={initial.shadow} />
        <div className={styles.wide}>
          <PolicyPanel state={s} canEdit={canEdit} checks={initial.checks} />
        </div>
        <div className={styles.wide}>
          <HistoryTimeline state={s} history={h} canEdit={canEdit} more={h.length >= limit && limit < 500} onMore={() => setLimit((l) => Math.min(500, l + PAGE))} />
        </div>
      </div>
    </div>
  );
}
