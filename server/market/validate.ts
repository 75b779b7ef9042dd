import type { z } from 'zod';
import { badRequest } from '../errors';

/** Parses input with a zod schema; a failure is a one-line BAD_REQUEST naming the field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what = 'input'): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || what, message: i.message }));
  throw badRequest(issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}
