import type { DbLike } from '../db/client';
import { auditLog } from '../../drizzle/schema';
import { desc } from 'drizzle-orm';

/** Records a state-changing action. Pass the transaction handle when the action is part of one. */
export async function recordAudit(
  db: DbLike,
  entry: { actor: string; action: string; target?: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    details: entry.details ?? null,
  });
}

export async function listAudit(db: DbLike, opts: { limit?: number } = {}) {
  return db
    .select()
    .from(auditLog)
    .orderBy(desc(auditLog.id))
    .limit(opts.limit ?? 100);
}
