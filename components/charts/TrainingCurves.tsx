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

/**
 * Loss and accuracy per epoch, training vs validation. The x axis spans every planned epoch, so a live run fills it
 * from the left; `bestEpoch` (early stopping restores its weights) is marked.
 */
export function TrainingCurves({ history, totalEpochs, bestEpoch, height = 220 }: { history: CurvePoint[]; totalEpochs?: number; bestEpoch?: number | null; height?: number }) {
  if (!history.length) return <p className="muted" data-testid="curves-empty">No epoch has finished yet — the curves appear after the first one.</p>;
  const last = Math.max(totalEpochs ?? 0, history.at(-1)!.epoch, 2);
  const dots = history.length <= 40;
  const xAxis = <XAxis dataKey="epoch" type="number" domain={[1, last]} allowDecimals={false} fontSize={11} label={{ value: 'epoch', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />;
  const best = bestEpoch ? <ReferenceLine x={bestEpoch} stroke="#12805c" strokeDasharray="4 4" label={{ value: 'best', position: 'top', fontSize: 11, fill: '#12805c' }} /> : null;
  return (
    <div className="curves" data-testid="training-curves">
      <div>
        <div className="pane-title">Loss (cross-entropy)</div>
        <ResponsiveContainer width="100%" height={height}>
          <LineChart data={history} margin={{ top: 18, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            {xAxis}
            <YAxis domain={['auto', 'auto']} width={52} fontSize={11} tickFormatter={(v: number) => v.toFixed(2)} />
            <Tooltip labelFormatter={(e) => `epoch ${e}`} formatter={(v) => (v == null ? '—' : Number(v).toFixed(4))} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {best}
            <Line dataKey="loss" name="train" stroke={TRAIN} dot={dots} strokeWidth={1.8} isAnimationActive={false} connectNulls />
            <Line dataKey="valLoss" name="validation" stroke={VAL} dot={dots} strokeWidth={1.8} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div>
        <div className="pane-title">Accuracy</div>
        <ResponsiveContainer width="100%" height={height}>
          <LineChart data={history} margin={{ top: 18, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            {xAxis}
            <YAxis domain={['auto', 'auto']} width={52} fontSize={11} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} />
            <Tooltip labelFormatter={(e) => `epoch ${e}`} formatter={(v) => (v == null ? '—' : `${(Number(v) * 100).toFixed(1)}%`)} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {best}
            <Line dataKey="accuracy" name="train" stroke={TRAIN} dot={dots} strokeWidth={1.8} isAnimationActive={false} connectNulls />
            <Line dataKey="valAccuracy" name="validation" stroke={VAL} dot={dots} strokeWidth={1.8} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
