'use client';
import { ResponsiveContainer, AreaChart, Area, LineChart, Line, XAxis, YAxis, Tooltip, CartesianGrid, ReferenceLine, Legend } from 'recharts';
import { dateOnly, monthDayTime } from './format';

const MAX_POINTS = 600;

type CurveIn = { t: number | null; equity: number | null }[];

/** The curve's finite points as cumulative return, thinned evenly for drawing (the last point kept, so the final return is exact). */
function returns(curve: CurveIn): { t: number; ret: number }[] {
  const clean = curve.filter((p): p is { t: number; equity: number } => p.t != null && p.equity != null);
  const step = Math.ceil(clean.length / MAX_POINTS);
  return clean.filter((_, i) => i % step === 0 || i === clean.length - 1).map((p) => ({ t: p.t, ret: p.equity - 1 }));
}

/** Tick text for a time axis (epoch ms; sample indices otherwise), dates when it spans more than three days. */
function timeFormat(points: { t: number }[]): (t: number) => string {
  const ts = points.map((p) => p.t);
  const min = Math.min(...ts);
  const timeAxis = min > 1e11;
  const span = Math.max(...ts) - min;
  return (t) => (!timeAxis ? String(t) : span > 3 * 86_400_000 ? dateOnly(t) : monthDayTime(t));
}

/** One version's equity on an overlaid chart (the Compare page). */
export interface EquitySeries {
  name: string;
  color: string;
  curve: CurveIn;
}

/**
 * Cumulative return of the signal backtest on the test part (equity − 1 per bar, costs included). With `series`,
 * several versions' curves are overlaid on one time axis instead (each over its own test bars).
 */
export function BacktestChart({ curve, height = 260, series }: { curve: CurveIn; height?: number; series?: EquitySeries[] }) {
  if (series) return <EquityOverlay series={series} height={height} />;
  const data = returns(curve);
  if (data.length < 2) return <p className="muted">The backtest has no curve (fewer than two test bars).</p>;
  const fmtT = timeFormat(data);
  const timeAxis = data[0].t > 1e11;
  const final = data.at(-1)!.ret;
  const color = final >= 0 ? '#12805c' : '#c0362c';
  return (
    <div data-testid="backtest-chart">
      <ResponsiveContainer width="100%" height={height}>
        <AreaChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
          <defs>
            <linearGradient id="bt-fill" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor={color} stopOpacity={0.25} />
              <stop offset="100%" stopColor={color} stopOpacity={0.02} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale={timeAxis ? 'time' : 'linear'} tickFormatter={fmtT} minTickGap={50} fontSize={11} />
          <YAxis width={56} fontSize={11} tickFormatter={(v: number) => `${(v * 100).toFixed(0)}%`} domain={['auto', 'auto']} />
          <ReferenceLine y={0} stroke="#94a3b8" />
          <Tooltip labelFormatter={(t) => fmtT(Number(t))} formatter={(v) => [`${(Number(v) * 100).toFixed(2)}%`, 'cumulative return']} />
          <Area type="linear" dataKey="ret" stroke={color} fill="url(#bt-fill)" strokeWidth={1.6} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

function EquityOverlay({ series, height }: { series: EquitySeries[]; height: number }) {
  const drawn = series.map((s) => ({ ...s, data: returns(s.curve) })).filter((s) => s.data.length >= 2);
  if (!drawn.length) return <p className="muted">None of these backtests has a curve (fewer than two test bars).</p>;
  const fmtT = timeFormat(drawn.flatMap((s) => s.data));
  const timeAxis = drawn[0].data[0].t > 1e11;
  return (
    <div data-testid="backtest-chart">
      <ResponsiveContainer width="100%" height={height}>
        <LineChart margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale={timeAxis ? 'time' : 'linear'} tickFormatter={fmtT} minTickGap={50} fontSize={11} allowDuplicatedCategory={false} />
          <YAxis width={56} fontSize={11} tickFormatter={(v: number) => `${(v * 100).toFixed(0)}%`} domain={['auto', 'auto']} />
          <ReferenceLine y={0} stroke="#94a3b8" />
          <Tooltip labelFormatter={(t) => fmtT(Number(t))} formatter={(v, name) => [`${(Number(v) * 100).toFixed(2)}%`, name]} />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
          {drawn.map((s) => (
            <Line key={s.name} data={s.data} dataKey="ret" name={s.name} type="linear" stroke={s.color} strokeWidth={1.6} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
