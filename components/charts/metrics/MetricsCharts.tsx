'use client';
import type { ReactNode } from 'react';
import { ResponsiveContainer, AreaChart, Area, LineChart, Line, BarChart, Bar, XAxis, YAxis, Tooltip, CartesianGrid, Legend } from 'recharts';
import { CLASS_COLORS, CLASS_LABELS, hourMinute, monthDayTime, pct, int } from '../format';
import { colorOf, type MetricsSeries, type RangeName } from './types';
import styles from './Metrics.module.css';

/** Legend text in the body colour (recharts colours it like its series, which fails contrast for light ones). */
export const LEGEND = {
  wrapperStyle: { fontSize: 12 },
  formatter: (value: unknown) => <span style={{ color: '#344054' }}>{String(value)}</span>,
};
export const GRID = <CartesianGrid stroke="#eef0f3" />;
export const MARGIN = { top: 8, right: 14, bottom: 4, left: 4 };
const H = 220;

const tickOf = (range: RangeName) => (t: number) => (range === '7d' ? monthDayTime(t) : hourMinute(t));
const ms = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : v < 10 ? `${v.toFixed(2)} ms` : v < 100 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
/** 0.0042 → "0.0042", 0.35 → "0.35", 3.5 → "3.5", 350 → "350": enough digits for slow and fast traffic alike. */
export const compact = (v: number) => (v === 0 ? '0' : v >= 100 ? String(Math.round(v)) : v >= 1 ? String(Number(v.toFixed(1))) : String(Number(v.toPrecision(2))));
const rps = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : `${compact(v)} req/s`);

/**
 * A chart with its title, unit and an accessible name: the chart itself is `role="img"` with an aria-label that says
 * what it shows and its latest or summary figure (screen readers cannot read an SVG plot).
 */
export function ChartCard({ title, unit, label, testId, children, points, control, bare = false }: { title: string; unit: string; label: string; testId: string; children: ReactNode; points?: number; control?: ReactNode; /** Inside another card: no border or padding of its own. */ bare?: boolean }) {
  return (
    <section className={bare ? styles.bare : `card ${styles.chart}`} data-testid={testId} data-points={points}>
      <div className={styles.chartHead}>
        <h3>
          {title} <span className="muted small">({unit})</span>
        </h3>
        {control}
      </div>
      <div role="img" aria-label={`${title}, ${unit}: ${label}`}>
        {children}
      </div>
    </section>
  );
}

const TICK_EVERY_MS: Record<RangeName, number> = { '15m': 180_000, '1h': 600_000, '24h': 3 * 3_600_000, '7d': 86_400_000 };
/** Ticks on round times (every 3 min, 10 min, 3 h or 1 day, UTC). */
function ticksOf(s: MetricsSeries) {
  const every = TICK_EVERY_MS[s.range];
  const out: number[] = [];
  for (let t = Math.ceil(s.from / every) * every; t <= s.to; t += every) out.push(t);
  return out;
}
function xAxis(s: MetricsSeries) {
  return <XAxis dataKey="t" type="number" domain={[s.from, s.to]} ticks={ticksOf(s)} tickFormatter={tickOf(s.range)} fontSize={11} minTickGap={20} />;
}
const yAxis = (width: number, fmt: (v: number) => string, domain?: [number | string, number | string]) => <YAxis width={width} fontSize={11} tickFormatter={fmt} domain={domain ?? [0, 'auto']} allowDecimals />;
const tooltipTime = (s: MetricsSeries) => (t: unknown) => `${s.range === '7d' ? monthDayTime(Number(t)) : hourMinute(Number(t))} UTC · ${s.stepSeconds >= 3600 ? `${s.stepSeconds / 3600} h` : s.stepSeconds >= 60 ? `${s.stepSeconds / 60} min` : `${s.stepSeconds} s`} step`;

