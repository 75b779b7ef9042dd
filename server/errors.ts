/**
 * Domain errors: a code and a message a person can act on. Routers map the code to a TRPCError code, REST handlers
 * to an HTTP status (see httpStatusOf). Bad input is never a 500.
 */
export type DomainErrorCode =
  | 'BAD_REQUEST' // 400: input is malformed or out of range (name the field)
  | 'UNAUTHORIZED' // 401
  | 'FORBIDDEN' // 403
  | 'NOT_FOUND' // 404
  | 'CONFLICT' // 409
  | 'PAYLOAD_TOO_LARGE' // 413
  | 'UNSUPPORTED_MEDIA_TYPE' // 415: a body in a Content-Type the endpoint does not take (say which it takes)
  | 'UNPROCESSABLE_CONTENT' // 422: well-formed but unusable (e.g. too few rows to train)
  | 'PRECONDITION_FAILED' // 412
  | 'TOO_MANY_REQUESTS' // 429: a rate limit or a sign-in lock (details.retryAfterSeconds; the transport sets Retry-After)
  | 'SERVICE_UNAVAILABLE'; // 503: e.g. no servable model

const STATUS: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

export class DomainError extends Error {
  constructor(
    public readonly code: DomainErrorCode,
    message: string,
    /** Optional structured details (e.g. `{ field: 'rsi_value' }` or a list of line errors). */
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export function httpStatusOf(code: DomainErrorCode): number {
  return STATUS[code];
}

/** Shorthands. */
export const badRequest = (message: string, details?: Record<string, unknown>) => new DomainError('BAD_REQUEST', message, details);
export const notFound = (message: string) => new DomainError('NOT_FOUND', message);
export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError('CONFLICT', message, details);

/**
 * `instanceof DomainError` fails when the error was created by another copy of this module — Next.js compiles
 * instrumentation and route handlers separately, and the inference engine started by one is used by the other —
 * so recognise domain errors by their shape.
 */
export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError || (e instanceof Error && e.name === 'DomainError' && typeof (e as DomainError).code === 'string' && (e as DomainError).code in STATUS);
}

/** The same for zod's errors (a bundled copy of zod may throw them). */
export function isZodError(e: unknown): e is import('zod').ZodError {
  return e instanceof Error && e.name === 'ZodError' && Array.isArray((e as { issues?: unknown }).issues);
}

/** HTTP status of a domain error, also when it comes from another module copy (whose `status` getter we can't trust). */
export function statusOf(e: DomainError): number {
  return STATUS[e.code];
}

/**
 * A zod validation failure as the one BAD_REQUEST every transport answers (tRPC, REST, serving, CLI): each issue as
 * `field: reason` (unknown keys named), joined by '; '; the first issue's field in `details.field`, every issue in
 * `details.issues`.
 */
export function badRequestFromZod(e: import('zod').ZodError, what = 'input'): DomainError {
  const issues = e.issues.map((i) => ({
    field: i.path.join('.') || what,
    message: i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : i.message,
  }));
  const text = issues.slice(0, 5).map((i) => `${i.field}: ${i.message}`).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
  return badRequest(text || `${what}: invalid`, { field: issues[0]?.field ?? what, issues });
}

// --- database errors ---------------------------------------------------------------------------------------------
/**
 * What may be said (and logged) about a database error: the PostgreSQL error code and the names of the constraint,
 * table and column — never the message. drizzle's DrizzleQueryError message is `Failed query: <SQL> params: <values>`
 * (a password hash, a session token), and PostgreSQL's own messages quote the offending value
 * (`invalid input syntax for type uuid: "…"`); neither leaves the process, nor goes to the log.
 */
export interface DbErrorInfo {
  code: string;
  constraint?: string;
  table?: string;
  column?: string;
  routine?: string;
}

const PG_CODE = /^[0-9A-Z]{5}$/;

/** The PostgreSQL error inside `e` (itself, or the cause of a DrizzleQueryError), as loggable facts; null if none. */
export function dbErrorOf(e: unknown): DbErrorInfo | null {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as { code?: unknown; constraint?: unknown; table?: unknown; column?: unknown; routine?: unknown; severity?: unknown };
    if (typeof c.code === 'string' && PG_CODE.test(c.code) && (typeof c.severity === 'string' || typeof c.routine === 'string')) {
      const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
      return { code: c.code, constraint: s(c.constraint), table: s(c.table), column: s(c.column), routine: s(c.routine) };
    }
  }
  return null;
}

/** True for drizzle's query error, whose message carries the SQL and its parameters. */
export function isQueryError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'DrizzleQueryError' || e.message.startsWith('Failed query:'));
}

/**
 * A database error that is the caller's doing, as the domain error it should have been (a safety net behind input
 * validation, which should have caught it first): data exceptions (class 22: out of range, malformed, NUL byte) and
 * integrity violations (class 23). Null for anything else (a real internal error).
 */
export function domainErrorFromDb(e: unknown): DomainError | null {
  const info = dbErrorOf(e);
  if (!info) return null;
  const where = info.column ? `${info.column}: ` : '';
  const details = { field: info.column ?? 'input', pgCode: info.code, ...(info.constraint ? { constraint: info.constraint } : {}) };
  if (info.code.startsWith('22')) return badRequest(`${where || 'input: '}a value is out of range or malformed (database code ${info.code})`, details);
  if (info.code === '23505') return conflict(`${where || ''}already exists${info.constraint ? ` (${info.constraint})` : ''}`, details);
  if (info.code === '23503') return conflict(`${where || ''}refers to something that does not exist or is still in use${info.constraint ? ` (${info.constraint})` : ''}`, details);
  if (info.code === '23502' || info.code === '23514') return badRequest(`${where || 'input: '}a required value is missing or not allowed (database code ${info.code})`, details);
  return null;
}

const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bso_[A-Za-z0-9_-]{16,}/g, 'so_[redacted]'],
  [/scrypt\$[^\s"',]+/g, 'scrypt$[redacted]'],
  [/(Bearer\s+)\S+/gi, '$1[redacted]'],
  [/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@'],
  [/((?:password|secret|token)\s*[=:]\s*)\S+/gi, '$1[redacted]'],
];

/** A message with known secret shapes (API keys, scrypt hashes, bearer tokens, URL passwords) masked. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, to] of SECRET_PATTERNS) out = out.replace(re, to);
  return out;
}

/**
 * An unexpected error as fields for the log: its name, the database facts (dbErrorOf) or, for other errors, its
 * message with secrets masked, and the first stack frames. Never the SQL text or its parameters.
 */
export function logFieldsOf(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { err: redactSecrets(String(e)).slice(0, 500) };
  const db = dbErrorOf(e);
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 6).join('\n');
  if (db || isQueryError(e)) return { err: db ? `database error ${db.code}` : 'database query failed', errName: e.name, db, stack: frames || undefined };
  return { err: redactSecrets(e.message).slice(0, 1000), errName: e.name, stack: frames || undefined };
}

/** A message for a person at a terminal (the CLI): the domain message, or a generic one that never carries SQL. */
export function safeMessageOf(e: unknown): string {
  if (isDomainError(e)) return e.message;
  const mapped = domainErrorFromDb(e);
  if (mapped) return mapped.message;
  const db = dbErrorOf(e);
  if (db || isQueryError(e)) return `database error${db ? ` ${db.code}${db.table ? ` on ${db.table}` : ''}` : ''}`;
  return e instanceof Error ? redactSecrets(e.message) : redactSecrets(String(e));
}
