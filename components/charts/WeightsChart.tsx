'use client';
import { ResponsiveContainer, BarChart, Bar, XAxis, YAxis, Tooltip, CartesianGrid, Legend, Cell, LabelList } from 'recharts';
import { CLIPPED_EXPLANATION, weightDisplay } from './weightRule';

export interface WeightView {
  indicator: string;
  weight: number | null;
  /** Signed Δ NLL (absent or null: not stored; shown as "—"). */
  importance?: number | null;
  std?: number | null;
  change: number | null;
  note?: string;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * Normalised indicator weights (permutation importance, summing to 1), largest first; with a previous version, its
 * weights are drawn beside them so the change is visible. An indicator with a negative Δ NLL (shuffling it improved
 * the loss) is labelled "0% (clipped)" and listed under the chart with its signed Δ NLL.
 */
export function WeightsChart({ weights, previousVersion }: { weights: WeightView[]; previousVersion: number | null }) {
  const hasPrev = previousVersion != null && weights.some((w) => w.change != null);
  const data = [...weights]
    .map((w) => ({
      indicator: w.indicator,
      display: weightDisplay(w),
      weight: w.weight ?? 0,
      previous: hasPrev && w.change != null ? (w.weight ?? 0) - w.change : null,
      change: w.change,
      note: w.note,
    }))
    .map((d) => ({ ...d, label: d.display.kind === 'clipped' ? d.display.weightText : pct(d.weight) }))
    .sort((a, b) => b.weight - a.weight);
  const clipped = data.filter((d) => d.display.kind === 'clipped');
  const max = Math.max(0.05, ...data.map((d) => Math.max(d.weight, d.previous ?? 0)));
  const step = max > 0.5 ? 0.1 : 0.05;
  const top = Math.ceil((max + 0.01) / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => +(i * step).toFixed(2));
  return (
    <div data-testid="weights-chart">
      <ResponsiveContainer width="100%" height={Math.max(240, data.length * (hasPrev ? 30 : 24) + 50)}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 48, bottom: 4, left: 8 }} barCategoryGap={hasPrev ? '18%' : '22%'}>
          <CartesianGrid stroke="#eef0f3" horizontal={false} />
          <XAxis type="number" domain={[0, top]} ticks={ticks} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} fontSize={11} />
          {/* A zero-width bar draws no label: the axis says which indicators were clipped to 0. */}
          <YAxis
            type="category"
            dataKey="indicator"
            width={clipped.length ? 150 : 128}
            fontSize={11}
            interval={0}
            tickFormatter={(name: string) => (clipped.some((d) => d.indicator === name) ? `${name} (clipped)` : name)}
          />
          <Tooltip
            formatter={(v, name, p) => {
              const d = p.payload.display as ReturnType<typeof weightDisplay>;
              const delta = p.dataKey === 'weight' ? ` · Δ NLL ${d.deltaText}${d.explanation ? ` (${d.explanation})` : ''}` : '';
              if (p.dataKey === 'weight' && p.payload.change != null)
                return [`${d.weightText} (${p.payload.change >= 0 ? '+' : '−'}${(Math.abs(p.payload.change) * 100).toFixed(1)} pp)${delta}`, name];
              if (p.dataKey === 'weight') return [`${d.weightText}${delta}`, name];
              return [v == null ? '—' : pct(Number(v)), name];
            }}
          />
          {hasPrev ? <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} /> : null}
          <Bar dataKey="weight" name={hasPrev ? 'this version' : 'weight'} fill="#2f6fed" isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.indicator} fill={d.note ? '#cbd5e1' : '#2f6fed'} />
            ))}
            <LabelList dataKey="label" position="right" fontSize={11} fill="#475467" />
          </Bar>
          {hasPrev ? <Bar dataKey="previous" name={`v${previousVersion}`} fill="#94a3b8" isAnimationActive={false} /> : null}
        </BarChart>
      </ResponsiveContainer>
      {clipped.length ? (
        <p className="muted small" style={{ margin: '4px 0 0' }} data-testid="weights-clipped">
          <strong>Clipped to 0%</strong> ({CLIPPED_EXPLANATION}):{' '}
          {clipped.map((d, i) => (
            <span key={d.indicator}>
              {i ? ', ' : ''}
              <span className="mono">{d.indicator}</span> Δ NLL {d.display.deltaText}
            </span>
          ))}
          .
        </p>
      ) : null}
    </div>
  );
}
