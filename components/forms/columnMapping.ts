/**
 * The Data page's column mapping: when an import answers that the file's columns were not recognised, the server's
 * error carries the header (`details.header`); the user picks which column is time / open / high / low / close /
 * volume and the upload is retried with `map=ts=<col>,open=<col>,…` — the same spec as the CLI's `--map`, which the
 * server validates with its zod schema. This module is the pure part (guess, validate, spec), tested directly.
 */
import { z } from 'zod';

export const MAPPING_FIELDS = [
  { key: 'ts', label: 'Time (date or date-time)', required: true },
  { key: 'time', label: 'Time of day (if in its own column)', required: false },
  { key: 'open', label: 'Open', required: true },
  { key: 'high', label: 'High', required: true },
  { key: 'low', label: 'Low', required: true },
  { key: 'close', label: 'Close', required: true },
  { key: 'volume', label: 'Volume', required: false },
] as const;
export type MappingKey = (typeof MAPPING_FIELDS)[number]['key'];
/** Chosen column index per field (0-based); null = none. */
export type MappingChoice = Record<MappingKey, number | null>;

/** What the import error says about the file's columns, when it says anything. */
export interface MappingProblem {
  header: string[];
  /** The field the server named (e.g. 'ts' when a mapped column is not in the header). */
  field: string | null;
}

const REASONS = new Set(['unrecognised-header', 'missing-columns', 'mapping-column-not-found']);

export function mappingProblem(error: { field?: unknown; details?: unknown } | null | undefined): MappingProblem | null {
  const d = error?.details as { reason?: unknown; header?: unknown; field?: unknown } | undefined;
  if (!d || typeof d.reason !== 'string' || !REASONS.has(d.reason)) return null;
  if (!Array.isArray(d.header) || !d.header.length || !d.header.every((h) => typeof h === 'string')) return null;
  const field = typeof d.field === 'string' ? d.field : typeof error?.field === 'string' ? error.field : null;
  return { header: d.header as string[], field };
}

const GUESS: Record<MappingKey, RegExp> = {
  ts: /^(date|datetime|date ?time|timestamp|time ?stamp|when|ts|t|day|period|open ?time|gmt ?time|local ?time|unix)$/,
  time: /^(time|hour|clock)$/,
  open: /^(open|o|opening|first|open ?price|price ?open)$/,
  high: /^(high|h|max|hi|high ?price|price ?high)$/,
  low: /^(low|l|min|lo|low ?price|price ?low)$/,
  close: /^(close|c|closing|last|adj ?close|close ?price|price ?close|price)$/,
  volume: /^(volume|vol|v|qty|quantity|tick ?volume|tickvol|amount|size)$/,
};

const norm = (h: string) => h.trim().replace(/^<|>$/g, '').toLowerCase().replace(/[\s_-]+/g, ' ');

/** A first guess from the column names; each column is used at most once. */
export function guessMapping(header: readonly string[]): MappingChoice {
  const used = new Set<number>();
  const out = {} as MappingChoice;
  for (const { key } of MAPPING_FIELDS) {
    const i = header.findIndex((h, j) => !used.has(j) && GUESS[key].test(norm(h)));
    out[key] = i >= 0 ? i : null;
    if (i >= 0) used.add(i);
  }
  // A separate time-of-day column only makes sense beside a date column.
  if (out.time != null && out.ts == null) {
    out.ts = out.time;
    out.time = null;
  }
  return out;
}

/** The choice as the server's schema sees it: every required field names a column of the header. */
export function mappingSchema(header: readonly string[]) {
  const column = (label: string) =>
    z
      .number({ error: `${label}: choose a column` })
      .int()
      .min(0)
      .max(header.length - 1, `${label}: not a column of this file`);
  const optional = (label: string) => column(label).nullable();
  return z
    .object({
      ts: column('Time'),
      time: optional('Time of day'),
      open: column('Open'),
      high: column('High'),
      low: column('Low'),
      close: column('Close'),
      volume: optional('Volume'),
    })
    .refine((m) => m.time == null || m.time !== m.ts, { message: 'Time of day: choose a different column from Time', path: ['time'] });
}

export type MappingCheck = { ok: true; spec: string } | { ok: false; field: MappingKey; message: string };

/**
 * Validates the choice and builds the `map` spec. A column is named by its header text, or by its 1-based number
 * (`#3`) when the name could not travel in the spec (a comma, empty, a duplicate, or a bare number).
 */
export function mappingSpec(choice: Partial<MappingChoice>, header: readonly string[]): MappingCheck {
  const r = mappingSchema(header).safeParse({ time: null, volume: null, ...choice });
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, field: (issue.path[0] as MappingKey) ?? 'ts', message: issue.message };
  }
  const ref = (i: number) => {
    const name = header[i].trim();
    const unique = header.filter((h) => h.trim().toLowerCase() === name.toLowerCase()).length === 1;
    return name && unique && !/[,=]/.test(name) && !/^#?\d+$/.test(name) ? name : `#${i + 1}`;
  };
  const parts = MAPPING_FIELDS.flatMap(({ key }) => {
    const i = r.data[key];
    return i == null ? [] : [`${key}=${ref(i)}`];
  });
  return { ok: true, spec: parts.join(',') };
}

/**
 * A server message as a web user should read it: advice meant for the CLI (`--map …`, `--format …`) is dropped —
 * the Data page offers the mapping itself.
 */
export function forWebUser(message: string): string {
  const kept = message
    .replace(/\s*\([^()]*--[a-z][^()]*\)/g, '')
    .split(/;\s+/)
    .map((part) => part.replace(/,?\s*or pass --.*$/, '').trim())
    .filter((part) => part && !/(^|\s)--[a-z]/.test(part));
  return kept.join('; ') || 'The file could not be imported.';
}
