/**
 * Input generators for the fuzz test: fast-check arbitraries built from a zod schema's JSON Schema (valid-ish
 * samples: the right shape, values near the names that exist in the seeded database), and mutations of a sample
 * (a field replaced by a hostile value or another type, an extra key, deep nesting).
 */
import fc from 'fast-check';
import { z } from 'zod';
import { HOSTILE_VALUES } from './hostile-corpus';

type Json = Record<string, unknown>;

export interface SampleHints {
  /** Strings that name things that exist (datasets, models, versions, symbols): used for plain string fields. */
  names: string[];
  /** Values that exist, by field name (e.g. model → 'signals'): preferred for a field of that name. */
  byField?: Record<string, unknown[]>;
}

/** The JSON Schema of a procedure's input parser (zod), or null when it has none / cannot be converted. */
export function inputJsonSchema(parser: unknown): Json | null {
  if (!parser || typeof parser !== 'object' || !('_zod' in (parser as object))) return null;
  try {
    return z.toJSONSchema(parser as z.ZodType, { io: 'input', unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as Json;
  } catch {
    return null;
  }
}

const clampInt = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(-2_147_483_648, Math.min(2_147_483_647, Math.trunc(v))) : d);

/** An arbitrary of values that (mostly) satisfy `schema`. */
export function arbitraryOf(schema: Json | undefined | boolean, hints: SampleHints, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || schema === true || depth > 6) return fc.constantFrom<unknown>('x', 1, null);
  const s = schema as Json;
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (Array.isArray(alts) && alts.length) return fc.oneof(...alts.map((a) => arbitraryOf(a, hints, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) return arbitraryOf((s.allOf as Json[])[0], hints, depth + 1);
  const type = Array.isArray(s.type) ? (s.type as string[])[0] : (s.type as string | undefined);
  switch (type) {
    case 'string': {
      if (s.format === 'uuid') return fc.uuid();
      if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      const max = typeof s.maxLength === 'number' ? s.maxLength : 40;
      if (typeof s.pattern === 'string') {
        let re: RegExp | null = null;
        try {
          re = new RegExp(s.pattern as string);
        } catch {
          re = null;
        }
        if (re) {
          const named = hints.names.filter((n) => re!.test(n) && n.length >= min && n.length <= max);
          const gen = fc.stringMatching(re).filter((x) => x.length >= min && x.length <= max);
          return named.length ? fc.oneof(fc.constantFrom(...named), gen) : gen;
        }
      }
      const named = hints.names.filter((n) => n.length >= min && n.length <= max);
      const gen = fc.string({ minLength: min, maxLength: Math.min(max, 40) });
      return named.length ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...named) }, { weight: 1, arbitrary: gen }) : gen;
    }
    case 'integer': {
      const min = clampInt(s.minimum ?? (typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : undefined), -1000);
      const max = clampInt(s.maximum ?? (typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : undefined), 1000);
      return fc.oneof(fc.integer({ min, max: Math.max(min, Math.min(max, min + 100)) }), fc.integer({ min, max: Math.max(min, max) }));
    }
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : -1e6;
      const max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : 1e6;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = arbitraryOf((s.items as Json) ?? {}, hints, depth + 1);
      const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxLength = Math.max(minLength, Math.min(typeof s.maxItems === 'number' ? s.maxItems : 5, minLength + 4));
      return fc.array(item, { minLength, maxLength });
    }
    case 'object':
    default: {
      const props = (s.properties ?? {}) as Record<string, Json>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      const keys = Object.keys(props);
      if (!keys.length) {
        if (s.additionalProperties && typeof s.additionalProperties === 'object') {
          return fc.dictionary(fc.constantFrom('a', 'b', 'EURUSD', 'rsi_value'), arbitraryOf(s.additionalProperties as Json, hints, depth + 1), { maxKeys: 3 });
        }
        return fc.constant({});
      }
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const k of keys) {
        const own = arbitraryOf(props[k], hints, depth + 1);
        const known = hints.byField?.[k];
        model[k] = known?.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: own }) : own;
      }
      return fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) });
    }
  }
}

/** Paths to every value inside `v` (objects and arrays), the root included as []. */
export function pathsOf(v: unknown, max = 200): (string | number)[][] {
  const out: (string | number)[][] = [[]];
  const walk = (x: unknown, p: (string | number)[]) => {
    if (out.length >= max || !x || typeof x !== 'object') return;
    for (const [k, c] of Object.entries(x)) {
      const q = [...p, Array.isArray(x) ? Number(k) : k];
      out.push(q);
      walk(c, q);
    }
  };
  walk(v, []);
  return out;
}

/** A copy of `v` with the value at `path` replaced (the root when path is []). */
export function replaceAt(v: unknown, path: (string | number)[], to: unknown): unknown {
  if (!path.length) return to;
  const copy: unknown = Array.isArray(v) ? [...v] : v && typeof v === 'object' ? { ...(v as Json) } : {};
  const [head, ...rest] = path;
  (copy as Json)[head as string] = replaceAt((v as Json | undefined)?.[head as string], rest, to);
  return copy;
}

/** Small hostile values for mutations (the corpus's huge ones are run separately, once per route). */
const SMALL_HOSTILE = HOSTILE_VALUES.filter((v) => JSON.stringify(v ?? null).length < 300);

/** Mutations of a sample: a field (or the whole input) replaced by a hostile value, another type, or wrapped; an extra key. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return base.chain((v) => {
    const paths = pathsOf(v);
    return fc.oneof(
      fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...SMALL_HOSTILE)).map(([p, h]) => replaceAt(v, p, h)),
      fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object())).map(([p, h]) =>
        replaceAt(v, p, h),
      ),
      fc.constantFrom(...paths).map((p) => replaceAt(v, p, [v])),
      fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', '', 'a\u0000b'), fc.jsonValue()).map(([k, x]) =>
        // A computed key defines an own property, `__proto__` included (as JSON.parse does).
        v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Json), [k]: x } : [v, x],
      ),
    );
  });
}
