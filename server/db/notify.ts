import { sql } from 'drizzle-orm';
import type { DbLike } from './client';

/**
 * Cross-process notifications over PostgreSQL LISTEN/NOTIFY. Every web and serve process LISTENs on the serving
 * channel and reloads its routing state (and drops cached API-key checks) within a second of a change.
 * Sent inside a transaction, the notification is delivered at commit.
 */
export const SERVING_CHANNEL = 'signalops_serving';

export async function notifyServing(db: DbLike, reason: string): Promise<void> {
  await db.execute(sql`select pg_notify(${SERVING_CHANNEL}, ${JSON.stringify({ reason, at: Date.now() })})`);
}
