/**
 * One evaluation tick: every enabled rule's metric is read at one clock, each label set steps through the state
 * machine (state.ts), and states, events and their deliveries are written in one transaction.
 *
 * Once per tick across any number of processes: the transaction takes `pg_try_advisory_xact_lock(ALERT_EVAL_LOCK)`
 * (a concurrent evaluator skips at once, it never waits), and an evaluator that finds the states evaluated less than
 * `minIntervalMs` ago skips too — so N workers on the same interval evaluate about once per interval, not N times.
 * The clock is the database's (`now()`), so workers on machines with skewed clocks agree; tests inject `now`.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { eq, and, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { alertStates, alertEvents, alertRules } from '../../../drizzle/schema';
import { formatValue, metricOf, type Sample } from './catalogue';
import { INACTIVE, compare, step, type AlertState, type AlertStateName, type Transition } from './state';
import { queueDeliveries, type AlertNotice } from './delivery';

/** The advisory lock key of alert evaluation (any constant shared by every process). */
export const ALERT_EVAL_LOCK = 7_214_009;

/** Alertmanager's fingerprint: a stable hash of the rule id and the label set (order-independent), 16 hex digits. */
export function fingerprint(ruleId: number, labels: Record<string, string>): string {
  const canon = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
  return crypto.createHash('sha256').update(`${ruleId}\u0001${canon}`).digest('hex').slice(0, 16);
}

export interface EvaluationResult {
  skipped: null | 'locked' | 'recent';
  at: number;
  rules: number;
  series: number;
  transitions: Array<{ ruleId: number; fingerprint: string; transition: Exclude<Transition, 'none'> }>;
  events: number[];
  errors: Array<{ ruleId: number; error: string }>;
}

export interface EvaluateOptions {
  /** Epoch ms; default the database's clock. */
  now?: number;
  /** Skip when the last evaluation is more recent than this (default 0: always evaluate). */
  minIntervalMs?: number;
  staleWorkerSeconds: number;
  /** Base URL of the dashboard (externalURL, generatorURL). */
  externalUrl: string;
  log?: Logger;
}

type RuleRow = typeof alertRules.$inferSelect;
type StateRow = typeof alertStates.$inferSelect;

export function alertLabels(rule: Pick<RuleRow, 'name' | 'severity'>, labels: Record<string, string>): Record<string, string> {
  return { alertname: rule.name, severity: rule.severity, ...labels };
}

export function alertAnnotations(rule: RuleRow, value: number | null, detail?: string): Record<string, string> {
  const def = metricOf(rule.metric);
  const summary = `${rule.name}: ${rule.metric} ${formatValue(def, value)} ${rule.comparator} ${formatValue(def, rule.threshold)}${rule.forSeconds ? ` for ${rule.forSeconds} s` : ''}`;
  const description = [def?.description ?? `metric ${rule.metric}`, detail].filter(Boolean).join('. ');
  return { summary, description };
}

