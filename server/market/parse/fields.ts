/** Field-level parsing for candle CSVs: splitting a line, numbers, dates. Pure and allocation-light. */

/** Splits one CSV line. Fast path without quotes; RFC 4180 quotes (`"a,b"`, `""`) otherwise. */
export function splitLine(line: string, delim: string): string[] {
  if (line.indexOf('"') < 0) return line.split(delim);
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter backtracks quadratically on a long run of digits that fails to match
// (40,000 digits + 'x' took 0.7 s of the web process; now 0.1 ms). safe-regex still counts the nested groups.
// eslint-disable-next-line security/detect-unsafe-regex
const NUM_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal or scientific number (`1.08603`, `1.11401E+11`); NaN for anything else (empty, `0x10`, `1,5`). */
export function parseNumber(raw: string): number {
  const s = raw.trim();
  return NUM_RE.test(s) ? Number(s) : NaN;
}

// Bounded repetitions only (no nested unbounded quantifiers): linear.
const DATE_RE =
  // eslint-disable-next-line security/detect-unsafe-regex
  /^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
// eslint-disable-next-line security/detect-unsafe-regex -- bounded repetitions only
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function fracMs(frac: string | undefined): number {
  return frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
}

/**
 * `2015.03.09`, `2015-03-09`, `2015/03/09`, optionally with ` 14:00[:00[.000]]` or `T14:00:00Z` / `+02:00`.
 * Times without a zone are read as UTC. NaN when the text is not a valid calendar date/time.
 */
export function parseDate(raw: string): number {
  const m = DATE_RE.exec(raw.trim());
  if (!m) return NaN;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return NaN;
  let ms = Date.UTC(y, mo - 1, d);
  if (m[4] !== undefined) {
    const h = +m[4];
    const mi = +m[5];
    const s = m[6] !== undefined ? +m[6] : 0;
    if (h > 23 || mi > 59 || s > 59) return NaN;
    ms += ((h * 60 + mi) * 60 + s) * 1000 + fracMs(m[7]);
  }
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offMin = +digits.slice(0, 2) * 60 + +digits.slice(2, 4);
    ms -= sign * offMin * 60_000;
  }
  return ms;
}

/** `14:00`, `14:00:00`, `14:00:00.5` → milliseconds into the day; NaN otherwise. */
export function parseTimeOfDay(raw: string): number {
  const m = TIME_RE.exec(raw.trim());
  if (!m) return NaN;
  const h = +m[1];
  const mi = +m[2];
  const s = m[3] !== undefined ? +m[3] : 0;
  if (h > 23 || mi > 59 || s > 59) return NaN;
  return ((h * 60 + mi) * 60 + s) * 1000 + fracMs(m[4]);
}

/**
 * A Unix timestamp in seconds, milliseconds or microseconds (CryptoDataDownload switched units over the years),
 * told apart by magnitude: < 1e11 seconds, < 1e14 milliseconds, else microseconds. NaN when not an integer.
 */
export function parseUnix(raw: string): number {
  const s = raw.trim();
  // eslint-disable-next-line security/detect-unsafe-regex -- one optional group after a bounded run: linear
  if (!/^\d{1,19}(?:\.\d+)?$/.test(s)) return NaN;
  const v = Number(s);
  if (v < 1e11) return Math.round(v * 1000);
  if (v < 1e14) return Math.round(v);
  return Math.round(v / 1000);
}

/** A date cell that may be a calendar date or a Unix timestamp. */
export function parseDateOrUnix(raw: string): number {
  const s = raw.trim();
  // eslint-disable-next-line security/detect-unsafe-regex -- one optional group after a bounded run: linear
  return /^\d{9,19}(?:\.\d+)?$/.test(s) ? parseUnix(s) : parseDate(s);
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
