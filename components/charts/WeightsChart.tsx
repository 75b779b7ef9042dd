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

/** Another version's weights drawn beside these (the Compare page), in its colour. */
export interface WeightsSeries {
  name: string;
  color: string;
  weights: WeightView[];
}

/**
 * Normalised indicator weights (permutation importance, summing to 1), largest first; with a previous version, its
 * weights are drawn beside them so the change is visible. An indicator with a negative Δ NLL (shuffling it improved
 * the loss) is labelled "0% (clipped)" and listed under the chart with its signed Δ NLL. With `others` (and `name`,
 * `color` for these weights), other versions' weights are drawn beside them instead of the previous version's.
 */
export function WeightsChart({
  weights,
  previousVersion,
  name,
  color = '#2f6fed',
  others,
}: {
  weights: WeightView[];
  previousVersion: number | null;
  name?: string;
  color?: string;
  others?: WeightsSeries[];
}) {
  const hasPrev = !others?.length && previousVersion != null && weights.some((w) => w.change != null);
  const side = others ?? [];
  const bars = 1 + (hasPrev ? 1 : 0) + side.length;
  const otherWeight = (o: WeightsSeries, indicator: string) => o.weights.find((w) => w.indicator === indicator)?.weight ?? null;
  const data = [...weights]
    .map((w) => ({
      indicator: w.indicator,
      display: weightDisplay(w),
      weight: w.weight ?? 0,
      previous: hasPrev && w.change != null ? (w.weight ?? 0) - w.change : null,
      change: w.change,
      note: w.note,
      ...Object.fromEntries(side.map((o, i) => [`o_${i}`, otherWeight(o, w.indicator)])),
    }))
    .map((d) => ({ ...d, label: d.display.kind === 'clipped' ? d.display.weightText : pct(d.weight) }))
    .sort((a, b) => b.weight - a.weight);
  // Compared side by side, every version's bars read alike (a clipped weight is a 0 bar; the Δ NLL is in the tooltip).
  const clipped = side.length ? [] : data.filter((d) => d.display.kind === 'clipped');
  const max = Math.max(0.05, ...data.map((d) => Math.max(d.weight, d.previous ?? 0)), ...side.flatMap((o) => o.weights.map((w) => w.weight ?? 0)));
  const step = max > 0.5 ? 0.1 : 0.05;
  const top = Math.ceil((max + 0.01) / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => +(i * step).toFixed(2));
  return (
    <div data-testid="weights-chart">
      <ResponsiveContainer width="100%" height={Math.max(240, data.length * (bars > 1 ? 12 + bars * 9 : 24) + 50)}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 48, bottom: 4, left: 8 }} barCategoryGap={bars > 1 ? '18%' : '22%'}>
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
              if (p.dataKey === 'weight' && p.payload.change != null && !side.length)
                return [`${d.weightText} (${p.payload.change >= 0 ? '+' : '−'}${(Math.abs(p.payload.change) * 100).toFixed(1)} pp)${delta}`, name];
              if (p.dataKey === 'weight') return [`${d.weightText}${delta}`, name];
              return [v == null ? '—' : pct(Number(v)), name];
            }}
          />
          {bars > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} /> : null}
          <Bar dataKey="weight" name={name ?? (hasPrev ? 'this version' : 'weight')} fill={color} isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.indicator} fill={d.note ? '#cbd5e1' : color} />
            ))}
            {bars <= 2 ? <LabelList dataKey="label" position="right" fontSize={11} fill="#475467" /> : null}
          </Bar>
          {hasPrev ? <Bar dataKey="previous" name={`v${previousVersion}`} fill="#94a3b8" isAnimationActive={false} /> : null}
          {side.map((o, i) => (
            <Bar key={o.name} dataKey={`o_${i}`} name={o.name} fill={o.color} isAnimationActive={false}>
              {bars <= 2 ? <LabelList dataKey={`o_${i}`} position="right" fontSize={11} fill="#475467" formatter={(v: unknown) => (v == null ? '' : pct(Number(v)))} /> : null}
            </Bar>
          ))}
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
