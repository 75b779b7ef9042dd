'use client';
import { ResponsiveContainer, BarChart, Bar, LineChart, Line, XAxis, YAxis, Tooltip, Legend, ReferenceArea } from 'recharts';
import { ChartCard, GRID, LEGEND, MARGIN } from '@/components/charts/metrics/MetricsCharts';
import { SERIES_COLORS } from '@/components/charts/metrics/types';
import { CLASS_LABELS, hourMinute, int, pct } from '@/components/charts/format';
import { splitText } from './sliders';
import type { ShadowPair } from './types';

/** A version keeps its colour on every chart of the page (by version number). */
export const versionColor = (version: number) => SERIES_COLORS[(version - 1) % SERIES_COLORS.length];

/** The split now and after Apply, as two stacked bars of 100 %: the live preview of the sliders. */
/** `next` null: nothing to preview (read only, or a canary owns the split): the split now only. */
export function SplitPreviewChart({ versions, now, next }: { versions: number[]; now: { version: number; percent: number }[]; next: { version: number; percent: number }[] | null }) {
  const row = (name: string, s: { version: number; percent: number }[]) => ({ name, ...Object.fromEntries(versions.map((v) => [`v${v}`, s.find((e) => e.version === v)?.percent ?? 0])) });
  const data = next ? [row('now', now), row('after Apply', next)] : [row('now', now)];
  return (
    <ChartCard bare title={next ? 'Preview' : 'Split now'} unit="% of traffic" testId="split-preview" points={versions.length} label={next ? `now ${splitText(now)}; after Apply ${splitText(next)}` : `now ${splitText(now)}`}>
      <ResponsiveContainer width="100%" height={next ? 132 : 96}>
        <BarChart data={data} layout="vertical" margin={MARGIN} barCategoryGap={10}>
          <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={(v: number) => `${v}%`} fontSize={11} />
          <YAxis type="category" dataKey="name" width={78} fontSize={11} />
          <Tooltip formatter={(v, n) => [`${Number(v)} %`, String(n)]} />
          <Legend {...LEGEND} />
          {versions.map((v) => (
            <Bar key={v} dataKey={`v${v}`} name={`v${v}`} stackId="split" fill={versionColor(v)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** Agreement of the shadow with the version that answered, per step, with the range's 95 % interval as a band. */
export function AgreementChart({ pair, from, to }: { pair: ShadowPair; from: number; to: number }) {
  const data = pair.points.map((p) => ({ t: p.t, agreement: p.agreement === null ? null : p.agreement * 100 }));
  const has = data.filter((d) => d.agreement !== null).length;
  const ci = pair.agreementCi;
  return (
    <ChartCard
      bare
      title={`Agreement of v${pair.version} with v${pair.primaryVersion}`}
      unit="% of mirrored requests with the same direction"
      testId="chart-agreement"
      points={has}
      label={`${pct(pair.agreement)} over the range${ci ? ` (95 % interval ${pct(ci[0])} to ${pct(ci[1])})` : ''}, ${int(pair.requests)} mirrored requests`}
    >
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={MARGIN}>
          {GRID}
          <XAxis dataKey="t" type="number" domain={[from, to]} tickFormatter={(t: number) => hourMinute(t)} fontSize={11} minTickGap={24} />
          <YAxis width={44} fontSize={11} domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} />
          {ci ? <ReferenceArea y1={ci[0] * 100} y2={ci[1] * 100} fill="#2a62d6" fillOpacity={0.08} ifOverflow="extendDomain" /> : null}
          <Tooltip labelFormatter={(t) => `${hourMinute(Number(t))} UTC`} formatter={(v) => [v == null ? '—' : `${Number(v).toFixed(1)} %`, 'agreement']} />
          <Line dataKey="agreement" name="agreement" stroke="#2a62d6" strokeWidth={1.8} dot={has < 3} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** The shadow's class mix beside the answering version's, on the same requests. */
export function ShadowClassMixChart({ pair }: { pair: ShadowPair }) {
  const data = CLASS_LABELS.map((k) => ({ cls: k, shadow: pair.classes[k], primary: pair.primaryClasses[k] }));
  const n = (c: ShadowPair['classes']) => c.SELL + c.HOLD + c.BUY;
  const mix = (c: ShadowPair['classes']) => CLASS_LABELS.map((k) => `${k} ${pct(n(c) ? c[k] / n(c) : null)}`).join(', ');
  return (
    <ChartCard bare title="Class mix, side by side" unit="predictions" testId="chart-shadow-classes" points={n(pair.classes)} label={`v${pair.version}: ${mix(pair.classes)}; v${pair.primaryVersion}: ${mix(pair.primaryClasses)}`}>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={data} margin={MARGIN}>
          {GRID}
          <XAxis dataKey="cls" fontSize={11} />
          <YAxis width={44} fontSize={11} tickFormatter={(v: number) => int(v)} allowDecimals={false} />
          <Tooltip formatter={(v, name) => [int(Number(v)), String(name)]} />
          <Legend {...LEGEND} />
          <Bar dataKey="primary" name={`v${pair.primaryVersion} (answered)`} fill={versionColor(pair.primaryVersion)} isAnimationActive={false} />
          <Bar dataKey="shadow" name={`v${pair.version} (shadow)`} fill={versionColor(pair.version)} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
