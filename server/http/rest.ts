/**
 * REST/JSON handlers for non-TypeScript callers (app/api/v1/*). Same zod schemas, same domain functions and the same
 * access rule (checkAccess) as tRPC; errors are `{ error: { code, message, field?, details? } }` with a 4xx status
 * for anything the caller can fix, never a stack trace.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { ZodError, type ZodType } from 'zod';
import type { Db } from '../db/client';
import type { Principal, Requirement } from '../auth/principal';
import { accessError, actorOf } from '../auth/principal';
import { principalFromHeaders, type HeaderSource } from '../auth/request';
import { enterAuditOrigin, originOf, recordDenial } from '../auth/audit';
import { DomainError, badRequestFromZod, domainErrorFromDb, isDomainError, isZodError, logFieldsOf, statusOf } from '../errors';
import { checkRawInput, checkUrl } from '../validation';
import { childLogger, logger } from '../log';
import { limitRequest, rateLimitError, whoOf, withRateLimitHeaders } from './ratelimit';
import { isDatabaseUnavailable, DATABASE_UNAVAILABLE_MESSAGE } from '../db/unavailable';

export interface RestContext {
  db: Db;
  principal: Principal;
  actor: string;
  req: Request;
  /** This request's id (`x-request-id` in and out). */
  requestId: string;
  /** A logger whose every line carries `request_id` (created on first use). */
  readonly log: Logger;
}

// --- request ids ---------------------------------------------------------------------------------------------------
/**
 * Every request carries an id: the caller's `x-request-id` when it is sane (1–128 characters of `[A-Za-z0-9._-]`,
 * so it cannot forge log fields or headers), else a new UUID. It is echoed in the response header, bound to the
 * request's log lines (`request_id`) and put in any error body (`error.request_id`). Every transport — the REST
 * routes, the inference routes, tRPC and the serve process — takes it from here.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdFrom(headers: HeaderSource): string {
  const v = headers.get(REQUEST_ID_HEADER);
  return v && SANE_REQUEST_ID.test(v) ? v : crypto.randomUUID();
}

/** A child logger bound to the request id, made on first use (most requests never log). */
export function lazyRequestLogger(requestId: string, bindings: Record<string, unknown> = {}): () => Logger {
  let l: Logger | undefined;
  return () => (l ??= childLogger({ ...bindings, request_id: requestId }));
}

/** The answer with the request id: in its headers, and in its body when that is an error (`error.request_id`). */
export function withRequestId(r: PlainResponse, requestId: string): PlainResponse {
  const body = r.body as { error?: unknown } | null;
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? { ...(body.error as object), request_id: requestId } : null;
  return { status: r.status, body: error ? { ...body, error } : r.body, headers: { ...r.headers, [REQUEST_ID_HEADER]: requestId } };
}

/** A transport-neutral answer: the Next.js routes turn it into a Response, the serve process writes it to node:http. */
export interface PlainResponse {
  status: number;
  body: unknown;
  /** Extra response headers (e.g. x-request-id). */
  headers?: Record<string, string>;
}

export function errorBody(status: number, code: string, message: string, extra: Record<string, unknown> = {}): PlainResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

export function errorResponse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  return toResponse(errorBody(status, code, message, extra));
}

export function toResponse(r: PlainResponse): Response {
  return Response.json(r.body, { status: r.status, headers: r.headers });
}

export function zodErrorResponse(e: ZodError): Response {
  return toResponse(errorOf(badRequestFromZod(e)));
}

/**
 * Maps any thrown error to an answer: domain and validation errors → 4xx with the reason; a database error the
 * caller caused (a value out of range, a duplicate — server/errors.ts domainErrorFromDb) → 4xx without its text;
 * anything else is logged (with the request id; the error's name, database code and stack frames — never SQL text
 * or parameters, secrets masked) and answers 500 with a generic message naming the request id.
 */
