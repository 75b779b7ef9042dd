import { appDb } from '../db/app';
import { childLogger } from '../log';
import { config } from '../config';
import { MetricsRecorder, ProcessSampler } from '../monitoring/rollups';
import { PrometheusMetrics } from '../monitoring/prometheus';
import { InferenceEngine, engineOptionsFromEnv } from './engine';
import { AuthCache, type ServingContext } from './http';

/** The serving context of this process (web or serve): one engine, started on first use. */
const g = globalThis as unknown as { __signalopsServing?: Promise<ServingContext> };

export function servingContext(): Promise<ServingContext> {
  if (!g.__signalopsServing) {
    g.__signalopsServing = (async () => {
      const h = appDb();
      const engine = await new InferenceEngine(h.db, h.url, childLogger({ component: 'serving' }), engineOptionsFromEnv()).start();
      const auth = new AuthCache(h.db);
      engine.onReload.push(() => auth.clear());
      // Metric roll-ups shared by all replicas, and this process's system samples (server/monitoring).
      const log = childLogger({ component: 'monitoring' });
      const processId = engine.opts.servedBy;
      const metrics = new MetricsRecorder(h.db, log, { processId, intervalSeconds: config().MONITORING_INTERVAL_SECONDS });
      const instrument = config().MONITORING_INSTRUMENTATION === 'on';
      if (instrument) engine.observers.push(metrics);
      const sampler = new ProcessSampler(h.db, log, { processId, kind: config().SIGNALOPS_PROC, everyMs: config().MONITORING_SAMPLE_SECONDS * 1000 });
      if (instrument) void sampler.tick();
      else await sampler.stop();
      engine.onStop.push(() => metrics.stop(), () => sampler.stop());
      // This process's Prometheus registry (GET /metrics): request counters from the same observer events.
      const prom = new PrometheusMetrics({
        db: h.db,
        serving: {
          loadedVersions: () => Object.keys(engine.info().batching).length,
          predictionLogDropped: () => engine.predictionLog.stats.overflow + engine.predictionLog.stats.failedWrites,
        },
      });
      if (instrument) engine.observers.push(prom);
      return { db: h.db, engine, auth, metrics, sampler, prom };
    })();
    g.__signalopsServing.catch(() => {
      g.__signalopsServing = undefined; // retry on the next request
    });
  }
  return g.__signalopsServing;
}
