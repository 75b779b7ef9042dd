import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { appDb } from '@/server/db/app';
import { restHandler } from '@/server/http/rest';
import { importCandles } from '@/server/market/import';
import { listDatasets } from '@/server/market/store';
import { parseMappingSpec } from '@/server/market/parse/formats';
import { DomainError, badRequest } from '@/server/errors';
import { ACCEPTS, guarded } from '@/server/http/guard';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;

/** GET /api/v1/datasets — the datasets (read). */
export const GET = guarded(restHandler({ need: { role: 'analyst', scope: 'read' }, getDb: () => appDb().db, run: async ({ db }) => ({ datasets: await listDatasets(db) }) }));

/**
 * POST /api/v1/datasets?dataset=NAME[&symbol=S&timeframe=1h&format=auto&strict=true&map=ts=Date,open=O,...]
 * Body: the CSV file, either raw (`Content-Type: text/csv`, streamed) or as the `file` field of multipart/form-data.
 * Answers the import report: { dataset, read, inserted, skipped, first, last, errors: [{ line, reason }], ... }.
 */
export const POST = guarded(restHandler({
  need: { role: 'engineer', scope: 'train' },
  getDb: () => appDb().db,
  run: async ({ db, actor, req }) => {
    const q = new URL(req.url).searchParams;
    const type = req.headers.get('content-type') ?? '';
    let source: Readable | Buffer;
    let fileName = q.get('fileName') ?? undefined;
    if (type.startsWith('multipart/form-data')) {
      const form = await req.formData().catch(() => {
        throw badRequest('body: not valid multipart/form-data');
      });
      const file = form.get('file');
      if (!(file instanceof File)) throw badRequest("file: send the CSV as the multipart field 'file'", { field: 'file' });
      if (file.size > MAX_UPLOAD_BYTES) throw new DomainError('PAYLOAD_TOO_LARGE', `file: ${file.size} bytes exceeds the ${MAX_UPLOAD_BYTES}-byte limit`);
      source = Buffer.from(await file.arrayBuffer());
      fileName ??= file.name;
    } else {
      if (!req.body) throw badRequest('body: empty; send the CSV file as the request body', { field: 'file' });
      let seen = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          seen += chunk.length;
          if (seen > MAX_UPLOAD_BYTES) cb(new DomainError('PAYLOAD_TOO_LARGE', `file: exceeds the ${MAX_UPLOAD_BYTES}-byte limit`));
          else cb(null, chunk);
        },
      });
      source = Readable.fromWeb(req.body as unknown as NodeWebStream<Uint8Array>).pipe(limit);
    }
    const map = q.get('map');
    const strict = q.get('strict');
    return importCandles(db, {
      source,
      dataset: q.get('dataset') ?? '',
      symbol: q.get('symbol') ?? undefined,
      timeframe: q.get('timeframe') ?? undefined,
      format: (q.get('format') ?? undefined) as never,
      // The CLI's --map spec (ts=Date,open=O,…), validated by the same zod schema: a bad one is a 400 naming the field.
      mapping: map !== null ? parseMappingSpec(map) : undefined,
      strict: strict === null ? undefined : strict === 'true' || strict === '1',
      fileName,
      actor,
    });
  },
}), { accepts: ACCEPTS.upload });
