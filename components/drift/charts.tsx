'use client';
import { ResponsiveContainer, BarChart, Bar, ComposedChart, LineChart, Line, Area, Scatter, XAxis, YAxis, Tooltip, Legend, ReferenceLine, Cell } from 'recharts';
import { ChartCard, GRID, LEGEND, MARGIN } from '@/components/charts/metrics/MetricsCharts';
import { dateOnly, int, monthDayTime, num, pct } from '@/components/charts/format';
import { abRows, accuracyRows, histogramRows, logTicks, mixRows, shareSeries, statRows, timeDomain, timeTick } from './logic';
import type { AbResult, IndicatorResult, LiveVersion, PredictionPart, ReportListRow } from './types';

const DRIFTED = '#c0362c';
const STABLE = '#2a62d6';
const REFERENCE = '#64748b';
const CURRENT = '#e8590c';
const LIMIT = '#1c2430';
const pctAxis = (v: number) => `${Math.round(v)}%`;
const percent = (v: unknown) => (v == null ? '—' : `${Number(v).toFixed(1)} %`);

/** Ticks of a square-root axis up to `top`: denser near 0, where the thresholds are. */
function sqrtTicks(top: number): number[] {
  return [0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100].filter((v) => v <= top && (v === 0 || v >= top / 400));
}

/** A threshold as a short vertical line across its indicator's row. */
function ThresholdMark(props: { cx?: number; cy?: number }) {
  if (props.cx == null || props.cy == null) return <g />;
  return <line x1={props.cx} x2={props.cx} y1={props.cy - 10} y2={props.cy + 10} stroke={LIMIT} strokeWidth={2.5} className="threshold-mark" />;
}

/**
 * Per indicator the test statistic (KS D or Wasserstein / std) as a bar, red where it drifted, with its threshold as
 * a line: one line when every input shares it (Wasserstein), else a mark per row (KS limits depend on each input's
 * effective sample sizes). Clicking a bar picks that indicator for the histogram.
 */
export function IndicatorStatsChart({ indicators, picked, onPick }: { indicators: IndicatorResult[]; picked: string | null; onPick: (name: string) => void }) {
  const s = statRows(indicators);
  const tests = [...new Set(indicators.map((i) => i.test))];
  // One input far past its threshold would squash the others against the axis: a square-root scale keeps them legible.
  const minThreshold = Math.min(...s.rows.map((r) => r.threshold).filter((t) => t > 0));
  const sqrt = Number.isFinite(minThreshold) && s.top / minThreshold > 8;
  const unit = `${tests.length === 1 ? (tests[0] === 'ks' ? 'KS statistic D' : 'Wasserstein distance / reference std') : 'KS D or Wasserstein / std'}${sqrt ? ', square-root scale' : ''}`;
  return (
    <ChartCard
      bare
      title="Statistic per indicator"
      unit={`${unit}; line = threshold`}
      testId="chart-indicator-stats"
      points={s.measured}
      label={`${s.drifted} of ${indicators.length} inputs drifted${s.commonThreshold !== null ? ` (threshold ${num(s.commonThreshold, 3)})` : ''}: ${s.rows
        .filter((r) => r.drifted)
        .map((r) => `${r.name} ${num(r.statistic, 3)}`)
        .join(', ')}`}
    >
      <ResponsiveContainer width="100%" height={indicators.length * 26 + 56}>
        <ComposedChart data={s.rows} layout="vertical" margin={{ ...MARGIN, top: 22, right: 18 }} barCategoryGap="22%">
          {GRID}
          <XAxis type="number" scale={sqrt ? 'sqrt' : 'linear'} domain={[0, s.top]} ticks={sqrt ? sqrtTicks(s.top) : undefined} fontSize={11} tickFormatter={(v: number) => num(v, v < 0.1 ? 3 : 2)} />
          <YAxis type="category" dataKey="name" width={112} fontSize={11} interval={0} />
          <Tooltip
            formatter={(v, name, p) => {
              const r = p.payload as (typeof s.rows)[number];
              if (name === 'threshold') return [num(Number(v), 3), 'threshold'];
              return [`${num(v == null ? null : Number(v), 3)}${r.drifted ? ' — drifted' : ''} (KS p ${r.pValue === null ? '—' : r.pValue.toPrecision(2)}, PSI ${num(r.psi, 3)})`, r.test === 'ks' ? 'KS D' : 'Wasserstein / std'];
            }}
          />
          <Bar dataKey="statistic" name="statistic" isAnimationActive={false} cursor="pointer" onClick={(_, i) => onPick(s.rows[i].name)}>
            {s.rows.map((r) => (
              <Cell key={r.name} fill={r.drifted ? DRIFTED : STABLE} stroke={picked === r.name ? LIMIT : undefined} strokeWidth={picked === r.name ? 2 : 0} />
            ))}
          </Bar>
          {s.commonThreshold !== null ? (
            <ReferenceLine x={s.commonThreshold} stroke={LIMIT} strokeWidth={2} strokeDasharray="6 3" label={{ value: `threshold ${num(s.commonThreshold, 3)}`, position: 'top', fontSize: 11, fill: LIMIT }} />
          ) : (
            <Scatter dataKey="threshold" name="threshold" shape={<ThresholdMark />} legendType="none" isAnimationActive={false} />
          )}
        </ComposedChart>
      </ResponsiveContainer>
      <p className="small muted" style={{ margin: '2px 0 0', display: 'flex', gap: 14, flexWrap: 'wrap', justifyContent: 'center' }} aria-hidden="true">
        <span>
          <Swatch color={DRIFTED} /> drifted
        </span>
        <span>
          <Swatch color={STABLE} /> not drifted
        </span>
        <span>
          <Swatch color={LIMIT} thin /> threshold
        </span>
      </p>
    </ChartCard>
  );
}

