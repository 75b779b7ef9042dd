/** Pure helpers of the Audit page (tested in describe.test.ts). */

/** `{ from, to }` of an audit row's details as "field: old → new" lines; other facts as "key: value". */
export function describeDetails(details: Record<string, unknown> | null): string[] {
  if (!details) return [];
  const out: string[] = [];
  const from = details.from;
  const to = details.to;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(from) || isObj(to)) {
    const f = isObj(from) ? from : {};
    const t = isObj(to) ? to : {};
    const keys = [...new Set([...Object.keys(f), ...Object.keys(t)])];
    for (const k of keys) {
      if (isObj(from) && isObj(to)) out.push(`${k}: ${show(f[k])} → ${show(t[k])}`);
      else if (isObj(to)) out.push(`${k}: ${show(t[k])}`);
      else out.push(`${k} was ${show(f[k])}`);
    }
    if (!isObj(to) && to === null) out.push('(removed)');
  }
  for (const [k, v] of Object.entries(details)) {
    if (k === 'from' || k === 'to') continue;
    if (v === undefined || v === null || v === false) continue;
    // Older rows repeat a field beside `to` (e.g. `role`): show it once.
    if (isObj(to) && k in to && JSON.stringify(to[k]) === JSON.stringify(v)) continue;
    out.push(`${k}: ${show(v)}`);
  }
  return out;
}

export function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v.length > 80 ? `${v.slice(0, 77)}…` : v;
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** The query string of the filters (empty values dropped), plus extra keys. */
export function queryOf(filters: Record<string, string | undefined>, extra: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
