/**
 * Alert rules: stored in `alert_rules`, validated against the metric catalogue (metric known, threshold within the
 * metric's range, params the metric accepts), with the built-in defaults created idempotently by `builtin` key.
 * Engineers create, edit, enable and delete rules; built-in rules can be edited and disabled, never deleted.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { zId } from '../../validation';
import type { Db, DbLike } from '../../db/client';
import { alertRules } from '../../../drizzle/schema';
import { DomainError, badRequest, badRequestFromZod, notFound } from '../../errors';
import { changes, recordAudit } from '../../auth/audit';
import { listMetrics, metricOf } from './catalogue';

export const COMPARATORS = ['>', '<'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Comparator = (typeof COMPARATORS)[number];
export type Severity = (typeof SEVERITIES)[number];

export type AlertRule = typeof alertRules.$inferSelect;

const ZRuleFields = {
  name: z.string().trim().min(1, 'must not be empty').max(120, 'must be at most 120 characters'),
  metric: z.string().min(1, 'must not be empty').max(100),
  comparator: z.enum(COMPARATORS, { error: "must be '>' or '<'" }),
  threshold: z.number({ error: 'must be a number' }),
  forSeconds: z.number({ error: 'must be a number of seconds' }).int('must be whole seconds').min(0, 'must not be negative').max(7 * 86_400, 'must be at most 7 days'),
  severity: z.enum(SEVERITIES, { error: 'must be info, warning or critical' }),
  enabled: z.boolean(),
  params: z.record(z.string().max(64), z.unknown()).refine((p) => Object.keys(p).length <= 20, 'must have at most 20 parameters'),
};

export const ZCreateRuleRequest = z
  .object({ ...ZRuleFields, severity: ZRuleFields.severity.default('warning'), enabled: ZRuleFields.enabled.default(true), params: ZRuleFields.params.default({}) })
  .strict();
export const ZUpdateRuleRequest = z
  .object({
    id: zId(),
    name: ZRuleFields.name.optional(),
    metric: ZRuleFields.metric.optional(),
    comparator: ZRuleFields.comparator.optional(),
    threshold: ZRuleFields.threshold.optional(),
    forSeconds: ZRuleFields.forSeconds.optional(),
    severity: ZRuleFields.severity.optional(),
    enabled: ZRuleFields.enabled.optional(),
    params: ZRuleFields.params.optional(),
  })
  .strict();

/** The catalogue-dependent checks; throws BAD_REQUEST naming the field. Returns the params with defaults applied. */
export function validateRule(r: { metric: string; threshold: number; comparator: string; forSeconds: number; params: Record<string, unknown> }): Record<string, unknown> {
  const def = metricOf(r.metric);
  if (!def) {
    throw badRequest(`metric: unknown metric '${r.metric}'; one of ${listMetrics().map((m) => m.id).join(', ')}`, { field: 'metric' });
  }
  if (!(COMPARATORS as readonly string[]).includes(r.comparator)) throw badRequest(`comparator: must be '>' or '<'`, { field: 'comparator' });
  if (!Number.isFinite(r.forSeconds) || r.forSeconds < 0) throw badRequest('forSeconds: must not be negative', { field: 'forSeconds' });
  if (!Number.isFinite(r.threshold) || r.threshold < def.min || r.threshold > def.max) {
    throw badRequest(`threshold: ${r.threshold} is outside the range of ${def.id} (${def.min} to ${def.max.toLocaleString('en')} ${def.unit})`, { field: 'threshold' });
  }
  const p = def.params.safeParse(r.params);
  if (!p.success) {
    const e = badRequestFromZod(p.error, 'params');
    const issues = (e.details?.issues as { field: string; message: string }[]) ?? [];
    const named = issues.map((i) => ({ field: i.field === 'params' ? 'params' : `params.${i.field}`, message: i.message }));
    throw badRequest(named.map((i) => `${i.field}: ${i.message}`).join('; ') || 'params: invalid', { field: named[0]?.field ?? 'params', issues: named });
  }
  return p.data;
}

export async function listRules(db: DbLike): Promise<AlertRule[]> {
  return db.select().from(alertRules).orderBy(asc(alertRules.id));
}

export async function getRule(db: DbLike, id: number): Promise<AlertRule> {
  const [r] = await db.select().from(alertRules).where(eq(alertRules.id, id));
  if (!r) throw notFound(`alert rule ${id} not found`);
  return r;
}

const isUnique = (e: unknown) => {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === '23505' || err?.cause?.code === '23505';
};

export async function createRule(db: Db, input: z.input<typeof ZCreateRuleRequest>, actor: string): Promise<AlertRule> {
  const parsed = ZCreateRuleRequest.safeParse(input);
  if (!parsed.success) throw badRequestFromZod(parsed.error);
  const r = parsed.data;
  const params = validateRule(r);
  try {
    const [row] = await db
      .insert(alertRules)
      .values({ name: r.name, metric: r.metric, comparator: r.comparator, threshold: r.threshold, forSeconds: r.forSeconds, severity: r.severity, enabled: r.enabled, params, updatedBy: actor })
      .returning();
    await recordAudit(db, { actor, action: 'alerts.rule.create', target: row.name, details: { id: row.id, metric: row.metric, comparator: row.comparator, threshold: row.threshold, forSeconds: row.forSeconds, to: ruleFacts(row) } });
    return row;
  } catch (e) {
    if (isUnique(e)) throw new DomainError('CONFLICT', `name: an alert rule named '${r.name}' already exists`, { field: 'name' });
    throw e;
  }
}

