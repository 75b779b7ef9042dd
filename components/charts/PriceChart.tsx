'use client';
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ResponsiveContainer, ComposedChart, LineChart, Line, XAxis, YAxis, Tooltip, CartesianGrid, ReferenceLine, Legend, Bar } from 'recharts';
import { useTRPC } from '@/components/trpc/client';
import { dateOnly, dateTime } from './format';

const OVERLAYS = [
  { key: 'ema_12', label: 'EMA 12', color: '#f59e0b' },
  { key: 'ema_21', label: 'EMA 21', color: '#10b981' },
  { key: 'ema_50', label: 'EMA 50', color: '#8b5cf6' },
  { key: 'vwap', label: 'VWAP', color: '#ec4899' },
  { key: 'bollinger_upper', label: 'Bollinger upper', color: '#94a3b8' },
  { key: 'bollinger_lower', label: 'Bollinger lower', color: '#94a3b8' },
] as const;
type OverlayKey = (typeof OVERLAYS)[number]['key'];

const RANGES = [
  { bars: 250, label: 'last 250 bars' },
  { bars: 1000, label: 'last 1,000' },
  { bars: 20000, label: 'all' },
];

const fmtDate = (t: number) => dateOnly(t);
const fmtDateTime = (t: number) => dateTime(t);
const MACD_ORDER = ['macd_line', 'macd_signal', 'macd_hist'];
// Pane legends: the icon carries the series colour, the text stays readable (light fills would fail contrast).
const LEGEND = {
  wrapperStyle: { fontSize: 12 },
  verticalAlign: 'top',
  align: 'right',
  height: 22,
  formatter: (value: unknown) => <span style={{ color: '#344054' }}>{String(value)}</span>,
} as const;
const fmtNum = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(2) : Number(v.toPrecision(5)).toString());

