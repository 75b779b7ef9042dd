import { pgTable, text, timestamp, integer, doublePrecision, bigint, real, jsonb, primaryKey, index, boolean } from 'drizzle-orm/pg-core';
import type { AlertLabels, AlertPayload, AlertRuleParams, RollupSymbolCounts } from './shapes';

/**
 * Serving metrics rolled up per interval, per process, per model version: what pages, JSON metrics, Prometheus
 * gauges and alert rules read (never a scan of the raw prediction log). Each web/serve process upserts one row per
 * (interval, model, version) it served in; coarser roll-ups (per minute, per hour) merge the processes
 * (`process_id = '*'`). Histograms use the fixed log-spaced buckets of server/monitoring/histogram.ts, so they add up
 * across processes and intervals.
 */
export const metricRollups = pgTable(
  'metric_rollups',
  {
    bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
    /** 10 (raw), 60 or 3600. */
    intervalSeconds: integer('interval_seconds').notNull(),
    /** `<kind>@<host>:<pid>` of the process; '*' for coarser roll-ups across processes. */
    processId: text('process_id').notNull(),
    /** '' for requests refused before a model was chosen (bad input, no model for the symbol). */
    modelName: text('model_name').notNull(),
    /** 0 when no version was chosen. */
    version: integer('version').notNull(),
    requests: integer('requests').notNull(),
    errors4xx: integer('errors_4xx').notNull(),
    errors5xx: integer('errors_5xx').notNull(),
    cacheHits: integer('cache_hits').notNull(),
    cacheMisses: integer('cache_misses').notNull(),
    imputed: integer('imputed').notNull(),
    /** Confidence < 50 % (what today's dashboard called its "error rate"). */
    lowConfidence: integer('low_confidence').notNull(),
    latencySumMs: doublePrecision('latency_sum_ms').notNull(),
    /** Counts per latency bucket (LATENCY_BUCKETS_MS, last = overflow). */
    latencyHist: integer('latency_hist').array().notNull(),
    /** Counts per tensor-batch size bucket (BATCH_BUCKETS), one per prediction computed (not cached). */
    batchHist: integer('batch_hist').array().notNull(),
    /** Counts per confidence decile (0–10 %, …, 90–100 %). */
    confidenceHist: integer('confidence_hist').array().notNull(),
    /** Predicted class counts [SELL, HOLD, BUY]. */
    classes: integer('classes').array().notNull(),
    /** Requests per symbol. */
    symbols: jsonb('symbols').$type<RollupSymbolCounts>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.intervalSeconds, t.bucketStart, t.processId, t.modelName, t.version] }),
    index('metric_rollups_model_idx').on(t.modelName, t.intervalSeconds, t.bucketStart),
  ],
);

/** Per-process system samples (every 15 s): the trading team's CPU / memory metrics, for every replica. */
export const processSamples = pgTable(
  'process_samples',
  {
    at: timestamp('at', { withTimezone: true }).notNull(),
    processId: text('process_id').notNull(),
    /** web, serve, worker, … */
    kind: text('kind').notNull(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    cpuPercent: real('cpu_percent').notNull(),
    rssBytes: bigint('rss_bytes', { mode: 'number' }).notNull(),
    heapUsedBytes: bigint('heap_used_bytes', { mode: 'number' }).notNull(),
    heapTotalBytes: bigint('heap_total_bytes', { mode: 'number' }).notNull(),
    /** System memory in use, percent (for the "memory > 90 %" rule). */
    systemMemoryPercent: real('system_memory_percent').notNull(),
    eventLoopP99Ms: real('event_loop_p99_ms').notNull(),
    openConnections: integer('open_connections'),
  },
  (t) => [primaryKey({ columns: [t.processId, t.at] }), index('process_samples_at_idx').on(t.at)],
);

/**
 * Alert rules (Prometheus semantics): `metric` compared with `threshold` must hold for `forSeconds` before the alert
 * fires; it resolves when the condition stops holding. Built-in defaults carry a `builtin` key (editable, not
 * deletable). `params` holds rule-specific settings (e.g. the model a rule watches, a window).
 */
export const alertRules = pgTable('alert_rules', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull().unique(),
  /** What is measured (server/monitoring/alerts: the metric catalogue). */
  metric: text('metric').notNull(),
  /** '>' or '<'. */
  comparator: text('comparator').notNull(),
  threshold: doublePrecision('threshold').notNull(),
  forSeconds: integer('for_seconds').notNull(),
  severity: text('severity').notNull().default('warning'),
  enabled: boolean('enabled').notNull().default(true),
  params: jsonb('params').$type<AlertRuleParams>().notNull().default({}),
  builtin: text('builtin').unique(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The current state of each rule (one row per rule and label set, e.g. per model): inactive, pending or firing. */
export const alertStates = pgTable(
  'alert_states',
  {
    ruleId: integer('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    /** Stable hash of the rule and its labels (Alertmanager's fingerprint). */
    fingerprint: text('fingerprint').notNull(),
    labels: jsonb('labels').$type<AlertLabels>().notNull(),
    state: text('state').notNull(),
    /** When the condition started holding (pending since). */
    activeSince: timestamp('active_since', { withTimezone: true }),
    /** When it fired. */
    firedAt: timestamp('fired_at', { withTimezone: true }),
    value: doublePrecision('value'),
    evaluatedAt: timestamp('evaluated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.fingerprint] })],
);

/** Append-only history: every transition to firing and to resolved. */
export const alertEvents = pgTable(
  'alert_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    ruleId: integer('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    fingerprint: text('fingerprint').notNull(),
    /** 'firing' or 'resolved'. */
    status: text('status').notNull(),
    labels: jsonb('labels').$type<AlertLabels>().notNull(),
    annotations: jsonb('annotations').$type<AlertLabels>().notNull(),
    value: doublePrecision('value'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('alert_events_created_idx').on(t.createdAt)],
);

/** Where alerts go: webhooks in Alertmanager's format or Slack's incoming-webhook format. The URL is a secret. */
export const alertChannels = pgTable('alert_channels', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull().unique(),
  /** 'alertmanager' or 'slack'. */
  kind: text('kind').notNull(),
  url: text('url').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One row per (event, channel): attempts with exponential backoff, the answer, the outcome. */
export const alertDeliveries = pgTable(
  'alert_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** null for a "send test" delivery. */
    eventId: bigint('event_id', { mode: 'number' }).references(() => alertEvents.id, { onDelete: 'cascade' }),
    channelId: integer('channel_id')
      .notNull()
      .references(() => alertChannels.id, { onDelete: 'cascade' }),
    /** 'pending', 'sent' or 'failed' (gave up). */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    payload: jsonb('payload').$type<AlertPayload>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [index('alert_deliveries_due_idx').on(t.status, t.nextAttemptAt)],
);
