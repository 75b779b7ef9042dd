'use client';
import { ResponsiveContainer, LineChart, Line, XAxis, YAxis, Tooltip, CartesianGrid, Legend, ReferenceLine } from 'recharts';

export interface CurvePoint {
  epoch: number;
  loss: number | null;
  valLoss: number | null;
  accuracy: number | null;
  valAccuracy: number | null;
}

const TRAIN = '#2f6fed';
const VAL = '#f97316';

/** One version's curves on an overlaid chart (the Compare page): validation solid, training dashed, in its colour. */
export interface CurveSeries {
  name: string;
  color: string;
  history: CurvePoint[];
  bestEpoch?: number | null;
}

type LineSpec = { key: string; name: string; color: string; dashed?: boolean };

/** Rows by epoch with each series' figures under `<field>_<i>` (series may have run different numbers of epochs). */
function mergeByEpoch(series: CurveSeries[]): Record<string, number | null>[] {
  const rows = new Map<number, Record<string, number | null>>();
  series.forEach((s, i) => {
    for (const h of s.history) {
      const r = rows.get(h.epoch) ?? { epoch: h.epoch };
      r[`loss_${i}`] = h.loss;
      r[`valLoss_${i}`] = h.valLoss;
      r[`accuracy_${i}`] = h.accuracy;
      r[`valAccuracy_${i}`] = h.valAccuracy;
      rows.set(h.epoch, r);
    }
  });
  return [...rows.values()].sort((a, b) => (a.epoch as number) - (b.epoch as number));
}

/**
 * Loss and accuracy per epoch, training vs validation. The x axis spans every planned epoch, so a live run fills it
 * from the left; `bestEpoch` (early stopping restores its weights) is marked. With `overlay`, several versions' curves
 * are drawn on the same axes instead (validation solid, training dashed, one colour per version).
 */
export function TrainingCurves({
  history,
  totalEpochs,
  bestEpoch,
  height = 220,
  overlay,
}: {
  history: CurvePoint[];
  totalEpochs?: number;
  bestEpoch?: number | null;
  height?: number;
  overlay?: CurveSeries[];
}) {
  const series = overlay?.filter((s) => s.history.length);
  if (overlay ? !series?.length : !history.length)
    return (
      <p className="muted" data-testid="curves-empty">
        {overlay ? 'None of these versions recorded its learning curve (registered before curves were kept).' : 'No epoch has finished yet — the curves appear after the first one.'}
      </p>
    );
  const all = series ?? [{ name: '', color: TRAIN, history, bestEpoch }];
  const data: Record<string, number | null>[] = series ? mergeByEpoch(series) : history.map((h) => ({ ...h }));
  const last = Math.max(totalEpochs ?? 0, ...all.map((s) => s.history.at(-1)!.epoch), 2);
  const dots = all.every((s) => s.history.length <= 40) && all.length < 3;
  const lines = (train: string, val: string): LineSpec[] =>
    series
      ? series.flatMap((s, i) => [
          { key: `${val}_${i}`, name: `${s.name} validation`, color: s.color },
          { key: `${train}_${i}`, name: `${s.name} train`, color: s.color, dashed: true },
        ])
      : [
          { key: train, name: 'train', color: TRAIN },
          { key: val, name: 'validation', color: VAL },
        ];
  const xAxis = <XAxis dataKey="epoch" type="number" domain={[1, last]} allowDecimals={false} fontSize={11} label={{ value: 'epoch', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />;
  const best = series ? null : bestEpoch ? <ReferenceLine x={bestEpoch} stroke="#12805c" strokeDasharray="4 4" label={{ value: 'best', position: 'top', fontSize: 11, fill: '#12805c' }} /> : null;
  const pane = (title: string, specs: LineSpec[], tick: (v: number) => string, fmt: (v: number) => string) => (
    <div>
      <div className="pane-title">{title}</div>
      <ResponsiveContainer width="100%" height={height}>
        <LineChart data={data} margin={{ top: 18, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          {xAxis}
          <YAxis domain={['auto', 'auto']} width={52} fontSize={11} tickFormatter={tick} />
          <Tooltip labelFormatter={(e) => `epoch ${e}`} formatter={(v) => (v == null ? '—' : fmt(Number(v)))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {best}
          {specs.map((l) => (
            <Line key={l.key} dataKey={l.key} name={l.name} stroke={l.color} strokeDasharray={l.dashed ? '5 4' : undefined} dot={dots} strokeWidth={1.8} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
  return (
    <div className="curves" data-testid="training-curves">
      {pane('Loss (cross-entropy)', lines('loss', 'valLoss'), (v) => v.toFixed(2), (v) => v.toFixed(4))}
      {pane('Accuracy', lines('accuracy', 'valAccuracy'), (v) => `${Math.round(v * 100)}%`, (v) => `${(v * 100).toFixed(1)}%`)}
    </div>
  );
}
