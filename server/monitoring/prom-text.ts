/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), strict enough for tests and benches to
 * trust what they read: every sample line must be `name{label="value",…} number`, every family needs # HELP and
 * # TYPE before its samples, and label values are unescaped.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Exposition {
  samples: Sample[];
  types: Record<string, string>;
  help: Record<string, string>;
}

// Parses our own exposition in tests (measured linear).
// eslint-disable-next-line security/detect-unsafe-regex
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseValue(v: string): number {
  // Prometheus parses values with Go's ParseFloat: NaN and Inf in any case (prom-client writes 'Nan').
  if (/^[+]?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`bad sample value '${v}'`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], types: {}, help: {} };
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    if (line.startsWith('# HELP ')) {
      const [name, ...rest] = line.slice(7).split(' ');
      out.help[name] = rest.join(' ');
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new Error(`line ${i + 1}: unknown type '${type}'`);
      out.types[name] = type;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      let pos = 0;
      while (pos < m[3].length) {
        LABEL.lastIndex = pos;
        const l = LABEL.exec(m[3]);
        if (!l) throw new Error(`line ${i + 1}: bad labels: ${m[3]}`);
        labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        pos = LABEL.lastIndex;
      }
    }
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!out.types[m[1]] && !out.types[family]) throw new Error(`line ${i + 1}: sample ${m[1]} before its # TYPE`);
    out.samples.push({ name: m[1], labels, value: parseValue(m[4]) });
  }
  return out;
}

/** Samples of `name` whose labels include `match`. */
export function select(e: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** Sum of the values of `name` whose labels include `match` (0 when none). */
export function total(e: Exposition, name: string, match: Record<string, string> = {}): number {
  return select(e, name, match).reduce((a, s) => a + s.value, 0);
}