export function errorOf(e: unknown, requestId?: string): PlainResponse {
  if (isDomainError(e)) {
    const field = typeof e.details?.field === 'string' ? { field: e.details.field } : {};
    return errorBody(statusOf(e), e.code, e.message, e.details ? { ...field, details: e.details } : {});
  }
  if (isZodError(e)) return errorOf(badRequestFromZod(e));
  // The database is down or moving (connection refused/reset, admin shutdown, SQLSTATE 08xxx): 503, never 500.
  if (isDatabaseUnavailable(e)) return errorBody(503, 'SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE);
  const fromDb = domainErrorFromDb(e);
  if (fromDb) {
    (requestId ? childLogger({ request_id: requestId }) : logger()).warn(logFieldsOf(e), 'database rejected an input that validation let through');
    return errorOf(fromDb);
  }
  (requestId ? childLogger({ request_id: requestId }) : logger()).error(logFieldsOf(e), 'unhandled error');
  return errorBody(500, 'INTERNAL_SERVER_ERROR', requestId ? `Internal error (request id ${requestId}); see the server log.` : 'Internal error; see the server log.');
}

export function toErrorResponse(e: unknown): Response {
  return toResponse(errorOf(e));
}

/** Parses a JSON body already read as text, limited in size; a malformed body is a 400 that says so. */
export function parseJsonBody(text: string, maxBytes = 1_000_000): unknown {
  if (text.length > maxBytes && Buffer.byteLength(text) > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes.`);
  if (!text.trim()) throw new DomainError('BAD_REQUEST', 'Request body is empty; send JSON.');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DomainError('BAD_REQUEST', `Request body is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  // NUL bytes, `__proto__` keys and absurd nesting are refused here, before any schema or SQL sees them.
  checkRawInput(doc, 'body');
  return doc;
}

/** Reads a JSON body from a Fetch Request (size checked from Content-Length first). */
export async function readJson(req: Request, maxBytes = 1_000_000): Promise<unknown> {
  const len = Number(req.headers.get('content-length') ?? 0);
  if (len > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `Request body is ${len} bytes; the limit is ${maxBytes}.`);
  return parseJsonBody(await req.text(), maxBytes);
}

/**
 * Wraps a route handler: resolves the caller, enforces `need`, parses input with `schema` (when given) and maps
 * errors. `getDb` is lazy so the module can be imported at build time.
 */
export function restHandler<I = undefined>(opts: {
  need: Requirement | readonly Requirement[] | 'public';
  getDb: () => Db;
  input?: (req: Request) => Promise<unknown>;
  schema?: ZodType<I>;
  run: (ctx: RestContext, input: I) => Promise<Response | unknown>;
}) {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdFrom(req.headers);
    const fail = (e: unknown) => toResponse(withRequestId(errorOf(e, requestId), requestId));
    try {
      checkUrl(new URL(req.url));
      const db = opts.getDb();
      const principal = await principalFromHeaders(db, req.headers);
      const denied = opts.need === 'public' ? null : accessError(principal, opts.need);
      // The audit origin of this request, for every recordAudit below; denials recorded bounded (server/auth/audit.ts).
      const origin = originOf(principal, req.headers, requestId);
      enterAuditOrigin(principal, origin);
      if (denied) recordDenial(db, { principal, action: `${req.method} ${new URL(req.url).pathname}`, need: opts.need, message: denied.message, mutating: req.method !== 'GET' && req.method !== 'HEAD', origin });
      if (denied) return fail(denied);
      // The caller's request limit (server/http/ratelimit.ts): 429 with Retry-After when refused; RateLimit-* headers.
      const rl = opts.need === 'public' ? null : await limitRequest(db.$client, principal, 1);
      if (rl && !rl.allowed) return withRateLimitHeaders(fail(rateLimitError(rl, 1, whoOf(principal))), rl);
      let input = undefined as I;
      if (opts.schema) {
        const raw = opts.input ? await opts.input(req) : await readJson(req);
        checkRawInput(raw, 'body');
        const parsed = opts.schema.safeParse(raw);
        if (!parsed.success) return fail(badRequestFromZod(parsed.error));
        input = parsed.data;
      }
      const log = lazyRequestLogger(requestId, { route: new URL(req.url).pathname });
      const out = await opts.run({ db, principal, actor: actorOf(principal), req, requestId, get log() { return log(); } }, input);
      return withRateLimitHeaders(withRequestIdHeader(out instanceof Response ? out : Response.json(out), requestId), rl);
    } catch (e) {
      return fail(e);
    }
  };
}

/** Sets x-request-id on a Response (a copy when its headers are immutable, e.g. one that came from fetch). */
export function withRequestIdHeader(res: Response, requestId: string): Response {
  try {
    res.headers.set(REQUEST_ID_HEADER, requestId);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(REQUEST_ID_HEADER, requestId);
    return copy;
  }
}
