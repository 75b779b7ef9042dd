/**
 * Delivery: each alert event gets one `alert_deliveries` row per enabled channel, written in the evaluation's
 * transaction with the body already rendered in the channel's format. A worker loop (`deliverDue`) sends the due rows
 * asynchronously — an unreachable webhook never blocks evaluation or requests — with a timeout per request and
 * exponential backoff (5 s, 10 s, 20 s … capped), giving up (`failed`) after `maxAttempts`.
 *
 * Formats: Alertmanager's webhook (`version: "4"`, so any Alertmanager receiver works) and Slack's incoming webhook
 * (`text` + blocks). Webhook URLs are secrets: they are read only to send, never logged or stored in an error (the
 * channel's name and id are logged instead; error texts are scrubbed of the URL).
 */
import type { Logger } from 'pino';
import { eq } from 'drizzle-orm';
import type { Db, DbLike } from '../../db/client';
import { alertChannels, alertDeliveries } from '../../../drizzle/schema';
import { APP_VERSION } from '../../config';

/** One alert as a notification describes it (an event, or a test). */
export interface AlertNotice {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  endsAt: Date | null;
  fingerprint: string;
  generatorURL: string;
}

export type ChannelKind = 'alertmanager' | 'slack';
/** Alertmanager's "zero time": the endsAt of an alert still firing. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}
export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

const labelSet = (l: Record<string, string>) =>
  `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(',')}}`;

/** Alertmanager webhook body (version 4): one alert per notification, grouped by its own labels. */
export function alertmanagerPayload(n: AlertNotice, o: { receiver: string; externalUrl: string }): AlertmanagerPayload {
  return {
    version: '4',
    groupKey: `{}:${labelSet(n.labels)}`,
    truncatedAlerts: 0,
    status: n.status,
    receiver: o.receiver,
    groupLabels: { ...n.labels },
    commonLabels: { ...n.labels },
    commonAnnotations: { ...n.annotations },
    externalURL: o.externalUrl,
    alerts: [
      {
        status: n.status,
        labels: { ...n.labels },
        annotations: { ...n.annotations },
        startsAt: n.startsAt.toISOString(),
        endsAt: n.endsAt ? n.endsAt.toISOString() : ZERO_TIME,
        generatorURL: n.generatorURL,
        fingerprint: n.fingerprint,
      },
    ],
  };
}

/** Slack incoming-webhook body: a `text` fallback and blocks (a header line, the description, the labels). */
export function slackPayload(n: AlertNotice) {
  const icon = n.status === 'firing' ? (n.labels.severity === 'critical' ? ':rotating_light:' : ':warning:') : ':white_check_mark:';
  const head = `${icon} [${n.status.toUpperCase()}] ${n.annotations.summary ?? n.labels.alertname}`;
  const labels = Object.entries(n.labels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `*${k}*: ${v}`)
    .join('  ·  ');
  const when = n.status === 'firing' ? `since ${n.startsAt.toISOString()}` : `resolved ${n.endsAt?.toISOString() ?? ''} (started ${n.startsAt.toISOString()})`;
  return {
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${head}*${n.annotations.description ? `\n${n.annotations.description}` : ''}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: [labels, when, `<${n.generatorURL}|open in SignalOps>`].filter(Boolean).join('  ·  ') }] },
    ],
  };
}

export function renderPayload(kind: string, n: AlertNotice, o: { receiver: string; externalUrl: string }): unknown {
  return kind === 'slack' ? slackPayload(n) : alertmanagerPayload(n, o);
}

/** One pending delivery per enabled channel for an event (inside the evaluation's transaction). */
export async function queueDeliveries(tx: DbLike, e: { eventId: number | null; notice: AlertNotice; externalUrl: string; now: Date; channelId?: number }): Promise<number[]> {
  const channels = (await tx.select({ id: alertChannels.id, name: alertChannels.name, kind: alertChannels.kind, enabled: alertChannels.enabled }).from(alertChannels).orderBy(alertChannels.id)).filter(
    (c) => (e.channelId === undefined ? c.enabled : c.id === e.channelId),
  );
  if (!channels.length) return [];
  const rows = await tx.insert(alertDeliveries).values(
    channels.map((c) => ({
      eventId: e.eventId,
      channelId: c.id,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: e.now,
      payload: renderPayload(c.kind, e.notice, { receiver: c.name, externalUrl: e.externalUrl }),
      createdAt: e.now,
    })),
  ).returning({ id: alertDeliveries.id });
  return rows.map((r) => r.id);
}

