'use client';
import { ResponsiveContainer, BarChart, Bar, XAxis, YAxis, Tooltip, Cell, CartesianGrid } from 'recharts';

const COLORS = { SELL: '#c0362c', HOLD: '#94a3b8', BUY: '#12805c' } as const;

export function LabelDistribution({
  counts,
  shares,
}: {
  counts: { SELL: number; HOLD: number; BUY: number };
  shares: { SELL: number; HOLD: number; BUY: number };
}) {
  const data = (['SELL', 'HOLD', 'BUY'] as const).map((k) => ({ label: k, count: counts[k], share: shares[k] }));
  return (
    <ResponsiveContainer width="100%" height={200}>
      <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid stroke="#eef0f3" vertical={false} />
        <XAxis dataKey="label" fontSize={12} />
        <YAxis fontSize={11} width={56} />
        <Tooltip formatter={(v, _n, p) => [`${Number(v).toLocaleString()} (${(p.payload.share * 100).toFixed(1)}%)`, 'bars']} />
        <Bar dataKey="count" isAnimationActive={false} label={{ position: 'top', fontSize: 11, formatter: (v: unknown) => Number(v).toLocaleString() }}>
          {data.map((d) => (
            <Cell key={d.label} fill={COLORS[d.label]} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}
