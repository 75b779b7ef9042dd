import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { auditLog } from '../../drizzle/schema';
import { recordAudit } from '../auth/audit';
import { importDemoDataset, DEMO_DATASET } from '../market/demo';

/**
 * Data a fresh installation gets on its first start: the demo dataset (daily S&P 500 from the vega-datasets
 * package), so there is real data to train on without a download. Done once per database: a user who deletes the
 * demo dataset does not get it back at the next start.
 */
export async function firstStartData(db: Db, log: Logger): Promise<void> {
  const done = await db.select({ id: auditLog.id }).from(auditLog).where(eq(auditLog.action, 'demo.import')).limit(1);
  if (done.length) return;
  try {
    const r = await importDemoDataset(db, { actor: 'system' });
    await recordAudit(db, { actor: 'system', action: 'demo.import', target: DEMO_DATASET, details: { rows: r.result?.inserted ?? 0 } });
    if (r.result) log.info({ dataset: DEMO_DATASET, rows: r.result.inserted }, 'imported the demo dataset');
  } catch (e) {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'demo dataset import failed; the app works without it');
  }
}