export async function updateRule(db: Db, input: z.input<typeof ZUpdateRuleRequest>, actor: string): Promise<AlertRule> {
  const parsed = ZUpdateRuleRequest.safeParse(input);
  if (!parsed.success) throw badRequestFromZod(parsed.error);
  const { id, ...patch } = parsed.data;
  const cur = await getRule(db, id);
  const next = { ...cur, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
  // A new metric starts from its own defaults unless params are given.
  if (patch.metric && patch.metric !== cur.metric && !patch.params) next.params = {};
  const params = validateRule(next);
  try {
    const [row] = await db
      .update(alertRules)
      .set({ name: next.name, metric: next.metric, comparator: next.comparator, threshold: next.threshold, forSeconds: next.forSeconds, severity: next.severity, enabled: next.enabled, params, updatedBy: actor, updatedAt: new Date() })
      .where(eq(alertRules.id, id))
      .returning();
    await recordAudit(db, { actor, action: 'alerts.rule.update', target: row.name, details: { id, ...(changes(ruleFacts(cur), ruleFacts(row)) ?? { from: {}, to: {} }) } });
    return row;
  } catch (e) {
    if (isUnique(e)) throw new DomainError('CONFLICT', `name: an alert rule named '${next.name}' already exists`, { field: 'name' });
    throw e;
  }
}

/** The audited facts of a rule (its from → to values). */
function ruleFacts(r: AlertRule) {
  return { name: r.name, metric: r.metric, comparator: r.comparator, threshold: r.threshold, forSeconds: r.forSeconds, severity: r.severity, enabled: r.enabled, params: r.params };
}

export async function deleteRule(db: Db, id: number, actor: string): Promise<{ id: number }> {
  const cur = await getRule(db, id);
  if (cur.builtin) throw new DomainError('CONFLICT', `'${cur.name}' is a built-in rule: disable it instead of deleting it`, { builtin: cur.builtin });
  await db.delete(alertRules).where(eq(alertRules.id, id));
  await recordAudit(db, { actor, action: 'alerts.rule.delete', target: cur.name, details: { id, from: ruleFacts(cur), to: null } });
  return { id };
}

/** The defaults of a fresh installation (issue 9), keyed by `builtin`. */
export const DEFAULT_RULES: Array<Omit<typeof alertRules.$inferInsert, 'updatedBy'> & { builtin: string }> = [
  { builtin: 'latency_p95', name: 'High p95 latency', metric: 'latency_p95_ms', comparator: '>', threshold: 1000, forSeconds: 300, severity: 'warning', enabled: true, params: { windowSeconds: 300 } },
  { builtin: 'error_rate', name: 'High error rate', metric: 'error_rate', comparator: '>', threshold: 1, forSeconds: 300, severity: 'warning', enabled: true, params: { windowSeconds: 300, minRequests: 10 } },
  { builtin: 'training_failed', name: 'Training run failed', metric: 'training_run_failed', comparator: '>', threshold: 0, forSeconds: 0, severity: 'warning', enabled: true, params: { windowSeconds: 900 } },
  { builtin: 'no_live_worker', name: 'No live worker', metric: 'live_workers', comparator: '<', threshold: 1, forSeconds: 120, severity: 'critical', enabled: true, params: {} },
  { builtin: 'cpu_high', name: 'High CPU', metric: 'cpu_percent', comparator: '>', threshold: 90, forSeconds: 300, severity: 'warning', enabled: true, params: { withinSeconds: 60 } },
  { builtin: 'memory_high', name: 'High memory', metric: 'memory_percent', comparator: '>', threshold: 90, forSeconds: 300, severity: 'warning', enabled: true, params: { withinSeconds: 60 } },
  { builtin: 'drift_detected', name: 'Drift detected', metric: 'drift_detected', comparator: '>', threshold: 0, forSeconds: 0, severity: 'warning', enabled: true, params: { windowSeconds: 172_800 } },
  { builtin: 'no_predictions', name: 'No predictions while serving', metric: 'predictions', comparator: '<', threshold: 1, forSeconds: 0, severity: 'warning', enabled: false, params: { windowSeconds: 900 } },
];

/** Creates the default rules that do not exist yet (by `builtin` key); an edited default is left as it is. */
export async function ensureDefaultRules(db: DbLike): Promise<number> {
  const rows = await db
    .insert(alertRules)
    .values(DEFAULT_RULES.map((r) => ({ ...r, updatedBy: 'system' })))
    .onConflictDoNothing()
    .returning({ id: alertRules.id });
  return rows.length;
}

/** Rules count, for tests and health. */
export async function countRules(db: DbLike): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(alertRules);
  return r.n;
}
