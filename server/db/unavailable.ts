/**
 * "The database is not reachable right now" — recognised in one place, so every transport answers 503
 * SERVICE_UNAVAILABLE (with a clear message) instead of a 500 while PostgreSQL restarts, moves or is down.
 *
 * Recognised by shape (drizzle wraps the driver's error in `cause`; Node wraps several connect attempts in an
 * AggregateError), never by instanceof, for the reason in server/errors.ts:
 *   - Node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, EHOSTUNREACH, ENETUNREACH, ENOTFOUND, EAI_AGAIN;
 *   - PostgreSQL SQLSTATE class 08 (connection exception), 57P01 admin shutdown, 57P02 crash shutdown,
 *     57P03 cannot connect now (starting up / shutting down), 53300 too many connections;
 *   - node-postgres' own messages when a connection ends or a connect times out.
 */
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const PG_MESSAGES = [
  /^Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable right now; try again shortly. Predictions of loaded models are still served.';

export function isDatabaseUnavailable(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 6) return false;
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof err.code === 'string' && (NODE_CODES.has(err.code) || PG_CODES.has(err.code) || /^08[0-9A-Z]{3}$/.test(err.code))) return true;
  if (typeof err.message === 'string' && PG_MESSAGES.some((r) => r.test(err.message as string))) return true;
  if (Array.isArray(err.errors) && err.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}
