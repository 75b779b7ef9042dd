import type { Logger } from 'pino';
import type { Db } from '../db/client';

/**
 * Data a fresh installation gets on first start (idempotent). Filled in by the market-data stage (demo dataset).
 */
export async function firstStartData(_db: Db, _log: Logger): Promise<void> {}
