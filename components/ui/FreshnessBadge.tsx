import type { Freshness } from '@/server/market/freshness';
import { Badge } from './Badge';
import { lateBy } from '@/components/charts/format';

/**
 * A dataset's freshness as a badge: "fresh", "late 20 min" (within the grace of one bar) or "stale · late 3 d"; on a
 * weekday-clock dataset at the weekend, "market closed?" beside it (weekends do not count towards lateness there).
 */
export function FreshnessBadge({ f }: { f: Freshness | null }) {
  if (!f) return <span className="muted">—</span>;
  const title = `last bar opened ${f.lastBar}, closed ${f.lastBarClose}; next closed bar expected by ${f.expectedNext}; stale after ${lateBy(f.graceMs)} more (${f.clock === 'weekdays' ? 'weekdays clock: Saturdays and Sundays do not count' : '24/7 clock'})`;
  return (
    <span title={title} data-testid="freshness" data-status={f.status}>
      {f.status === 'fresh' ? <Badge tone="ok">fresh</Badge> : f.status === 'late' ? <Badge tone="warn">late {lateBy(f.lateBy)}</Badge> : <Badge tone="bad">stale</Badge>}
      {f.status === 'stale' ? <span className="muted"> late by {lateBy(f.lateBy)}</span> : null}
      {f.marketClosed ? <span className="muted"> · market closed?</span> : null}
    </span>
  );
}
