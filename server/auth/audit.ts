import type { DbLike } from '../db/client';
import { auditLog } from '../../drizzle/schema';
import { desc } from 'drizzle-orm';

/** Where an audited action came from (HTTP callers; absent for the CLI and the system). */
export interface AuditOrigin {
  ip?: string | null;
  userAgent?: string | null;
  apiKeyId?: string | null;
  requestId?: string | null;
}

/**
 * Records an action: state changes (`outcome: 'ok'`, with from → to values in `details`), refused calls
 * (`'denied'`) and failed sign-ins (`'failed'`). Pass the transaction handle when the action is part of one.
 */
export async function recordAudit(
  db: DbLike,
  entry: {
    actor: string;
    action: string;
    target?: string | null;
    details?: Record<string, unknown>;
    outcome?: 'ok' | 'denied' | 'failed';
  } & AuditOrigin,
): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    details: entry.details ?? null,
    outcome: entry.outcome ?? 'ok',
    ip: entry.ip ?? null,
    userAgent: entry.userAgent ?? null,
    apiKeyId: entry.apiKeyId ?? null,
    requestId: entry.requestId ?? null,
  });
}

export async function listAudit(db: DbLike, opts: { limit?: number } = {}) {
  return db
    .select()
    .from(auditLog)
    .orderBy(desc(auditLog.id))
    .limit(opts.limit ?? 100);
}