/** Requests per second per model version, stacked: the total height is the whole throughput. */
export function ThroughputChart({ s, keys }: { s: MetricsSeries; keys: string[] }) {
  const data = s.points.map((p) => ({ t: p.t, ...Object.fromEntries(keys.map((k) => [k, p.byVersion[k]?.rps ?? 0])) }));
  const last = [...s.points].reverse().find((p) => p.requests > 0);
  return (
    <ChartCard title="Throughput per version" unit="requests per second, stacked" testId="chart-throughput" points={s.points.filter((p) => p.requests > 0).length} label={`${keys.length} series; ${int(s.totals.requests)} requests in the range, ${rps(s.totals.rps)} on average${last ? `, ${rps(last.rps)} in the last step with traffic` : ''}`}>
      <ResponsiveContainer width="100%" height={H}>
        <AreaChart data={data} margin={MARGIN}>
          {GRID}
          {xAxis(s)}
          {yAxis(48, compact)}
          <Tooltip labelFormatter={tooltipTime(s)} formatter={(v, n) => [rps(Number(v)), String(n)]} />
          <Legend {...LEGEND} />
          {keys.map((k) => (
            <Area key={k} type="stepAfter" dataKey={k} name={k} stackId="rps" stroke={colorOf(keys, k)} fill={colorOf(keys, k)} fillOpacity={0.35} isAnimationActive={false} />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** p50 / p95 / p99 latency per step, of every version merged or of one version. */
export function LatencyChart({ s, version, control }: { s: MetricsSeries; version: string | null; control?: ReactNode }) {
  const data = s.points.map((p) => {
    const src = version ? p.byVersion[version] : p;
    return { t: p.t, p50: src?.p50Ms ?? null, p95: src?.p95Ms ?? null, p99: src?.p99Ms ?? null };
  });
  const has = data.filter((d) => d.p50 !== null).length;
  return (
    <ChartCard title={`Latency${version ? ` of ${version}` : ', all versions'}`} unit="milliseconds" testId="chart-latency" points={has} control={control} label={version ? `p50, p95, p99 of ${version}` : `p50 ${ms(s.totals.p50Ms)}, p95 ${ms(s.totals.p95Ms)}, p99 ${ms(s.totals.p99Ms)} over the range`}>
      <ResponsiveContainer width="100%" height={H}>
        <LineChart data={data} margin={MARGIN}>
          {GRID}
          {xAxis(s)}
          {yAxis(52, (v) => (v < 10 ? v.toFixed(1) : String(Math.round(v))))}
          <Tooltip labelFormatter={tooltipTime(s)} formatter={(v, n) => [ms(v == null ? null : Number(v)), String(n)]} />
          <Legend {...LEGEND} />
          <Line dataKey="p50" name="p50" stroke="#0f7554" dot={has < 3} strokeWidth={1.8} isAnimationActive={false} connectNulls={false} />
          <Line dataKey="p95" name="p95" stroke="#e8590c" dot={has < 3} strokeWidth={1.8} isAnimationActive={false} connectNulls={false} />
          <Line dataKey="p99" name="p99" stroke="#c0362c" dot={has < 3} strokeWidth={1.8} strokeDasharray="5 3" isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** Upper ends of a rate axis: the smallest that holds the data (an all-zero error rate shows 0–1 %). */
const NICE_MAX = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
const pctTick = (v: number) => {
  const p = v * 100;
  return `${p === 0 ? '0' : p < 1 ? p.toFixed(2).replace(/0$/, '') : p < 10 ? p.toFixed(1).replace(/\.0$/, '') : Math.round(p)}%`;
};

/** One rate (a fraction per step) as a line in percent. */
export function RateChart({ s, field, title, testId, color, total, note }: { s: MetricsSeries; field: 'errorRate' | 'cacheHitRate' | 'imputedShare'; title: string; testId: string; color: string; total: number | null; note: string }) {
  const data = s.points.map((p) => ({ t: p.t, v: p[field] }));
  const has = data.filter((d) => d.v !== null).length;
  return (
    <ChartCard title={title} unit={`% of ${note}`} testId={testId} points={has} label={`${pct(total, 2)} over the range`}>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={MARGIN}>
          {GRID}
          {xAxis(s)}
          {yAxis(48, pctTick, [0, (max: number) => NICE_MAX.find((n) => n >= max * 1.1) ?? 1] as never)}
          <Tooltip labelFormatter={tooltipTime(s)} formatter={(v) => [pct(v == null ? null : Number(v), 2), title]} />
          <Line dataKey="v" name={title} stroke={color} dot={has < 3} strokeWidth={1.8} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** Mean tensor batch size per step (how many requests ran in one model call). */
export function BatchChart({ s }: { s: MetricsSeries }) {
  const data = s.points.map((p) => ({ t: p.t, v: p.meanBatchSize }));
  const has = data.filter((d) => d.v !== null).length;
  return (
    <ChartCard title="Mean batch size" unit="requests per model call" testId="chart-batch" points={has} label={`${s.totals.meanBatchSize == null ? '—' : s.totals.meanBatchSize.toFixed(1)} over the range`}>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={MARGIN}>
          {GRID}
          {xAxis(s)}
          {yAxis(40, (v) => (v < 2 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : String(Math.round(v))))}
          <Tooltip labelFormatter={tooltipTime(s)} formatter={(v) => [v == null ? '—' : Number(v).toFixed(1), 'mean batch size']} />
          <Line dataKey="v" name="mean batch size" stroke="#7c3aed" dot={has < 3} strokeWidth={1.8} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** The A/B check: per version, the share of the model's answered requests it got beside the configured percent. */
export function ShareChart({ s, bare }: { s: MetricsSeries; bare?: boolean }) {
  const data = s.share.flatMap((m) => m.versions.map((v) => ({ key: v.key, actual: v.actual, configured: v.configured, answered: v.answered })));
  const summary = data.map((d) => `${d.key} actual ${pct(d.actual)} vs configured ${pct(d.configured, 0)}`).join('; ');
  return (
    <ChartCard bare={bare} title="Traffic share per version: actual vs configured" unit="% of the model's answered requests" testId="chart-share" points={data.filter((d) => d.actual !== null).length} label={summary || 'no model has traffic configured'}>
      {data.length ? (
        <ResponsiveContainer width="100%" height={H}>
          <BarChart data={data} margin={MARGIN}>
            {GRID}
            <XAxis dataKey="key" fontSize={11} interval={0} />
            {yAxis(44, (v) => `${Math.round(v * 100)}%`, [0, 1])}
            <Tooltip formatter={(v, n, p) => [n === 'actual' ? `${pct(v == null ? null : Number(v))} (${int(p.payload.answered)} answered)` : pct(v == null ? null : Number(v), 0), String(n)]} />
            <Legend {...LEGEND} />
            <Bar dataKey="actual" name="actual" fill="#2a62d6" isAnimationActive={false} />
            <Bar dataKey="configured" name="configured" fill="#94a3b8" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      ) : (
        <p className="muted">No model has a traffic split yet: a model&apos;s first version that passes the gate gets 100 %.</p>
      )}
    </ChartCard>
  );
}

/** Predicted class counts per step, stacked. */
export function ClassMixChart({ s }: { s: MetricsSeries }) {
  const data = s.points.map((p) => ({ t: p.t, ...p.classes }));
  const c = s.totals.classes;
  const n = c.SELL + c.HOLD + c.BUY;
  return (
    <ChartCard title="Predicted class mix" unit="predictions per step, stacked" testId="chart-classes" points={s.points.filter((p) => p.predictions > 0).length} label={CLASS_LABELS.map((k) => `${k} ${pct(n ? c[k] / n : null)}`).join(', ')}>
      <ResponsiveContainer width="100%" height={H}>
        <BarChart data={data} margin={MARGIN} barCategoryGap={1}>
          {GRID}
          {xAxis(s)}
          {yAxis(48, (v) => int(v))}
          <Tooltip labelFormatter={tooltipTime(s)} formatter={(v, name) => [int(Number(v)), String(name)]} />
          <Legend {...LEGEND} />
          {CLASS_LABELS.map((k) => (
            <Bar key={k} dataKey={k} name={k} stackId="cls" fill={k === 'HOLD' ? '#64748b' : CLASS_COLORS[k]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** Confidence of answered predictions over the range, in deciles. */
export function ConfidenceChart({ s }: { s: MetricsSeries }) {
  const data = s.confidence.map((b) => ({ bin: `${b.from}–${b.to}`, count: b.count }));
  const n = data.reduce((a, b) => a + b.count, 0);
  const low = s.totals.lowConfidenceRate;
  return (
    <ChartCard title="Confidence distribution" unit="predictions per confidence decile, %" testId="chart-confidence" points={data.filter((d) => d.count > 0).length} label={`${int(n)} predictions; ${pct(low)} below 50 % confidence`}>
      <ResponsiveContainer width="100%" height={H}>
        <BarChart data={data} margin={MARGIN}>
          {GRID}
          <XAxis dataKey="bin" fontSize={11} interval={0} angle={-30} textAnchor="end" height={42} />
          {yAxis(48, (v) => int(v))}
          <Tooltip formatter={(v) => [int(Number(v)), 'predictions']} labelFormatter={(l) => `confidence ${l} %`} />
          <Bar dataKey="count" name="predictions" fill="#0e7490" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** Requests per symbol over the range, most first. */
export function TopSymbolsChart({ s }: { s: MetricsSeries }) {
  const data = s.topSymbols;
  return (
    <ChartCard title="Top symbols" unit="requests in the range" testId="chart-symbols" points={data.length} label={data.map((d) => `${d.symbol} ${int(d.requests)}`).join(', ') || 'none'}>
      <ResponsiveContainer width="100%" height={Math.max(120, 28 * data.length + 40)}>
        <BarChart data={data} layout="vertical" margin={{ ...MARGIN, left: 8 }}>
          {GRID}
          <XAxis type="number" fontSize={11} tickFormatter={(v: number) => int(v)} allowDecimals={false} />
          <YAxis type="category" dataKey="symbol" width={84} fontSize={11} />
          <Tooltip formatter={(v) => [int(Number(v)), 'requests']} />
          <Bar dataKey="requests" name="requests" fill="#2a62d6" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
