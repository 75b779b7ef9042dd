/**
 * Alert channels: where notifications go (an Alertmanager-format webhook or a Slack incoming webhook). The URL is a
 * secret: it is stored, used by the delivery loop, and otherwise only ever shown masked (scheme + host + `…`).
 */
import { desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbLike } from '../../db/client';
import { alertChannels, alertDeliveries } from '../../../drizzle/schema';
import { DomainError, badRequestFromZod, notFound } from '../../errors';
import { recordAudit } from '../../auth/audit';
import { maskUrl, queueDeliveries, type AlertNotice } from './delivery';
import { fingerprint } from './evaluate';

export const CHANNEL_KINDS = ['alertmanager', 'slack'] as const;

export const ZCreateChannelRequest = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(80, 'must be at most 80 characters'),
    kind: z.enum(CHANNEL_KINDS, { error: "must be 'alertmanager' or 'slack'" }),
    url: z
      .string()
      .trim()
      .max(2000, 'must be at most 2,000 characters')
      .refine((u) => {
        try {
          const p = new URL(u).protocol;
          return p === 'http:' || p === 'https:';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL'),
  })
  .strict();

export interface ChannelView {
  id: number;
  name: string;
  kind: string;
  /** scheme + host + `…`: the full URL is never returned. */
  urlMasked: string;
  enabled: boolean;
  createdBy: string;
  createdAt: Date;
  lastDelivery: { status: string; at: Date; statusCode: number | null; error: string | null; test: boolean } | null;
}

const isUnique = (e: unknown) => {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === '23505' || err?.cause?.code === '23505';
};

export async function listChannels(db: DbLike): Promise<ChannelView[]> {
  const rows = await db.select().from(alertChannels).orderBy(alertChannels.id);
  const last = await db
    .selectDistinctOn([alertDeliveries.channelId], {
      channelId: alertDeliveries.channelId,
      status: alertDeliveries.status,
      createdAt: alertDeliveries.createdAt,
      sentAt: alertDeliveries.sentAt,
      statusCode: alertDeliveries.lastStatusCode,
      error: alertDeliveries.lastError,
      eventId: alertDeliveries.eventId,
    })
    .from(alertDeliveries)
    .orderBy(alertDeliveries.channelId, desc(alertDeliveries.id));
  const byChannel = new Map(last.map((l) => [l.channelId, l]));
  return rows.map((c) => {
    const l = byChannel.get(c.id);
    return {
      id: c.id,
      name: c.name,
      kind: c.kind,
      urlMasked: maskUrl(c.url),
      enabled: c.enabled,
      createdBy: c.createdBy,
      createdAt: c.createdAt,
      lastDelivery: l ? { status: l.status, at: l.sentAt ?? l.createdAt, statusCode: l.statusCode, error: l.error, test: l.eventId === null } : null,
    };
  });
}

async function viewOf(db: DbLike, id: number): Promise<ChannelView> {
  const c = (await listChannels(db)).find((x) => x.id === id);
  if (!c) throw notFound(`alert channel ${id} not found`);
  return c;
}

export async function createChannel(db: Db, input: z.input<typeof ZCreateChannelRequest>, actor: string): Promise<ChannelView> {
  const parsed = ZCreateChannelRequest.safeParse(input);
  if (!parsed.success) throw badRequestFromZod(parsed.error);
  const c = parsed.data;
  try {
    const [row] = await db.insert(alertChannels).values({ name: c.name, kind: c.kind, url: c.url, createdBy: actor }).returning({ id: alertChannels.id });
    // The audit log names the channel, never its URL.
    await recordAudit(db, { actor, action: 'alerts.channel.create', target: c.name, details: { id: row.id, kind: c.kind, url: maskUrl(c.url), to: { kind: c.kind, url: maskUrl(c.url), enabled: true } } });
    return viewOf(db, row.id);
  } catch (e) {
    if (isUnique(e)) throw new DomainError('CONFLICT', `name: a channel named '${c.name}' already exists`, { field: 'name' });
    throw e;
  }
}

export async function setChannelEnabled(db: Db, input: { id: number; enabled: boolean }, actor: string): Promise<ChannelView> {
  const [prev] = await db.select({ enabled: alertChannels.enabled }).from(alertChannels).where(eq(alertChannels.id, input.id));
  const [row] = await db.update(alertChannels).set({ enabled: input.enabled }).where(eq(alertChannels.id, input.id)).returning({ name: alertChannels.name });
  if (!row) throw notFound(`alert channel ${input.id} not found`);
  await recordAudit(db, { actor, action: input.enabled ? 'alerts.channel.enable' : 'alerts.channel.disable', target: row.name, details: { id: input.id, from: { enabled: prev?.enabled ?? null }, to: { enabled: input.enabled } } });
  return viewOf(db, input.id);
}

export async function deleteChannel(db: Db, id: number, actor: string): Promise<{ id: number }> {
  const [row] = await db.delete(alertChannels).where(eq(alertChannels.id, id)).returning({ name: alertChannels.name, kind: alertChannels.kind, url: alertChannels.url, enabled: alertChannels.enabled });
  if (!row) throw notFound(`alert channel ${id} not found`);
  await recordAudit(db, { actor, action: 'alerts.channel.delete', target: row.name, details: { id, from: { kind: row.kind, url: maskUrl(row.url), enabled: row.enabled }, to: null } });
  return { id };
}

/** "Send test": a pending delivery of a test alert to one channel (the delivery loop sends it within seconds). */
export async function sendTest(db: Db, id: number, actor: string, externalUrl: string): Promise<{ deliveryId: number }> {
  const [c] = await db.select({ id: alertChannels.id, name: alertChannels.name }).from(alertChannels).where(eq(alertChannels.id, id));
  if (!c) throw notFound(`alert channel ${id} not found`);
  const now = new Date();
  const labels = { alertname: 'SignalOpsTest', severity: 'info', channel: c.name };
  const notice: AlertNotice = {
    status: 'firing',
    labels,
    annotations: { summary: `Test notification from SignalOps to '${c.name}'`, description: `Sent by ${actor} with "Send test" on the Alerts page; no action needed.` },
    startsAt: now,
    endsAt: null,
    fingerprint: fingerprint(0, labels),
    generatorURL: `${externalUrl.replace(/\/$/, '')}/alerts`,
  };
  const [deliveryId] = await queueDeliveries(db, { eventId: null, notice, externalUrl, now, channelId: c.id });
  await recordAudit(db, { actor, action: 'alerts.channel.test', target: c.name, details: { id, deliveryId } });
  return { deliveryId };
}

export interface DeliveryView {
  id: number;
  eventId: number | null;
  channelId: number;
  channel: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** The delivery log of one event (or of one channel's tests when eventId is null). */
export async function listDeliveries(db: DbLike, q: { eventId?: number; channelId?: number; limit?: number }): Promise<DeliveryView[]> {
  return db
    .select({
      id: alertDeliveries.id,
      eventId: alertDeliveries.eventId,
      channelId: alertDeliveries.channelId,
      channel: alertChannels.name,
      status: alertDeliveries.status,
      attempts: alertDeliveries.attempts,
      nextAttemptAt: alertDeliveries.nextAttemptAt,
      lastStatusCode: alertDeliveries.lastStatusCode,
      lastError: alertDeliveries.lastError,
      createdAt: alertDeliveries.createdAt,
      sentAt: alertDeliveries.sentAt,
    })
    .from(alertDeliveries)
    .innerJoin(alertChannels, eq(alertChannels.id, alertDeliveries.channelId))
    .where(
      sql`(${q.eventId ?? null}::bigint is null or ${alertDeliveries.eventId} = ${q.eventId ?? null}::bigint) and (${q.channelId ?? null}::int is null or ${alertDeliveries.channelId} = ${q.channelId ?? null}::int)`,
    )
    .orderBy(desc(alertDeliveries.id))
    .limit(q.limit ?? 100);
}
