/** Number, time and status formatting shared by the Training and Models pages (no data access). */
import type { Tone } from '@/components/ui/Badge';

type N = number | null | undefined;
const ok = (v: N): v is number => typeof v === 'number' && Number.isFinite(v);

export const pct = (v: N, digits = 1) => (ok(v) ? `${(v * 100).toFixed(digits)}%` : '—');
export const num = (v: N, digits = 3) => (ok(v) ? v.toFixed(digits) : '—');
export const signed = (v: N, digits = 3) => (ok(v) ? `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(digits)}` : '—');
export const signedPct = (v: N, digits = 1) => (ok(v) ? `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v * 100).toFixed(digits)}%` : '—');
export const int = (v: N) => (ok(v) ? Math.round(v).toLocaleString('en') : '—');

export function duration(ms: N): string {
  if (!ok(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Dates and times: the one set of formatters every page and chart uses. Always UTC (the server renders some pages and
 * the browser others: a local time zone would differ between the two), ISO-like, '—' for a missing or invalid value.
 */
export type DateInput = Date | string | number | null | undefined;
function iso(d: DateInput): string | null {
  if (d == null || d === '') return null;
  const t = d instanceof Date ? d.getTime() : typeof d === 'number' ? d : Date.parse(d);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}
/** `2026-11-26 17:50` (UTC). */
export const dateTime = (d: DateInput) => iso(d)?.slice(0, 16).replace('T', ' ') ?? '—';
/** `2026-11-26` (UTC). */
export const dateOnly = (d: DateInput) => iso(d)?.slice(0, 10) ?? '—';
/** `17:50:01` (UTC). */
export const timeOfDay = (d: DateInput) => iso(d)?.slice(11, 19) ?? '—';
/** `17:50` (UTC). */
export const hourMinute = (d: DateInput) => iso(d)?.slice(11, 16) ?? '—';
/** `11-26 17:50` (UTC): a chart tick within a few days. */
export const monthDayTime = (d: DateInput) => iso(d)?.slice(5, 16).replace('T', ' ') ?? '—';

/** Wall time of a run: start → end, or start → now while it runs. */
export function runDuration(startedAt: Date | string | null, endedAt: Date | string | null, now = Date.now()): number | null {
  if (!startedAt) return null;
  return (endedAt ? new Date(endedAt).getTime() : now) - new Date(startedAt).getTime();
}

/**
 * Who or what started a run, said once: a manual start names the person or key ("manual · admin"); a trigger that
 * already names its actor ("cli" by cli, "schedule (0 2 * * 0)" by schedule) is shown alone ("cli", not "cli · cli");
 * otherwise both ("cli eval · ops-bot").
 */
export function runOrigin(trigger: string | null | undefined, createdBy: string | null | undefined): string {
  const t = (trigger ?? '').trim() || 'manual';
  const by = (createdBy ?? '').trim();
  if (!by) return t;
  if (t === by || t.startsWith(`${by} `)) return t;
  return `${t} · ${actorLabel(by)}`;
}

/** An audit actor as a person reads it: `user:admin` → "admin", `apikey:trading-app` → "key trading-app". */
export function actorLabel(actor: string | null | undefined): string {
  const a = (actor ?? '').trim();
  if (a.startsWith('user:')) return a.slice(5);
  if (a.startsWith('apikey:')) return `key ${a.slice(7)}`;
  return a || '—';
}

export const runTone = (s: string): Tone => (s === 'succeeded' ? 'ok' : s === 'failed' ? 'bad' : s === 'running' || s === 'queued' ? 'info' : 'neutral');
export const versionTone = (s: string): Tone => (s === 'candidate' ? 'ok' : s === 'rejected' ? 'bad' : 'neutral');
export const stageTone = (s: string): Tone => (s === 'done' ? 'ok' : s === 'failed' ? 'bad' : s === 'running' ? 'info' : 'neutral');

/** `0 2 * * 0` → "Sundays at 02:00" for the simple shapes a person types; the expression itself otherwise. */
export function describeCron(cron: string, tz = 'UTC'): string {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return cron;
  const [mi, h, dom, mon, dow] = f;
  if (!/^\d+$/.test(mi) || !/^\d+$/.test(h) || mon !== '*') return cron;
  const at = `${h.padStart(2, '0')}:${mi.padStart(2, '0')} ${tz}`;
  const days = ['Sundays', 'Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays'];
  if (dom === '*' && dow === '*') return `daily at ${at}`;
  if (dom === '*' && /^[0-7]$/.test(dow)) return `${days[Number(dow) % 7]} at ${at}`;
  if (dom === '*' && dow === '1-5') return `weekdays at ${at}`;
  if (/^\d+$/.test(dom) && dow === '*') return `day ${dom} of every month at ${at}`;
  return cron;
}

export const CLASS_LABELS = ['SELL', 'HOLD', 'BUY'] as const;
export const CLASS_COLORS = { SELL: '#c0362c', HOLD: '#94a3b8', BUY: '#12805c' } as const;

/** A delay as a person reads it: `45 min`, `3 h 10 min`, `2 d 4 h`, `1,204 d`. */
export function lateBy(ms: N): string {
  if (!ok(ms) || ms < 0) return '—';
  const MIN = 60_000;
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  if (ms < HOUR) return `${Math.max(1, Math.round(ms / MIN))} min`;
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const m = Math.round((ms - h * HOUR) / MIN);
    return m && m < 60 ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(ms / DAY);
  const h = Math.round((ms - d * DAY) / HOUR);
  return h && h < 24 && d < 30 ? `${d.toLocaleString('en')} d ${h} h` : `${d.toLocaleString('en')} d`;
}
