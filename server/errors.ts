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