/** Price with selectable indicator overlays, and RSI and MACD panes, for one dataset (data.chart). */
export function PriceChart({ dataset }: { dataset: string }) {
  const trpc = useTRPC();
  const [bars, setBars] = useState(250);
  const [overlays, setOverlays] = useState<OverlayKey[]>(['ema_21', 'bollinger_upper', 'bollinger_lower']);
  const [panes, setPanes] = useState({ rsi: true, macd: true, volume: false });
  const q = useQuery(trpc.data.chart.queryOptions({ dataset, bars }));
  const raw = q.data?.points ?? [];
  // The MACD histogram is the line minus its signal (display only; undefined during the warm-up).
  const points = raw.map((p) => ({ ...p, macd_hist: p.macd_line != null && p.macd_signal != null ? p.macd_line - p.macd_signal : null }));
  const intraday = points.length > 1 && points[1].t - points[0].t < 86_400_000;
  const tick = intraday ? fmtDateTime : fmtDate;
  const sync = 'price';

  return (
    <div className="card" data-testid="price-chart">
      <div className="chart-controls">
        <h2 style={{ margin: 0 }}>Price</h2>
        <select aria-label="Range" value={bars} onChange={(e) => setBars(Number(e.target.value))}>
          {RANGES.map((r) => (
            <option key={r.bars} value={r.bars}>
              {r.label}
            </option>
          ))}
        </select>
        <div className="checks" role="group" aria-label="Overlays">
          {OVERLAYS.map((o) => (
            <label key={o.key}>
              <input
                type="checkbox"
                checked={overlays.includes(o.key)}
                onChange={(e) => setOverlays(e.target.checked ? [...overlays, o.key] : overlays.filter((k) => k !== o.key))}
              />
              <span style={{ color: o.color }}>■</span> {o.label}
            </label>
          ))}
        </div>
        <div className="checks" role="group" aria-label="Panes">
          {(['rsi', 'macd', 'volume'] as const).map((p) => (
            <label key={p}>
              <input type="checkbox" checked={panes[p]} onChange={(e) => setPanes({ ...panes, [p]: e.target.checked })} /> {p.toUpperCase()}
            </label>
          ))}
        </div>
      </div>
      {q.error ? <div className="error">{q.error.message}</div> : null}
      {q.isLoading ? <div className="muted" style={{ height: 340 }}>Loading…</div> : null}
      {points.length ? (
        <>
          <div className="muted" style={{ fontSize: 12 }}>
            {q.data!.windowBars.toLocaleString()} of {q.data!.totalBars.toLocaleString()} bars
            {points.length < q.data!.windowBars ? ` (thinned to ${points.length} points)` : ''} · indicators are undefined during the warm-up bars
          </div>
          <ResponsiveContainer width="100%" height={340}>
            <ComposedChart data={points} syncId={sync} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
              <CartesianGrid stroke="#eef0f3" />
              <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={tick} minTickGap={60} fontSize={11} />
              <YAxis domain={['auto', 'auto']} tickFormatter={fmtNum} width={64} fontSize={11} />
              <Tooltip labelFormatter={(t) => fmtDateTime(Number(t))} formatter={(v) => fmtNum(Number(v))} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Line type="linear" dataKey="close" name="close" stroke="#1d4ed8" dot={false} strokeWidth={1.5} isAnimationActive={false} />
              {OVERLAYS.filter((o) => overlays.includes(o.key)).map((o) => (
                <Line key={o.key} type="linear" dataKey={o.key} name={o.label} stroke={o.color} dot={false} strokeWidth={1} isAnimationActive={false} connectNulls={false} />
              ))}
            </ComposedChart>
          </ResponsiveContainer>
          {panes.volume ? (
            <>
              <div className="pane-title">Volume</div>
              <ResponsiveContainer width="100%" height={120}>
                <ComposedChart data={points} syncId={sync} margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
                  <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" hide />
                  <YAxis width={64} fontSize={11} tickFormatter={(v) => Intl.NumberFormat('en', { notation: 'compact' }).format(v)} />
                  <Tooltip labelFormatter={(t) => fmtDateTime(Number(t))} />
                  <Legend {...LEGEND} />
                  <Bar dataKey="volume" name="volume" fill="#94a3b8" isAnimationActive={false} />
                </ComposedChart>
              </ResponsiveContainer>
            </>
          ) : null}
          {panes.rsi ? (
            <>
              <div className="pane-title">RSI (14) · dashed: 70 overbought, 30 oversold</div>
              <ResponsiveContainer width="100%" height={140} data-testid="rsi-pane">
                <LineChart data={points} syncId={sync} margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
                  <CartesianGrid stroke="#eef0f3" />
                  <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" hide />
                  <YAxis domain={[0, 100]} ticks={[30, 50, 70]} width={64} fontSize={11} />
                  <ReferenceLine y={70} stroke="#c0362c" strokeDasharray="4 4" />
                  <ReferenceLine y={30} stroke="#12805c" strokeDasharray="4 4" />
                  <Tooltip labelFormatter={(t) => fmtDateTime(Number(t))} formatter={(v) => Number(v).toFixed(1)} />
                  <Legend {...LEGEND} />
                  <Line dataKey="rsi_value" name="RSI" stroke="#7c3aed" dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </>
          ) : null}
          {panes.macd ? (
            <>
              <div className="pane-title">MACD (12, 26, 9)</div>
              <ResponsiveContainer width="100%" height={150} data-testid="macd-pane">
                <ComposedChart data={points} syncId={sync} margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
                  <CartesianGrid stroke="#eef0f3" />
                  <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={tick} minTickGap={60} fontSize={11} />
                  <YAxis width={64} fontSize={11} tickFormatter={fmtNum} />
                  <ReferenceLine y={0} stroke="#94a3b8" />
                  <Tooltip labelFormatter={(t) => fmtDateTime(Number(t))} formatter={(v) => fmtNum(Number(v))} />
                  <Legend {...LEGEND} itemSorter={(item) => MACD_ORDER.indexOf(String(item.dataKey))} />
                  <Bar dataKey="macd_hist" name="histogram (MACD − signal)" fill="#94a3b8" isAnimationActive={false} />
                  <Line dataKey="macd_line" name="MACD" stroke="#0ea5e9" dot={false} isAnimationActive={false} />
                  <Line dataKey="macd_signal" name="signal" stroke="#f97316" dot={false} isAnimationActive={false} />
                </ComposedChart>
              </ResponsiveContainer>
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
