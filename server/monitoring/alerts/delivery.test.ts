import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { eq } from 'drizzle-orm';
import { createTestDb } from '../../db/test-db';
import type { Db } from '../../db/client';
import { alertDeliveries, alertRules, auditLog, trainingRuns } from '../../../drizzle/schema';
import { ensureDefaultRules } from './rules';
import { evaluateAlerts, type EvaluateOptions } from './evaluate';
import { backoffMs, deliverDue, maskUrl, scrub, ZERO_TIME } from './delivery';
import { listDeliveries } from './channels';
import { userCaller } from '../../trpc/test-helpers';

/** A real local webhook receiver: records every request; `plan` says how to answer the next ones. */
function receiver() {
  const got: Array<{ path: string; body: unknown; headers: http.IncomingHttpHeaders }> = [];
  const plan: Array<'ok' | 'fail' | 'hang'> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(raw || 'null'), headers: req.headers });
      const what = plan.shift() ?? 'ok';
      if (what === 'hang') return; // never answers: the sender's timeout must act
      if (what === 'fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`boom at ${req.url}`); // echoes the secret path
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  return {
    got,
    plan,
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Alertmanager's webhook body, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const ZAlertmanagerV4 = z
  .object({
    version: z.literal('4'),
    groupKey: z.string().min(1),
    truncatedAlerts: z.number().int(),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string().min(1),
    groupLabels: z.record(z.string(), z.string()),
    commonLabels: z.record(z.string(), z.string()),
    commonAnnotations: z.record(z.string(), z.string()),
    externalURL: z.url(),
    alerts: z
      .array(
        z
          .object({
            status: z.enum(['firing', 'resolved']),
            labels: z.object({ alertname: z.string(), severity: z.string() }).catchall(z.string()),
            annotations: z.object({ summary: z.string(), description: z.string() }).catchall(z.string()),
            startsAt: z.iso.datetime(),
            endsAt: z.union([z.iso.datetime(), z.literal(ZERO_TIME)]),
            generatorURL: z.url(),
            fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

const SECRET = 'T0ps3cr3t-hook-4f9a1c';

describe('alert delivery to a real local HTTP receiver', () => {
  let db: Db;
  const rx = receiver();
  const slackRx = receiver();
  let base: string;
  let slackBase: string;
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const OPTS: EvaluateOptions = { staleWorkerSeconds: 30, externalUrl: 'http://signalops.test', log };
  const DELIVER = { timeoutMs: 2000, maxAttempts: 4, log };
  const t0 = Date.now() - 3_600_000;
  let seq = 0;
  const failRun = async (model: string, at: number) =>
    db.insert(trainingRuns).values({ modelName: model, modelType: 'lstm', dataset: 'tiny', params: {} as never, status: 'failed', stages: [], error: `run ${++seq} failed`, createdBy: 'test', endedAt: new Date(at) });

  beforeAll(async () => {
    db = (await createTestDb()).db;
    await ensureDefaultRules(db);
    await db.update(alertRules).set({ enabled: false }).where(eq(alertRules.builtin, 'no_live_worker'));
    base = await rx.start();
    slackBase = await slackRx.start();
  });
  afterAll(async () => {
    await rx.close();
    await slackRx.close();
  });

  it('channels: the URL is stored, shown masked, never in the audit log; only admins add them', async () => {
    const admin = await userCaller(db, 'admin');
    const engineer = await userCaller(db, 'engineer');
    const analyst = await userCaller(db, 'analyst');
    const created = await admin.alerts.createChannel({ name: 'ops-am', kind: 'alertmanager', url: `${base}/hook/${SECRET}?token=${SECRET}` });
    expect(created).toMatchObject({ name: 'ops-am', kind: 'alertmanager', urlMasked: `${base}/…`, enabled: true, lastDelivery: null });
    expect(JSON.stringify(created)).not.toContain(SECRET);
    await admin.alerts.createChannel({ name: 'ops-slack', kind: 'slack', url: `${slackBase}/services/T000/B000/${SECRET}` });
    const listed = await analyst.alerts.channels();
    expect(listed.map((c) => c.urlMasked)).toEqual([`${base}/…`, `${slackBase}/…`]);
    expect(JSON.stringify(listed)).not.toContain(SECRET);
    await expect(engineer.alerts.createChannel({ name: 'x', kind: 'slack', url: 'https://hooks.slack.com/services/a' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(admin.alerts.createChannel({ name: 'bad', kind: 'slack', url: 'ftp://example.com/x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.alerts.createChannel({ name: 'bad', kind: 'pagerduty' as never, url: 'https://example.com/x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const audit = await db.select().from(auditLog);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect(maskUrl('https://user:pw@hooks.slack.com:8443/services/T/B/X?y=1')).toBe('https://hooks.slack.com:8443/…');
  });

  it('a failed run fires: one delivery per channel, Alertmanager v4 and Slack bodies; resolved notifications follow', async () => {
    await failRun('eurusd-lstm', t0 - 1000);
    const r = await evaluateAlerts(db, { ...OPTS, now: t0 });
    expect(r.events).toHaveLength(1);
    const rows = await listDeliveries(db, { eventId: r.events[0] });
    expect(rows.map((d) => [d.channel, d.status, d.attempts])).toEqual([
      ['ops-slack', 'pending', 0],
      ['ops-am', 'pending', 0],
    ]);
    const out = await deliverDue(db, { ...DELIVER, now: t0 });
    expect(out.map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0].path).toBe(`/hook/${SECRET}?token=${SECRET}`);
    expect(rx.got[0].headers['content-type']).toBe('application/json');
    const am = ZAlertmanagerV4.parse(rx.got[0].body);
    expect(am).toMatchObject({ status: 'firing', receiver: 'ops-am', externalURL: 'http://signalops.test', commonLabels: { alertname: 'Training run failed', model: 'eurusd-lstm' } });
    expect(am.alerts[0]).toMatchObject({ status: 'firing', endsAt: ZERO_TIME, labels: { alertname: 'Training run failed', severity: 'warning', model: 'eurusd-lstm' } });
    expect(am.alerts[0].generatorURL).toMatch(/^http:\/\/signalops\.test\/alerts\?rule=\d+$/);
    expect(am.alerts[0].annotations.description).toContain('run 1 failed');
    const slack = slackRx.got[0].body as { text: string; blocks: Array<{ type: string }> };
    expect(slack.text).toMatch(/\[FIRING\] Training run failed/);
    expect(slack.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect((await deliverDue(db, { ...DELIVER, now: t0 + 1000 })).length).toBe(0); // nothing twice

    // The window passes: resolved, with endsAt and the same fingerprint.
    const res = await evaluateAlerts(db, { ...OPTS, now: t0 + 16 * 60_000 });
    expect(res.events).toHaveLength(1);
    await deliverDue(db, { ...DELIVER, now: t0 + 16 * 60_000 });
    const resolved = ZAlertmanagerV4.parse(rx.got[1].body);
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0].endsAt).toBe(new Date(t0 + 16 * 60_000).toISOString());
    expect(resolved.alerts[0].fingerprint).toBe(am.alerts[0].fingerprint);
    expect(resolved.alerts[0].startsAt).toBe(am.alerts[0].startsAt);
    expect((slackRx.got[1].body as { text: string }).text).toMatch(/\[RESOLVED\]/);
    const viewer = await userCaller(db, 'analyst');
    const hist = await viewer.alerts.history({ limit: 10 });
    expect(hist.slice(0, 2).map((h) => [h.status, h.deliveries.sent])).toEqual([
      ['resolved', 2],
      ['firing', 2],
    ]);
    const ch = await viewer.alerts.channels();
    expect(ch[0].lastDelivery).toMatchObject({ status: 'sent', statusCode: 200, test: false });
  });

  it('a receiver that fails twice then succeeds: retried with exponential backoff (5 s, 10 s), on an injected clock', async () => {
    rx.plan.push('fail', 'fail');
    slackRx.plan.push('ok');
    const t = t0 + 30 * 60_000;
    await failRun('gbpusd-gru', t - 1000);
    const r = await evaluateAlerts(db, { ...OPTS, now: t });
    const amRow = async () => (await listDeliveries(db, { eventId: r.events[0] })).find((d) => d.channel === 'ops-am')!;
    await deliverDue(db, { ...DELIVER, now: t });
    expect(await amRow()).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, nextAttemptAt: new Date(t + 5000) });
    expect((await amRow()).lastError).toMatch(/^HTTP 500: boom at http:\/\/127\.0\.0\.1:\d+\/…$/); // the echoed secret path is scrubbed
    expect((await deliverDue(db, { ...DELIVER, now: t + 4000 })).length).toBe(0); // not due yet
    await deliverDue(db, { ...DELIVER, now: t + 5000 });
    expect(await amRow()).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: new Date(t + 5000 + 10_000) });
    expect((await deliverDue(db, { ...DELIVER, now: t + 14_000 })).length).toBe(0);
    await deliverDue(db, { ...DELIVER, now: t + 15_000 });
    expect(await amRow()).toMatchObject({ status: 'sent', attempts: 3, lastStatusCode: 200, nextAttemptAt: null, lastError: null, sentAt: new Date(t + 15_000) });
    expect(rx.got.slice(-3).map((g) => (g.body as { status: string }).status)).toEqual(['firing', 'firing', 'firing']);
    expect([1, 2, 3, 4, 8, 20].map((n) => backoffMs(n))).toEqual([5000, 10_000, 20_000, 40_000, 600_000, 600_000]);
  });

  it('gives up after maxAttempts (failed); a hanging receiver times out; an unreachable one fails fast — none blocks evaluation', async () => {
    const admin = await userCaller(db, 'admin');
    const dead = receiver();
    const deadBase = await dead.start();
    await dead.close(); // nothing listens there any more
    const deadCh = await admin.alerts.createChannel({ name: 'gone', kind: 'alertmanager', url: `${deadBase}/hook/${SECRET}` });
    // Settle the earlier alerts first (the previous run left its window: resolved and delivered).
    await evaluateAlerts(db, { ...OPTS, now: t0 + 50 * 60_000 });
    await deliverDue(db, { ...DELIVER, now: t0 + 50 * 60_000 });
    await db.update(alertDeliveries).set({ status: 'sent' }).where(eq(alertDeliveries.channelId, deadCh.id));
    rx.plan.push('hang');
    const t = t0 + 51 * 60_000;
    await failRun('usdjpy-mlp', t - 1000);
    const r = await evaluateAlerts(db, { ...OPTS, now: t });
    expect(r.events).toHaveLength(1);
    const out = await deliverDue(db, { ...DELIVER, timeoutMs: 300, maxAttempts: 2, now: t });
    const by = Object.fromEntries(out.map((o) => [o.channelId, o]));
    expect(by[deadCh.id]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(by[deadCh.id].error).toMatch(/ECONNREFUSED/);
    const am = (await admin.alerts.channels()).find((c) => c.name === 'ops-am')!;
    expect(by[am.id]).toMatchObject({ status: 'pending', attempts: 1, error: 'timed out after 300 ms' });
    // Evaluation is not held up by pending deliveries.
    expect((await evaluateAlerts(db, { ...OPTS, now: t + 15_000 })).skipped).toBeNull();
    const again = await deliverDue(db, { ...DELIVER, timeoutMs: 300, maxAttempts: 2, now: t + 5000 });
    expect(again.find((o) => o.channelId === deadCh.id)).toMatchObject({ status: 'failed', attempts: 2 });
    const row = (await db.select().from(alertDeliveries).where(eq(alertDeliveries.channelId, deadCh.id))).find((d) => d.eventId === r.events[0]);
    expect(row).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect((await admin.alerts.channels()).find((c) => c.id === deadCh.id)?.lastDelivery).toMatchObject({ status: 'failed' });
    await admin.alerts.deleteChannel({ id: deadCh.id });
  });

  it('"send test" creates a test delivery that the loop sends; the deliveries of an event are listed', async () => {
    const engineer = await userCaller(db, 'engineer');
    const am = (await engineer.alerts.channels()).find((c) => c.name === 'ops-am')!;
    const { deliveryId } = await engineer.alerts.testChannel({ id: am.id });
    const n = rx.got.length;
    const out = await deliverDue(db, { ...DELIVER, now: Date.now() + 1000 });
    expect(out.find((o) => o.id === deliveryId)).toMatchObject({ status: 'sent' });
    const body = ZAlertmanagerV4.parse(rx.got[n].body);
    expect(body.alerts[0].labels).toMatchObject({ alertname: 'SignalOpsTest', severity: 'info', channel: 'ops-am' });
    expect((await engineer.alerts.channels()).find((c) => c.id === am.id)?.lastDelivery).toMatchObject({ status: 'sent', test: true });
    const tests = await engineer.alerts.deliveries({ channelId: am.id });
    expect(tests[0]).toMatchObject({ id: deliveryId, eventId: null, status: 'sent', attempts: 1 });
  });

  it('webhook URLs never reach the logs or the stored errors', async () => {
    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join('\n');
    expect(all).toContain('alert delivered');
    expect(all).toContain('"channel":"ops-am"');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('/hook/');
    expect(all).toContain('boom at'); // the receiver's answer is logged, scrubbed
    const errs = (await db.select().from(alertDeliveries)).map((d) => d.lastError ?? '').join('\n');
    expect(all).toContain('ECONNREFUSED');
    expect(all).toContain('timed out after 300 ms');
    expect(errs).not.toContain(SECRET);
    expect(scrub(`connect to ${base}/hook/${SECRET} failed`, `${base}/hook/${SECRET}`)).toBe(`connect to ${base}/… failed`);
  });
});
