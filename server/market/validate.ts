import type { z } from 'zod';
import { badRequestFromZod } from '../errors';

/** Parses input with a zod schema; a failure is a one-line BAD_REQUEST naming the field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what = 'input'): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw badRequestFromZod(r.error, what);
}
