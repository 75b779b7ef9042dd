import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/trpc/root';

type Out = inferRouterOutputs<AppRouter>['alerts'];
export type AlertRuleRow = Out['rules'][number];
export type AlertMetric = Out['metrics'][number];
export type ActiveAlertRow = Out['active'][number];
export type AlertEventRow = Out['history'][number];
export type AlertChannelRow = Out['channels'][number];
export type AlertDeliveryRow = Out['deliveries'][number];

/** `{model="eurusd-lstm", process="web@h:1"}` without alertname/severity (shown elsewhere). */
export function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : '—';
}

export function severityTone(s: string): 'bad' | 'warn' | 'info' {
  return s === 'critical' ? 'bad' : s === 'warning' ? 'warn' : 'info';
}
