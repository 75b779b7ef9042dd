/**
 * REST/JSON handlers for non-TypeScript callers (app/api/v1/*). Same zod schemas, same domain functions and the same
 * access rule (checkAccess) as tRPC; errors are `{ error: { code, message, field?, details? } }` with a 4xx status
 * for anything the caller can fix, never a stack trace.
 */
import { ZodError, type ZodType } from 'zod';
import type { Db } from '../db/client';
import type { Principal, Requirement } from '../auth/principal';
import { accessError, actorOf } from '../auth/principal';
import { principalFromHeaders } from '../auth/request';
import { DomainError, badRequestFromZod, isDomainError, isZodError, statusOf } from '../errors';

export interface RestContext {
  db: Db;
  principal: Principal;
  actor: string;
  req: Request;
}

/** A transport-neutral answer: the Next.js routes turn it into a Response, the serve process writes it to node:http. */
export interface PlainResponse {
  status: number;
  body: unknown;
}

export function errorBody(status: number, code: string, message: string, extra: Record<string, unknown> = {}): PlainResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

export function errorResponse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  return toResponse(errorBody(status, code, message, extra));
}

export function toResponse(r: PlainResponse): Response {
  return Response.json(r.body, { status: r.status });
}

export function zodErrorResponse(e: ZodError): Response {
  return toResponse(errorOf(badRequestFromZod(e)));
}

/** Maps any thrown error to an answer: domain and validation errors → 4xx with the reason; the rest → 500 without details. */
export function errorOf(e: unknown): PlainResponse {
  if (isDomainError(e)) {
    const field = typeof e.details?.field === 'string' ? { field: e.details.field } : {};
    return errorBody(statusOf(e), e.code, e.message, e.details ? { ...field, details: e.details } : {});
  }
  if (isZodError(e)) return errorOf(badRequestFromZod(e));
  console.error(JSON.stringify({ level: 'error', msg: 'unhandled REST error', err: e instanceof Error ? e.message : String(e) }));
  return errorBody(500, 'INTERNAL_SERVER_ERROR', 'Internal error; see the server log.');
}

export function toErrorResponse(e: unknown): Response {
  return toResponse(errorOf(e));
}

/** Parses a JSON body already read as text, limited in size; a malformed body is a 400 that says so. */
export function parseJsonBody(text: string, maxBytes = 1_000_000): unknown {
  if (text.length > maxBytes && Buffer.byteLength(text) > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes.`);
  if (!text.trim()) throw new DomainError('BAD_REQUEST', 'Request body is empty; send JSON.');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DomainError('BAD_REQUEST', `Request body is not valid JSON: ${(e as Error).message}`);
  }
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
  need: Requirement | 'public';
  getDb: () => Db;
  input?: (req: Request) => Promise<unknown>;
  schema?: ZodType<I>;
  run: (ctx: RestContext, input: I) => Promise<Response | unknown>;
}) {
  return async (req: Request): Promise<Response> => {
    try {
      const db = opts.getDb();
      const principal = await principalFromHeaders(db, req.headers);
      const denied = opts.need === 'public' ? null : accessError(principal, opts.need);
      if (denied) return toErrorResponse(denied);
      let input = undefined as I;
      if (opts.schema) {
        const raw = opts.input ? await opts.input(req) : await readJson(req);
        const parsed = opts.schema.safeParse(raw);
        if (!parsed.success) return zodErrorResponse(parsed.error);
        input = parsed.data;
      }
      const out = await opts.run({ db, principal, actor: actorOf(principal), req }, input);
      return out instanceof Response ? out : Response.json(out);
    } catch (e) {
      return toErrorResponse(e);
    }
  };
}