/** Delay before attempt n+1 after n failed attempts: base × 2^(n−1), capped. */
export function backoffMs(failedAttempts: number, baseMs = 5_000, capMs = 600_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

/** `https://hooks.slack.com/services/T0/B0/XYZ` → `https://hooks.slack.com/…` (scheme and host only). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}

/** An error text with every trace of the URL (whole, its path, its query, its credentials) replaced by the masked form. */
export function scrub(text: string, url: string): string {
  let out = text;
  const parts: string[] = [url];
  try {
    const u = new URL(url);
    parts.push(u.href, `${u.pathname}${u.search}`, u.search, u.password, u.username);
    if (u.pathname.length > 1) parts.push(u.pathname);
  } catch {
    /* not a URL: the whole string only */
  }
  for (const p of parts.filter((x) => x && x.length > 1).sort((a, b) => b.length - a.length)) out = out.split(p).join(maskUrl(url));
  return out.slice(0, 500);
}

export interface DeliverOptions {
  now?: number;
  log?: Logger;
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** At most this many rows per pass. */
  limit?: number;
}

export interface DeliveryOutcome {
  id: number;
  channelId: number;
  status: 'sent' | 'pending' | 'failed';
  attempts: number;
  statusCode: number | null;
  error: string | null;
}

/**
 * Sends the due deliveries (status pending, next attempt ≤ now). Rows are claimed with `FOR UPDATE SKIP LOCKED` and
 * leased (next attempt pushed past the timeout), so concurrent workers never send one row twice, and a worker that
 * dies mid-send leaves the row to be retried after the lease.
 */
export async function deliverDue(db: Db, o: DeliverOptions): Promise<DeliveryOutcome[]> {
  const now = o.now ?? Date.now();
  const leaseMs = o.timeoutMs + 30_000;
  const claimed = await db.$client.query(
    `update alert_deliveries d set next_attempt_at = $2::timestamptz
     from alert_channels c
     where c.id = d.channel_id and d.id in (
       select id from alert_deliveries where status = 'pending' and next_attempt_at <= $1::timestamptz
       order by next_attempt_at, id limit $3 for update skip locked)
     returning d.id, d.channel_id, d.attempts, d.payload, c.url, c.name, c.enabled`,
    [new Date(now).toISOString(), new Date(now + leaseMs).toISOString(), o.limit ?? 20],
  );
  return Promise.all(
    claimed.rows.map(async (r): Promise<DeliveryOutcome> => {
      const id = Number(r.id);
      const channelId = Number(r.channel_id);
      const attempts = Number(r.attempts) + 1;
      let statusCode: number | null = null;
      let error: string | null = null;
      if (!r.enabled) {
        error = 'channel disabled';
      } else {
        try {
          const res = await fetch(String(r.url), {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': `SignalOps/${APP_VERSION}` },
            body: JSON.stringify(r.payload),
            signal: AbortSignal.timeout(o.timeoutMs),
            redirect: 'manual',
          });
          statusCode = res.status;
          const body = await res.text().catch(() => '');
          if (res.status < 200 || res.status >= 300) error = scrub(`HTTP ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}`, String(r.url));
        } catch (e) {
          const err = e as Error & { cause?: { code?: string; message?: string } };
          const text = err.name === 'TimeoutError' || err.name === 'AbortError' ? `timed out after ${o.timeoutMs} ms` : [err.message, err.cause?.code ?? err.cause?.message].filter(Boolean).join(': ');
          error = scrub(text, String(r.url));
        }
      }
      const ok = error === null;
      const give = !ok && (attempts >= o.maxAttempts || !r.enabled);
      const status = ok ? 'sent' : give ? 'failed' : 'pending';
      const next = ok || give ? null : new Date(now + backoffMs(attempts, o.baseDelayMs, o.maxDelayMs));
      await db
        .update(alertDeliveries)
        .set({ status, attempts, nextAttemptAt: next, lastStatusCode: statusCode, lastError: error, sentAt: ok ? new Date(now) : null })
        .where(eq(alertDeliveries.id, id));
      const line = { deliveryId: id, channelId, channel: String(r.name), attempts, status, statusCode };
      if (ok) o.log?.info(line, 'alert delivered');
      else o.log?.warn({ ...line, err: error, nextAttemptAt: next?.toISOString() ?? null }, give ? 'alert delivery failed; giving up' : 'alert delivery failed; will retry');
      return { id, channelId, status, attempts, statusCode, error };
    }),
  );
}
