/**
 * The alert loops a worker runs: evaluation every ALERT_EVAL_SECONDS (once per interval across every worker, see
 * evaluate.ts) and delivery of due notifications every couple of seconds (and right after an evaluation that raised
 * events). The two are independent: a slow or unreachable webhook delays only its own delivery, never evaluation.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client';
import { config } from '../../config';
import { ensureDefaultRules } from './rules';
import { evaluateAlerts } from './evaluate';
import { deliverDue } from './delivery';
import { OutageLog } from '../../db/outage-log';

export function alertSettings() {
  const c = config();
  return {
    evalSeconds: c.ALERT_EVAL_SECONDS,
    timeoutMs: c.ALERT_DELIVERY_TIMEOUT_MS,
    maxAttempts: c.ALERT_DELIVERY_MAX_ATTEMPTS,
    externalUrl: c.ALERT_EXTERNAL_URL ?? `http://localhost:${c.PORT}`,
    staleWorkerSeconds: c.WORKER_STALE_SECONDS,
  };
}

export interface AlertLoop {
  stop(): Promise<void>;
}

export async function startAlertLoop(db: Db, log: Logger, opts: Partial<ReturnType<typeof alertSettings>> & { deliverEveryMs?: number } = {}): Promise<AlertLoop> {
  const s = { ...alertSettings(), ...opts };
  const created = await ensureDefaultRules(db).catch((e) => {
    log.warn({ err: (e as Error).message }, 'could not create the default alert rules');
    return 0;
  });
  if (created) log.info({ created }, 'default alert rules created');
  let stopped = false;
  let evalTimer: NodeJS.Timeout | undefined;
  let deliverTimer: NodeJS.Timeout | undefined;
  let evaluating: Promise<unknown> = Promise.resolve();
  let delivering: Promise<unknown> | null = null;
  const evalMs = s.evalSeconds * 1000;
  const deliverEveryMs = s.deliverEveryMs ?? Math.min(2000, evalMs);

  const deliveryOutage = new OutageLog(log, 'an alert delivery pass');
  const evalOutage = new OutageLog(log, 'alert evaluation');
  const deliver = () => {
    if (stopped || delivering) return delivering ?? Promise.resolve();
    delivering = (async () => {
      try {
        // Drain: a pass sends at most 20; go on while passes are full.
        for (let i = 0; i < 10 && !stopped; i++) {
          const out = await deliverDue(db, { log, timeoutMs: s.timeoutMs, maxAttempts: s.maxAttempts });
          if (out.length < 20) break;
        }
        deliveryOutage.ok();
      } catch (e) {
        deliveryOutage.failed(e);
      } finally {
        delivering = null;
      }
    })();
    return delivering;
  };
  const scheduleDeliver = () => {
    if (stopped) return;
    deliverTimer = setTimeout(() => void deliver().finally(scheduleDeliver), deliverEveryMs);
    deliverTimer.unref();
  };
  const tick = async () => {
    try {
      const r = await evaluateAlerts(db, { log, minIntervalMs: Math.max(evalMs * 0.8, evalMs - 3000), staleWorkerSeconds: s.staleWorkerSeconds, externalUrl: s.externalUrl });
      if (r.events.length) void deliver();
      evalOutage.ok();
    } catch (e) {
      evalOutage.failed(e);
    }
  };
  const scheduleEval = () => {
    if (stopped) return;
    evalTimer = setTimeout(() => {
      evaluating = tick().finally(scheduleEval);
    }, evalMs);
    evalTimer.unref();
  };
  evaluating = tick().finally(scheduleEval);
  scheduleDeliver();
  log.info({ evalSeconds: s.evalSeconds }, 'alert evaluation started');
  return {
    async stop() {
      stopped = true;
      clearTimeout(evalTimer);
      clearTimeout(deliverTimer);
      await Promise.allSettled([evaluating, delivering]);
    },
  };
}
