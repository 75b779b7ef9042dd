import { pgTable, text, timestamp, integer } from 'drizzle-orm/pg-core';

/** One row per worker process; `lastSeenAt` is refreshed every few seconds while it lives. */
export const workerHeartbeats = pgTable('worker_heartbeats', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  version: text('version').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
  /** `<queue>:<job id>` while a job runs, else null. */
  currentJob: text('current_job'),
  stoppedAt: timestamp('stopped_at', { withTimezone: true }),
});
