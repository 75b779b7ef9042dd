import { z } from 'zod';
import { zId } from '../../validation';
import { router, viewerProcedure, engineerProcedure, adminProcedure, type Assert, type SameShape } from '../init';
import { listMetrics } from '../../monitoring/alerts/catalogue';
import { ZCreateRuleRequest, ZUpdateRuleRequest, listRules, getRule, createRule, updateRule, deleteRule, type AlertRule } from '../../monitoring/alerts/rules';
import { ZCreateChannelRequest, listChannels, createChannel, deleteChannel, setChannelEnabled, sendTest, listDeliveries, type ChannelView, type DeliveryView } from '../../monitoring/alerts/channels';
import { activeAlerts, alertHistory, type ActiveAlert, type AlertEventView } from '../../monitoring/alerts/views';
import { alertSettings } from '../../monitoring/alerts/loop';

// Response schemas. Dates are Date objects here (the caller's side) and ISO strings over HTTP (no transformer).
const ZLabels = z.record(z.string(), z.string());

export const ZMetric = z.object({
  id: z.string(),
  description: z.string(),
  unit: z.string(),
  min: z.number(),
  max: z.number(),
  labels: z.array(z.string()),
  /** The params the metric accepts with their defaults, e.g. { windowSeconds: 300 }. */
  defaults: z.record(z.string(), z.unknown()),
});

export const ZRule = z.object({
  id: z.number().int(),
  name: z.string(),
  metric: z.string(),
  comparator: z.string(),
  threshold: z.number(),
  forSeconds: z.number().int(),
  severity: z.string(),
  enabled: z.boolean(),
  params: z.record(z.string(), z.unknown()),
  builtin: z.string().nullable(),
  updatedBy: z.string(),
  updatedAt: z.date(),
});
type _Rule = Assert<SameShape<z.output<typeof ZRule>, AlertRule>>;

export const ZActiveAlert = z.object({
  ruleId: z.number().int(),
  rule: z.string(),
  metric: z.string(),
  severity: z.string(),
  fingerprint: z.string(),
  labels: ZLabels,
  state: z.enum(['pending', 'firing']),
  activeSince: z.date().nullable(),
  firedAt: z.date().nullable(),
  value: z.number().nullable(),
  condition: z.string(),
  evaluatedAt: z.date(),
});
type _Active = Assert<SameShape<z.output<typeof ZActiveAlert>, ActiveAlert>>;

export const ZAlertEvent = z.object({
  id: z.number().int(),
  ruleId: z.number().int(),
  rule: z.string(),
  fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']),
  labels: ZLabels,
  annotations: ZLabels,
  value: z.number().nullable(),
  startsAt: z.date(),
  endsAt: z.date().nullable(),
  createdAt: z.date(),
  deliveries: z.object({ sent: z.number().int(), pending: z.number().int(), failed: z.number().int() }),
});
type _Event = Assert<SameShape<z.output<typeof ZAlertEvent>, AlertEventView>>;

export const ZChannel = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.string(),
  urlMasked: z.string(),
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: z.date(),
  lastDelivery: z.object({ status: z.string(), at: z.date(), statusCode: z.number().int().nullable(), error: z.string().nullable(), test: z.boolean() }).nullable(),
});
type _Channel = Assert<SameShape<z.output<typeof ZChannel>, ChannelView>>;

export const ZDelivery = z.object({
  id: z.number().int(),
  eventId: z.number().int().nullable(),
  channelId: z.number().int(),
  channel: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: z.date().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
});
type _Delivery = Assert<SameShape<z.output<typeof ZDelivery>, DeliveryView>>;

const ZId = z.object({ id: zId() });

/**
 * Alert rules, alerts and channels. Analysts read everything (channel URLs masked); engineers change rules and send
 * tests; admins add and remove channels — a channel makes the workers POST to any URL they can reach, and its URL is
 * someone else's credential (a Slack webhook), the same trust as API keys.
 */
export const alertsRouter = router({
  metrics: viewerProcedure.output(z.array(ZMetric)).query(() =>
    listMetrics().map((m) => ({ id: m.id, description: m.description, unit: m.unit, min: m.min, max: m.max, labels: m.labels, defaults: m.params.parse({}) })),
  ),
  rules: viewerProcedure.output(z.array(ZRule)).query(({ ctx }) => listRules(ctx.db)),
  rule: viewerProcedure.input(ZId).output(ZRule).query(({ ctx, input }) => getRule(ctx.db, input.id)),
  createRule: engineerProcedure.input(ZCreateRuleRequest).output(ZRule).mutation(({ ctx, input }) => createRule(ctx.db, input, ctx.actor)),
  updateRule: engineerProcedure.input(ZUpdateRuleRequest).output(ZRule).mutation(({ ctx, input }) => updateRule(ctx.db, input, ctx.actor)),
  setRuleEnabled: engineerProcedure
    .input(z.object({ id: zId(), enabled: z.boolean() }))
    .output(ZRule)
    .mutation(({ ctx, input }) => updateRule(ctx.db, input, ctx.actor)),
  deleteRule: engineerProcedure.input(ZId).output(ZId).mutation(({ ctx, input }) => deleteRule(ctx.db, input.id, ctx.actor)),
  /** Alerts pending or firing now. */
  active: viewerProcedure.output(z.array(ZActiveAlert)).query(({ ctx }) => activeAlerts(ctx.db)),
  history: viewerProcedure
    .input(z.object({ ruleId: zId().optional(), before: zId().optional(), limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }))
    .output(z.array(ZAlertEvent))
    .query(({ ctx, input }) => alertHistory(ctx.db, input)),
  deliveries: viewerProcedure
    .input(z.object({ eventId: zId().optional(), channelId: zId().optional(), limit: z.number().int().min(1).max(500).default(100) }))
    .output(z.array(ZDelivery))
    .query(({ ctx, input }) => listDeliveries(ctx.db, input)),
  channels: viewerProcedure.output(z.array(ZChannel)).query(({ ctx }) => listChannels(ctx.db)),
  createChannel: adminProcedure.input(ZCreateChannelRequest).output(ZChannel).mutation(({ ctx, input }) => createChannel(ctx.db, input, ctx.actor)),
  setChannelEnabled: adminProcedure
    .input(z.object({ id: zId(), enabled: z.boolean() }))
    .output(ZChannel)
    .mutation(({ ctx, input }) => setChannelEnabled(ctx.db, input, ctx.actor)),
  deleteChannel: adminProcedure.input(ZId).output(ZId).mutation(({ ctx, input }) => deleteChannel(ctx.db, input.id, ctx.actor)),
  testChannel: engineerProcedure
    .input(ZId)
    .output(z.object({ deliveryId: z.number().int() }))
    .mutation(({ ctx, input }) => sendTest(ctx.db, input.id, ctx.actor, alertSettings().externalUrl)),
});
