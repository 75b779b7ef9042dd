/**
 * The audit log as CSV (GET /api/v1/audit?format=csv): RFC 4180 quoting, and protection against CSV (formula)
 * injection — a cell a spreadsheet would run as a formula (starting with = + - @, or a tab / carriage return) is
 * prefixed with a single quote, so `=HYPERLINK(...)` in a target or user agent stays text when an admin opens the file.
 * Rows stream page by page (keyset on id), so an export never holds the whole table in memory.
 */
import type { DbLike } from '../db/client';
import { listAudit, type AuditFilter, type AuditRow } from './audit';

export const AUDIT_CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'target', 'outcome', 'ip', 'user_agent', 'api_key_id', 'request_id', 'details'] as const;

/** Most rows one export writes (the last line says so when there were more: narrow the filters). */
export const AUDIT_CSV_MAX_ROWS = 100_000;

/** One CSV cell: neutralised when a spreadsheet would read it as a formula, quoted when it needs quotes. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function rowCells(r: AuditRow): unknown[] {
  return [r.id, r.at, r.actor, r.action, r.target, r.outcome, r.ip, r.userAgent, r.apiKeyId, r.requestId, r.details];
}

/** The header line, then one line per row (newest first), at most `maxRows`. */
export async function* auditCsv(db: DbLike, filter: AuditFilter, maxRows = AUDIT_CSV_MAX_ROWS): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_COLUMNS);
  let before = filter.before;
  let written = 0;
  for (;;) {
    const page = await listAudit(db, { ...filter, before, limit: 500 });
    for (const r of page) {
      if (written >= maxRows) {
        yield csvLine([`# truncated after ${maxRows} rows: narrow the filters (e.g. a time range)`]);
        return;
      }
      yield csvLine(rowCells(r));
      written++;
    }
    if (page.length < 500) return;
    before = page[page.length - 1].id;
  }
}

/** The CSV as a streamed body. */
export function auditCsvStream(db: DbLike, filter: AuditFilter): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const it = auditCsv(db, filter);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A few lines per chunk: fewer, larger writes.
      let buf = '';
      while (buf.length < 64_000) {
        const { value, done } = await it.next();
        if (done) {
          if (buf) controller.enqueue(enc.encode(buf));
          controller.close();
          return;
        }
        buf += value;
      }
      controller.enqueue(enc.encode(buf));
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}
