/** What pages and the typed client read: alerts pending or firing now, and the history of events with deliveries. */
import { and, desc, eq, lt, ne, sql } from 'drizzle-orm';
import type { DbLike } from '../../db/client';
import { alertDeliveries, alertEvents, alertRules, alertStates } from '../../../drizzle/schema';
import { formatValue, metricOf } from './catalogue';

export interface ActiveAlert {
  ruleId: number;
  rule: string;
  metric: string;
  severity: string;
  fingerprint: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeSince: Date | null;
  firedAt: Date | null;
  value: number | null;
  /** e.g. "1,240 ms > 1,000 ms" */
  condition: string;
  evaluatedAt: Date;
}

/** Alerts pending or firing now, firing first, then the longest-standing. */
export async function activeAlerts(db: DbLike): Promise<ActiveAlert[]> {
  const rows = await db
    .select({ s: alertStates, r: { name: alertRules.name, metric: alertRules.metric, severity: alertRules.severity, comparator: alertRules.comparator, threshold: alertRules.threshold } })
    .from(alertStates)
    .innerJoin(alertRules, eq(alertRules.id, alertStates.ruleId))
    .where(ne(alertStates.state, 'inactive'))
    .orderBy(sql`case when ${alertStates.state} = 'firing' then 0 else 1 end`, alertStates.activeSince);
  return rows.map(({ s, r }) => {
    const def = metricOf(r.metric);
    return {
      ruleId: s.ruleId,
      rule: r.name,
      metric: r.metric,
      severity: r.severity,
      fingerprint: s.fingerprint,
      labels: s.labels,
      state: s.state as 'pending' | 'firing',
      activeSince: s.activeSince,
      firedAt: s.firedAt,
      value: s.value,
      condition: `${formatValue(def, s.value)} ${r.comparator} ${formatValue(def, r.threshold)}`,
      evaluatedAt: s.evaluatedAt,
    };
  });
}

export interface AlertEventView {
  id: number;
  ruleId: number;
  rule: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number | null;
  startsAt: Date;
  endsAt: Date | null;
  createdAt: Date;
  deliveries: { sent: number; pending: number; failed: number };
}

/** Events newest first (optionally of one rule, before an id for paging). */
export async function alertHistory(db: DbLike, q: { ruleId?: number; before?: number; limit?: number } = {}): Promise<AlertEventView[]> {
  const where = [q.ruleId !== undefined ? eq(alertEvents.ruleId, q.ruleId) : undefined, q.before !== undefined ? lt(alertEvents.id, q.before) : undefined].filter(Boolean);
  const rows = await db
    .select({ e: alertEvents, rule: alertRules.name })
    .from(alertEvents)
    .innerJoin(alertRules, eq(alertRules.id, alertEvents.ruleId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(alertEvents.id))
    .limit(Math.min(q.limit ?? 50, 500));
  const ids = rows.map((r) => r.e.id);
  const counts = ids.length
    ? await db
        .select({ eventId: alertDeliveries.eventId, status: alertDeliveries.status, n: sql<number>`count(*)::int` })
        .from(alertDeliveries)
        .where(sql`${alertDeliveries.eventId} in (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`)
        .groupBy(alertDeliveries.eventId, alertDeliveries.status)
    : [];
  return rows.map(({ e, rule }) => {
    const d = { sent: 0, pending: 0, failed: 0 };
    for (const c of counts) if (c.eventId === e.id && c.status in d) d[c.status as keyof typeof d] += c.n;
    return {
      id: e.id,
      ruleId: e.ruleId,
      rule,
      fingerprint: e.fingerprint,
      status: e.status as 'firing' | 'resolved',
      labels: e.labels,
      annotations: e.annotations,
      value: e.value,
      startsAt: e.startsAt,
      endsAt: e.endsAt,
      createdAt: e.createdAt,
      deliveries: d,
    };
  });
}
