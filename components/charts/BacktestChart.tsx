'use client';
import { ResponsiveContainer, AreaChart, Area, XAxis, YAxis, Tooltip, CartesianGrid, ReferenceLine } from 'recharts';
import { dateOnly, monthDayTime } from './format';

const MAX_POINTS = 600;

/** Cumulative return of the signal backtest on the test part (equity − 1 per bar, costs included). */
export function BacktestChart({ curve, height = 260 }: { curve: { t: number | null; equity: number | null }[]; height?: number }) {
  const clean = curve.filter((p): p is { t: number; equity: number } => p.t != null && p.equity != null);
  if (clean.length < 2) return <p className="muted">The backtest has no curve (fewer than two test bars).</p>;
  // Thin evenly for drawing; keep the last point so the final return is exact.
  const step = Math.ceil(clean.length / MAX_POINTS);
  const data = clean.filter((_, i) => i % step === 0 || i === clean.length - 1).map((p) => ({ t: p.t, ret: p.equity - 1 }));
  const timeAxis = clean[0].t > 1e11; // epoch ms, otherwise sample indices
  const span = clean.at(-1)!.t - clean[0].t;
  const fmtT = (t: number) => (!timeAxis ? String(t) : span > 3 * 86_400_000 ? dateOnly(t) : monthDayTime(t));
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
