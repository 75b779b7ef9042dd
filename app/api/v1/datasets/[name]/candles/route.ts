import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { appDb } from '@/server/db/app';
import { APPEND } from '@/server/market/access';
import { readJson, restHandler } from '@/server/http/rest';
import { appendCandles, MAX_APPEND_CSV_BYTES, MAX_APPEND_JSON_BYTES } from '@/server/market/append';
import { parseMappingSpec } from '@/server/market/parse/formats';
import { DomainError, badRequest } from '@/server/errors';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain', 'text/tab-separated-values']);
const BODY_KEYS = new Set(['bars', 'symbol', 'strict']);

function flag(v: string | null, name: string): boolean | undefined {
  if (v === null) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`${name}: must be true or false, got '${v.slice(0, 20)}'`, { field: name });
}

/**
 * POST /api/v1/datasets/{name}/candles[?strict=true&symbol=S] — appends closed bars to an existing dataset.
 * Body: `application/json` — `{ "bars": [{ "ts": "2024-05-01T14:00:00Z", "open": …, "high": …, "low": …, "close": …,
 * "volume": … }, …], "symbol"?: "EURUSD", "strict"?: false }` or a bare array of bars — or a CSV file (`text/csv`,
 * streamed, capped; `format=` and `map=` as for an import). Answers the import report with the dataset's freshness.
 * Appending the same bars again inserts nothing; a bar stored with other values is a conflict (kept, listed).
 */
export const POST = guarded(restHandler({
  need: APPEND,
  getDb: () => appDb().db,
  run: async ({ db, actor, req }) => {
    const url = new URL(req.url);
    const parts = url.pathname.split('/');
    const dataset = decodeURIComponent(parts[parts.length - 2] ?? '');
    const q = url.searchParams;
    const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const strictQ = flag(q.get('strict'), 'strict');
    const symbolQ = q.get('symbol') ?? undefined;
    if (type === 'application/json' || type.endsWith('+json')) {
      const body = await readJson(req, MAX_APPEND_JSON_BYTES);
      if (Array.isArray(body)) return appendCandles(db, { dataset, bars: body, symbol: symbolQ, strict: strictQ }, actor);
      if (!body || typeof body !== 'object') throw badRequest('body: send { "bars": [...] } or an array of bars', { field: 'bars' });
      const o = body as Record<string, unknown>;
      const unknown = Object.keys(o).filter((k) => !BODY_KEYS.has(k));
      if (unknown.length) throw badRequest(`${unknown[0]}: unknown field${unknown.length > 1 ? `s ${unknown.join(', ')}` : ''} (the body is { bars, symbol?, strict? })`, { field: unknown[0] });
      if (o.bars === undefined) throw badRequest('bars: required: { "bars": [{ "ts": …, "open": …, "high": …, "low": …, "close": …, "volume": … }] }', { field: 'bars' });
      if (!Array.isArray(o.bars)) throw badRequest('bars: must be an array of bars', { field: 'bars' });
      if (o.strict !== undefined && typeof o.strict !== 'boolean') throw badRequest('strict: must be true or false', { field: 'strict' });
      if (o.symbol !== undefined && typeof o.symbol !== 'string') throw badRequest('symbol: must be a string', { field: 'symbol' });
      return appendCandles(db, { dataset, bars: o.bars, symbol: (o.symbol as string | undefined) ?? symbolQ, strict: (o.strict as boolean | undefined) ?? strictQ }, actor);
    }
    if (CSV_TYPES.has(type)) {
      const len = Number(req.headers.get('content-length') ?? 0);
      if (len > MAX_APPEND_CSV_BYTES) {
        throw new DomainError('PAYLOAD_TOO_LARGE', `body: ${len} bytes exceeds the ${MAX_APPEND_CSV_BYTES}-byte limit of an append; import bigger files with POST /api/v1/datasets`);
      }
      if (!req.body) throw badRequest('body: empty; send the CSV file as the request body', { field: 'file' });
      let seen = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          seen += chunk.length;
          if (seen > MAX_APPEND_CSV_BYTES) cb(new DomainError('PAYLOAD_TOO_LARGE', `body: exceeds the ${MAX_APPEND_CSV_BYTES}-byte limit of an append; import bigger files with POST /api/v1/datasets`));
          else cb(null, chunk);
        },
      });
      const map = q.get('map');
      return appendCandles(
        db,
        {
          dataset,
          csv: Readable.fromWeb(req.body as unknown as NodeWebStream<Uint8Array>).pipe(limit),
          symbol: symbolQ,
          strict: strictQ,
          format: (q.get('format') ?? undefined) as never,
          mapping: map !== null ? parseMappingSpec(map) : undefined,
          fileName: q.get('fileName') ?? undefined,
        },
        actor,
      );
    }
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type: send application/json ({ "bars": [...] } or an array of bars) or text/csv; got ${type ? `'${type}'` : 'none'}`,
      { field: 'content-type' },
    );
  },
}), { accepts: ACCEPTS.candles });
