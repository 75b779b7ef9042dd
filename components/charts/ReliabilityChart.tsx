'use client';
import { ResponsiveContainer, ComposedChart, Line, Area, XAxis, YAxis, Tooltip, CartesianGrid, Legend, ReferenceLine } from 'recharts';

export interface ReliabilityBinView {
  lower: number | null;
  upper: number | null;
  count: number | null;
  confidence: number | null;
  accuracy: number | null;
}

const pctTick = (v: number) => `${Math.round(v * 100)}%`;

const confidenceAxis = (
  <XAxis
    dataKey="mid"
    type="number"
    domain={[0, 1]}
    ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
    tickFormatter={pctTick}
    fontSize={11}
    label={{ value: 'confidence', position: 'insideBottomRight', offset: -4, fontSize: 11 }}
  />
);
const accuracyAxis = (id?: string) => <YAxis yAxisId={id} domain={[0, 1]} ticks={[0, 0.25, 0.5, 0.75, 1]} tickFormatter={pctTick} width={44} fontSize={11} />;

/** One version's bins on an overlaid diagram (the Compare page). */
export interface ReliabilitySeries {
  name: string;
  color: string;
  bins: ReliabilityBinView[];
}

/** The bins with samples as points: observed accuracy at the bin's mean confidence. */
const pointsOf = (bins: ReliabilityBinView[]) =>
  bins
    .filter((b) => (b.count ?? 0) > 0 && b.confidence != null && b.accuracy != null)
    .map((b) => ({ mid: b.confidence as number, accuracy: b.accuracy as number, count: b.count ?? 0 }));

/**
 * Reliability diagram: for each confidence bin with samples, the observed accuracy (y) at the bin's mean confidence
 * (x) — on the dashed diagonal when calibrated. Shaded bins (right axis) show how many test samples fall in each bin.
 * With `overlay`, several versions' diagrams share the axes (one line each; the sample counts are in the tooltip).
 */
export function ReliabilityChart({ bins, height = 260, overlay }: { bins: ReliabilityBinView[]; height?: number; overlay?: ReliabilitySeries[] }) {
  if (overlay) return <ReliabilityOverlay series={overlay} height={height} />;
  const edges = bins
    .filter((b): b is ReliabilityBinView & { lower: number; upper: number } => b.lower != null && b.upper != null)
    .sort((a, b) => a.lower - b.lower);
  // A step outline over the bin edges: a histogram of samples per bin.
  const histogram = edges.length ? [...edges.map((b) => ({ mid: b.lower, count: b.count ?? 0 })), { mid: edges.at(-1)!.upper, count: edges.at(-1)!.count ?? 0 }] : [];
  const points = pointsOf(bins);
  if (!points.length) return <p className="muted">No test sample to calibrate on.</p>;
  const maxCount = Math.max(1, ...histogram.map((b) => b.count));
  const unit = 10 ** Math.floor(Math.log10(maxCount));
  const countTop = Math.ceil(maxCount / unit) * unit;
  return (
    <div data-testid="reliability-chart">
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart data={histogram} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          {confidenceAxis}
          {accuracyAxis('acc')}
          <YAxis yAxisId="n" orientation="right" width={44} fontSize={11} allowDecimals={false} domain={[0, countTop]} tickCount={5} stroke="#94a3b8" />
          <Tooltip
            labelFormatter={(v) => `mean confidence ${(Number(v) * 100).toFixed(1)}%`}
            formatter={(v, name, p) =>
              name === 'samples' ? [Number(v).toLocaleString('en'), 'samples in the bin'] : [`${(Number(v) * 100).toFixed(1)}% (${Number(p.payload.count).toLocaleString('en')} samples)`, name]
            }
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Area yAxisId="n" type="stepAfter" dataKey="count" name="samples" fill="#94a3b8" fillOpacity={0.18} stroke="#94a3b8" strokeWidth={1} isAnimationActive={false} />
          <ReferenceLine yAxisId="acc" segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#94a3b8" strokeDasharray="4 4" ifOverflow="extendDomain" />
          <Line yAxisId="acc" data={points} dataKey="accuracy" name="observed accuracy" stroke="#2f6fed" strokeWidth={1.8} dot={{ r: 4 }} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
      <p className="muted small" style={{ margin: '2px 0 0' }}>
        Grey: test samples per {Math.round(100 / Math.max(1, bins.length))}% confidence bin (right axis). Dashed: perfect calibration.
      </p>
    </div>
  );
}

function ReliabilityOverlay({ series, height }: { series: ReliabilitySeries[]; height: number }) {
  const drawn = series.map((s) => ({ ...s, points: pointsOf(s.bins) })).filter((s) => s.points.length);
  if (!drawn.length) return <p className="muted">No test sample to calibrate on.</p>;
  return (
    <div data-testid="reliability-chart">
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          {confidenceAxis}
          {accuracyAxis()}
          <Tooltip
            labelFormatter={(v) => `mean confidence ${(Number(v) * 100).toFixed(1)}%`}
            formatter={(v, name, p) => [`${(Number(v) * 100).toFixed(1)}% (${Number(p.payload.count).toLocaleString('en')} samples)`, name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
          <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#94a3b8" strokeDasharray="4 4" ifOverflow="extendDomain" />
          {drawn.map((s) => (
            <Line key={s.name} data={s.points} dataKey="accuracy" name={s.name} stroke={s.color} strokeWidth={1.8} dot={{ r: 3 }} isAnimationActive={false} />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
      <p className="muted small" style={{ margin: '2px 0 0' }}>
        Observed accuracy per confidence bin on each version&apos;s test part, after temperature scaling. Dashed: perfect calibration.
      </p>
    </div>
  );
}