function Swatch({ color, thin }: { color: string; thin?: boolean }) {
  return <span style={{ display: 'inline-block', width: thin ? 3 : 10, height: 10, background: color, marginRight: 4, verticalAlign: 'middle' }} />;
}

/** Reference (training part) vs current shares of one indicator over the training deciles. */
export function IndicatorHistogram({ indicator }: { indicator: IndicatorResult }) {
  const rows = histogramRows(indicator);
  const has = indicator.nCurrent > 0;
  return (
    <ChartCard
      bare
      title={`Histogram of ${indicator.name}`}
      unit="% of values per training decile"
      testId="chart-histogram"
      points={rows.length}
      label={`reference ${int(indicator.nReference)} values, current ${int(indicator.nCurrent)}; PSI ${num(indicator.psi, 3)} (${indicator.psiBand ?? 'no current values'})`}
    >
      <ResponsiveContainer width="100%" height={rows.length * 30 + 60}>
        <BarChart data={rows} layout="vertical" margin={MARGIN} barCategoryGap="18%">
          {GRID}
          <XAxis type="number" domain={[0, (max: number) => Math.max(20, Math.ceil(max / 10) * 10)]} tickFormatter={pctAxis} fontSize={11} />
          <YAxis type="category" dataKey="bin" width={160} fontSize={11} interval={0} />
          <Tooltip formatter={(v, n) => [percent(v), String(n)]} />
          <Legend {...LEGEND} />
          <Bar dataKey="reference" name="reference (training)" fill={REFERENCE} isAnimationActive={false} />
          {has ? <Bar dataKey="current" name="current window" fill={CURRENT} isAnimationActive={false} /> : null}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** The version's test-part class mix beside the class mix it answered in the window. */
export function ClassMixCompareChart({ prediction }: { prediction: PredictionPart }) {
  const m = mixRows(prediction);
  return (
    <ChartCard
      bare
      title="Class mix: reference vs current"
      unit="% of predictions"
      testId="chart-class-mix"
      points={m.nCurrent}
      label={`reference ${m.rows.map((r) => `${r.cls} ${percent(r.reference)}`).join(', ')} of ${int(m.nReference)}; current ${m.nCurrent ? m.rows.map((r) => `${r.cls} ${percent(r.current)}`).join(', ') : 'none'} of ${int(m.nCurrent)}${prediction.js !== null ? `; Jensen–Shannon ${num(prediction.js, 3)}` : ''}`}
    >
      <ResponsiveContainer width="100%" height={210}>
        <BarChart data={m.rows} margin={MARGIN}>
          {GRID}
          <XAxis dataKey="cls" fontSize={11} />
          <YAxis width={44} fontSize={11} domain={[0, (max: number) => Math.max(10, Math.ceil(max / 10) * 10)]} tickFormatter={pctAxis} />
          <Tooltip formatter={(v, n) => [percent(v), String(n)]} />
          <Legend {...LEGEND} />
          <Bar dataKey="reference" name={`reference (test part, ${int(m.nReference)})`} fill={REFERENCE} isAnimationActive={false} />
          {m.nCurrent ? <Bar dataKey="current" name={`current (${int(m.nCurrent)} answered)`} fill={CURRENT} isAnimationActive={false} /> : null}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** The share of inputs that drifted in each report, with the dataset-drift line; gaps where a report had no verdict. */
export function DriftShareChart({ reports, threshold }: { reports: ReportListRow[]; threshold: number }) {
  const data = shareSeries(reports);
  const has = data.filter((d) => d.share !== null);
  const ts = data.map((d) => d.t);
  const domain = timeDomain(ts, 60_000);
  const tick = timeTick(domain[1] - domain[0]);
  return (
    <ChartCard
      bare
      title="Drift share over time"
      unit="% of inputs that drifted, per report"
      testId="chart-drift-share"
      points={has.length}
      label={`${data.length} reports, ${has.length} with a verdict${has.length ? `; latest ${percent(has.at(-1)!.share)}` : ''}; dataset drift at ≥ ${percent(threshold * 100)}`}
    >
      <ResponsiveContainer width="100%" height={210}>
        <LineChart data={data} margin={MARGIN}>
          {GRID}
          <XAxis dataKey="t" type="number" domain={domain} tickFormatter={tick} fontSize={11} minTickGap={28} />
          <YAxis width={44} fontSize={11} domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={pctAxis} />
          <ReferenceLine y={threshold * 100} stroke={DRIFTED} strokeDasharray="6 3" label={{ value: `dataset drift ≥ ${Math.round(threshold * 100)} %`, position: 'insideTopRight', fontSize: 11, fill: DRIFTED }} />
          <Tooltip labelFormatter={(t) => `${monthDayTime(Number(t))} UTC`} formatter={(v, _n, p) => [v == null ? 'not enough data' : percent(v), `report #${(p.payload as (typeof data)[number]).id} (v${(p.payload as (typeof data)[number]).version})`]} />
          <Line dataKey="share" name="drift share" stroke={STABLE} strokeWidth={1.8} dot={{ r: 4 }} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** A time axis of bar days (outcomes are counted by the day of their prediction bar), padded half a day. */
const dayAxis = (days: number[]) => <XAxis dataKey="day" type="number" domain={timeDomain(days, 43_200_000)} tickFormatter={(t: number) => dateOnly(t).slice(5)} fontSize={11} minTickGap={24} />;

/** Cumulative live accuracy of one version per day with its 95 % interval, against what its test part promised. */
export function LiveAccuracyChart({ v }: { v: LiveVersion }) {
  const data = accuracyRows(v.daily);
  const promised = v.promised.accuracy;
  return (
    <ChartCard
      bare
      title={`Live accuracy of v${v.version} vs promised`}
      unit="% correct, cumulative by bar day, 95 % interval"
      testId="chart-live-accuracy"
      points={data.filter((d) => d.cum !== null).length}
      label={`${pct(v.accuracy)} over ${int(v.n)} outcomes${v.accuracyCi ? ` (95 % interval ${pct(v.accuracyCi[0])} to ${pct(v.accuracyCi[1])})` : ''}; promised ${pct(promised)} on the test part`}
    >
      <ResponsiveContainer width="100%" height={230}>
        <ComposedChart data={data} margin={MARGIN}>
          {GRID}
          {dayAxis(data.map((d) => d.day))}
          <YAxis width={44} fontSize={11} domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={pctAxis} />
          <Tooltip
            labelFormatter={(t) => `bars of ${dateOnly(Number(t))}`}
            formatter={(val, n) => (Array.isArray(val) ? [`${Number(val[0]).toFixed(1)} – ${Number(val[1]).toFixed(1)} %`, '95 % interval'] : [percent(val), String(n)])}
          />
          <Legend {...LEGEND} />
          <Area dataKey="band" name="95 % interval" stroke="none" fill={STABLE} fillOpacity={0.15} legendType="square" isAnimationActive={false} connectNulls={false} />
          <Line dataKey="cum" name="cumulative accuracy" stroke={STABLE} strokeWidth={1.8} dot={data.length < 12} isAnimationActive={false} connectNulls={false} />
          {promised !== null ? <ReferenceLine y={promised * 100} stroke={CURRENT} strokeDasharray="6 3" label={{ value: `promised ${pct(promised)}`, position: 'insideBottomRight', fontSize: 11, fill: '#a4400a' }} /> : null}
        </ComposedChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** The A/B's always-valid p-value at each daily look (a running minimum: looking every day stays valid), against α. */
export function AbPValueChart({ ab }: { ab: AbResult }) {
  const data = abRows(ab.looks);
  // A log axis: the p-value falls by orders of magnitude once a difference is real; 1 and α stay in view.
  const ticks = logTicks(Math.min(ab.alpha / 5, ...data.map((d) => d.pValue)));
  const low = ticks[ticks.length - 1];
  return (
    <ChartCard
      bare
      title="Always-valid p-value over time"
      unit={`mSPRT, one look per bar day, log scale; line = α ${ab.alpha}`}
      testId="chart-ab-pvalue"
      points={data.length}
      label={`${data.length} looks; p = ${ab.pValue === null ? '—' : ab.pValue.toPrecision(2)} now; ${ab.verdict}`}
    >
      <ResponsiveContainer width="100%" height={210}>
        <LineChart data={data} margin={{ ...MARGIN, top: 12 }}>
          {GRID}
          {dayAxis(data.map((d) => d.day))}
          <YAxis width={52} fontSize={11} scale="log" domain={[low, 1]} ticks={ticks} allowDataOverflow tickFormatter={(v: number) => (v >= 0.001 ? String(v) : v.toExponential(0))} />
          <ReferenceLine y={ab.alpha} stroke={DRIFTED} strokeDasharray="6 3" label={{ value: `α ${ab.alpha}`, position: 'insideBottomLeft', fontSize: 11, fill: DRIFTED }} />
          <Tooltip labelFormatter={(t) => `after the bars of ${dateOnly(Number(t))}`} formatter={(v, _n, p) => [`${Math.max(Number(v), 1e-300).toPrecision(2)} (${int((p.payload as (typeof data)[number]).n)} outcomes)`, 'p-value']} />
          <Line type="stepAfter" dataKey="pValue" name="p-value" stroke={STABLE} strokeWidth={1.8} dot={data.length < 12} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