export async function evaluateAlerts(db: Db, opts: EvaluateOptions): Promise<EvaluationResult> {
  const out: EvaluationResult = { skipped: null, at: opts.now ?? 0, rules: 0, series: 0, transitions: [], events: [], errors: [] };
  const queued: number[] = [];
  await db.transaction(async (tx) => {
    const lock = await tx.execute<{ ok: boolean; now: number }>(sql`select pg_try_advisory_xact_lock(${ALERT_EVAL_LOCK}) as ok, (extract(epoch from now()) * 1000)::float8 as now`);
    const row = lock.rows[0];
    if (!row.ok) {
      out.skipped = 'locked';
      return;
    }
    const now = opts.now ?? Math.round(Number(row.now));
    out.at = now;
    if (opts.minIntervalMs) {
      const last = await tx.execute<{ t: number | null }>(sql`select (extract(epoch from max(evaluated_at)) * 1000)::float8 as t from alert_states`);
      const t = last.rows[0]?.t;
      if (t !== null && t !== undefined && now - Number(t) < opts.minIntervalMs) {
        out.skipped = 'recent';
        return;
      }
    }
    const rules = await tx.select().from(alertRules);
    const states = await tx.select().from(alertStates);
    const byRule = new Map<number, Map<string, StateRow>>();
    for (const s of states) (byRule.get(s.ruleId) ?? byRule.set(s.ruleId, new Map()).get(s.ruleId)!).set(s.fingerprint, s);

    for (const rule of rules) {
      const prevStates = byRule.get(rule.id) ?? new Map<string, StateRow>();
      let samples: Sample[] = [];
      if (rule.enabled) {
        const def = metricOf(rule.metric);
        if (!def) {
          out.errors.push({ ruleId: rule.id, error: `unknown metric '${rule.metric}'` });
          continue;
        }
        out.rules++;
        try {
          const params = def.params.parse(rule.params ?? {});
          // Reads go through the pool (the metric store's readers take the Db); only the writes are in this transaction.
          samples = await def.evaluate(db, { now, staleWorkerSeconds: opts.staleWorkerSeconds }, params);
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          out.errors.push({ ruleId: rule.id, error });
          opts.log?.warn({ ruleId: rule.id, rule: rule.name, err: error }, 'alert rule evaluation failed; its states are kept');
          continue; // a broken read neither fires nor resolves anything
        }
      }
      // A disabled rule: every series stops holding (firing ones resolve, pending ones go back to inactive).
      const seen = new Set<string>();
      for (const s of samples) {
        if (!Number.isFinite(s.value)) continue;
        const fp = fingerprint(rule.id, s.labels);
        if (seen.has(fp)) continue;
        seen.add(fp);
        out.series++;
        const holds = compare(s.value, rule.comparator as '>' | '<', rule.threshold);
        await apply(tx, rule, fp, s.labels, prevStates.get(fp), { holds, value: s.value, detail: s.detail, now, present: true }, out, queued, opts);
      }
      for (const [fp, st] of prevStates) {
        if (seen.has(fp)) continue;
        // The series vanished (e.g. the model stopped serving, the failed run left the window): it no longer holds.
        await apply(tx, rule, fp, st.labels, st, { holds: false, value: st.value, now, present: false }, out, queued, opts);
      }
    }
  });
  out.events = queued;
  return out;
}

async function apply(
  tx: Tx,
  rule: RuleRow,
  fp: string,
  labels: Record<string, string>,
  prevRow: StateRow | undefined,
  e: { holds: boolean; value: number | null; detail?: string; now: number; present: boolean },
  out: EvaluationResult,
  events: number[],
  opts: EvaluateOptions,
) {
  const prev: AlertState = prevRow
    ? { state: prevRow.state as AlertStateName, activeSince: prevRow.activeSince?.getTime() ?? null, firedAt: prevRow.firedAt?.getTime() ?? null }
    : INACTIVE;
  const { next, transition } = step(prev, { holds: e.holds, now: e.now, forSeconds: rule.forSeconds, value: e.value });
  if (transition !== 'none') out.transitions.push({ ruleId: rule.id, fingerprint: fp, transition });
  const at = new Date(e.now);
  if (next.state === 'inactive' && !e.present) {
    if (prevRow) await tx.delete(alertStates).where(and(eq(alertStates.ruleId, rule.id), eq(alertStates.fingerprint, fp)));
  } else {
    const values = {
      labels,
      state: next.state,
      activeSince: next.activeSince === null ? null : new Date(next.activeSince),
      firedAt: next.firedAt === null ? null : new Date(next.firedAt),
      value: e.value,
      evaluatedAt: at,
    };
    await tx
      .insert(alertStates)
      .values({ ruleId: rule.id, fingerprint: fp, ...values })
      .onConflictDoUpdate({ target: [alertStates.ruleId, alertStates.fingerprint], set: values });
  }
  if (transition !== 'firing' && transition !== 'resolved') return;
  const fullLabels = alertLabels(rule, labels);
  const annotations = alertAnnotations(rule, e.value, e.detail);
  const startsAt = new Date((transition === 'firing' ? next.activeSince : prev.activeSince) ?? e.now);
  const [ev] = await tx
    .insert(alertEvents)
    .values({ ruleId: rule.id, fingerprint: fp, status: transition, labels: fullLabels, annotations, value: e.value, startsAt, endsAt: transition === 'resolved' ? at : null, createdAt: at })
    .returning({ id: alertEvents.id });
  events.push(ev.id);
  const notice: AlertNotice = {
    status: transition,
    labels: fullLabels,
    annotations,
    startsAt,
    endsAt: transition === 'resolved' ? at : null,
    fingerprint: fp,
    generatorURL: `${opts.externalUrl.replace(/\/$/, '')}/alerts?rule=${rule.id}`,
  };
  await queueDeliveries(tx, { eventId: ev.id, notice, externalUrl: opts.externalUrl, now: at });
  opts.log?.info({ ruleId: rule.id, rule: rule.name, fingerprint: fp, status: transition, value: e.value }, `alert ${transition}`);
}
