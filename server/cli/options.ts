/**
 * Reading CLI option values (node:util parseArgs output), in one place for every command: a wrong value is a usage
 * error (exit 2) naming the option.
 */
import type { ZodType, z } from 'zod';
import { CliError } from './types';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** A string option (the last one when given twice), or undefined. */
export function optString(values: OptionValues, name: string): string | undefined {
  const x = values[name];
  if (Array.isArray(x)) return x[x.length - 1];
  return typeof x === 'string' ? x : undefined;
}

/** A string option that must be there and not blank. */
export function requiredString(values: OptionValues, name: string, hint = ''): string {
  const v = optString(values, name)?.trim();
  if (!v) throw new CliError(`--${name} is required${hint ? ` ${hint}` : ''}`, 2);
  return v;
}

/** A numeric option, or undefined. */
export function optNumber(values: OptionValues, name: string): number | undefined {
  const v = optString(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n)) throw new CliError(`--${name}: '${v}' is not a number`, 2);
  return n;
}

/** A comma-separated list option, or undefined. */
export function optList(values: OptionValues, name: string): string[] | undefined {
  const v = optString(values, name);
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Parses a command's input with the domain's zod schema; the first issue becomes `--<option>: reason` (exit 2).
 * `flagOf` maps input fields to option names where they differ (e.g. `{ expiresAt: 'expires' }`).
 */
export function parseOptions<S extends ZodType>(schema: S, input: unknown, flagOf: Record<string, string> = {}): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const field = String(i.path[0] ?? 'input');
  throw new CliError(`--${flagOf[field] ?? field}: ${i.message}`, 2);
}
