import { StringDecoder } from 'node:string_decoder';
import { badRequest } from '../../errors';

/**
 * Streams a byte source as batches of text lines (one batch per chunk; `\n`, `\r\n` and a final line without a
 * newline all work). Never holds more than one chunk plus a partial line. Rejects binary input on the first chunk.
 */
export async function* readLineBatches(
  input: AsyncIterable<Uint8Array | string>,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  let bytes = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) continue;
    if (first) {
      first = false;
      assertText(buf);
    }
    bytes += buf.length;
    onBytes?.(bytes);
    let text = rest + decoder.write(buf);
    if (bytes === buf.length && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 BOM
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.charCodeAt(p.length - 1) === 13) parts[i] = p.slice(0, -1);
    }
    if (parts.length) yield parts;
  }
  rest += decoder.end();
  if (rest.length) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

/** A NUL byte or many control characters in the first chunk: not a CSV text file. */
function assertText(buf: Buffer): void {
  const n = Math.min(buf.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === 0) {
      throw badRequest('file: this is a binary file (it contains NUL bytes), not a CSV text file', { reason: 'binary' });
    }
    if (b < 32 && b !== 9 && b !== 10 && b !== 13) control++;
  }
  if (control > n * 0.05) {
    throw badRequest(`file: this looks like a binary file (${control} control characters in the first ${n} bytes), not a CSV text file`, {
      reason: 'binary',
    });
  }
}
