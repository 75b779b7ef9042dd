/**
 * Input checks shared by every transport (tRPC, REST, serving, CLI) and the zod helpers the input schemas use, so
 * that nothing a caller sends reaches SQL unchecked:
 *   - `checkRawInput` walks the raw JSON input before any schema: a NUL byte in any string or key (PostgreSQL text
 *     cannot hold one), a lone surrogate (jsonb rejects it), a `__proto__` key, or nesting deeper than MAX_DEPTH is a
 *     400 naming the field; so is an array of more than MAX_ARRAY_ITEMS (a backstop behind each schema's own cap).
 *   - bounded numbers and dates (`zInt4`, `zId`, `zDateInRange`) keep values inside PostgreSQL's int4 and the
 *     timestamp range that ISO strings round-trip (years 1900–9999).
 *   - `zList` caps an array and names the field and the limit.
 */
import { z } from 'zod';
import { badRequest } from './errors';

/** PostgreSQL `integer` (serial ids, version numbers, revisions). */
export const INT4_MAX = 2_147_483_647;
/** Longest array any input may hold (a backstop: each schema caps its own arrays lower, naming its limit). */
export const MAX_ARRAY_ITEMS = 100_000;
/** Deepest nesting of objects/arrays any input may have (no schema needs more than a handful). */
export const MAX_DEPTH = 32;
/** Dates must be in [1900, 10000): a Date outside serialises as `+275760-…`/`-000001-…`, which PostgreSQL rejects. */
export const MIN_DATE_MS = Date.UTC(1900, 0, 1);
export const MAX_DATE_MS = Date.UTC(10000, 0, 1) - 1;

export interface InputProblem {
  field: string;
  message: string;
}

const fieldOf = (path: (string | number)[], what: string) => (path.length ? path.join('.') : what);

const isWellFormed = (s: string): boolean =>
  typeof (s as { isWellFormed?: () => boolean }).isWellFormed === 'function' ? (s as unknown as { isWellFormed(): boolean }).isWellFormed() : !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * The first problem in a raw (JSON-parsed) input, or null: a NUL byte in a string or key, a `__proto__` key, or
 * nesting deeper than `MAX_DEPTH`. Iterative, so hostile depth cannot overflow the stack.
 */
export function findInputProblem(value: unknown, what = 'input'): InputProblem | null {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field: fieldOf(path, what), message: 'must not contain NUL bytes (\\u0000)' };
      // A lone UTF-16 surrogate (`\ud800`) is not Unicode text: PostgreSQL's jsonb rejects it, text stores U+FFFD.
      if (!isWellFormed(v)) return { field: fieldOf(path, what), message: 'must be valid Unicode text (it holds a lone surrogate, e.g. \\ud800)' };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (path.length >= MAX_DEPTH) return { field: fieldOf(path, what), message: `is nested deeper than ${MAX_DEPTH} levels` };
    if (Array.isArray(v)) {
      if (v.length > MAX_ARRAY_ITEMS) return { field: fieldOf(path, what), message: `has ${v.length} items; at most ${MAX_ARRAY_ITEMS} are accepted anywhere` };
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
      continue;
    }
    if (v instanceof Date) continue;
    for (const k of Object.keys(v)) {
      if (!isWellFormed(k)) return { field: fieldOf([...path, k.replace(/[\ud800-\udfff]/g, '?')], what), message: 'field names must be valid Unicode text' };
      if (k.includes('\u0000')) return { field: fieldOf([...path, k.replace(/\u0000/g, '\\u0000')], what), message: 'field names must not contain NUL bytes (\\u0000)' };
      if (k === '__proto__') return { field: fieldOf([...path, k], what), message: 'is not an accepted field name' };
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] });
    }
  }
  return null;
}

/** Throws a 400 (`field: reason`, `details.field`) for the first problem `findInputProblem` finds. */
export function checkRawInput(value: unknown, what = 'input'): void {
  const p = findInputProblem(value, what);
  if (p) throw badRequest(`${p.field}: ${p.message}`, { field: p.field });
}

/** The same for URL parts: path segments and query parameters (`%00` decodes to a NUL byte). */
export function checkUrl(url: URL): void {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw badRequest('path: is not valid percent-encoding', { field: 'path' });
  }
  if (path.includes('\u0000')) throw badRequest('path: must not contain NUL bytes (%00)', { field: 'path' });
  for (const [k, v] of url.searchParams) {
    if (k.includes('\u0000') || v.includes('\u0000')) {
      const field = k.replace(/\u0000/g, '\\u0000');
      throw badRequest(`${field}: must not contain NUL bytes (%00)`, { field });
    }
  }
}

// --- zod helpers --------------------------------------------------------------------------------------------------

/** An integer in [min, max] (default: a PostgreSQL int4 ≥ 0). */
export const zInt4 = (min = 0, max = INT4_MAX) =>
  z
    .number()
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** A serial id (1 … 2^31−1). */
export const zId = () => zInt4(1, INT4_MAX);

/** A Date (or ISO string / epoch ms coerced to one) within [1900, 9999]. */
export const zDateInRange = () =>
  z.coerce
    .date({ error: 'must be a date (ISO 8601)' })
    .refine((d) => d.getTime() >= MIN_DATE_MS && d.getTime() <= MAX_DATE_MS, { message: 'must be between the years 1900 and 9999' });

/** An array of at most `max` items (and at least `min`), the limit named in the message. */
export const zList = <T extends z.ZodType>(item: T, max: number, min = 0) =>
  z
    .array(item)
    .min(min, min === 1 ? 'must have at least one item' : `must have at least ${min} items`)
    .max(max, `must have at most ${max} items`);

/** Parses a version label (`v12`, `12`) to its number; null when it is not one or above 2^31−1. */
export function versionNumberOf(label: string | number): number | null {
  if (typeof label === 'number') return Number.isInteger(label) && label >= 1 && label <= INT4_MAX ? label : null;
  const m = /^v?(\d{1,10})$/.exec(label.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 1 && n <= INT4_MAX ? n : null;
}
