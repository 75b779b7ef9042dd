import type { Weights } from './types';
import { num, pct } from './format';

/** Indicator weights as numbers: weight, change vs the previous version (percentage points), raw importance ± std. */
export function WeightsTable({ weights }: { weights: Weights }) {
  const rows = [...weights.weights].sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0));
  return (
    <div className="table-wrap">
      <table data-testid="weights-table">
        <thead>
          <tr>
            <th>Indicator</th>
            <th>Weight</th>
            <th>Change</th>
            <th>Importance (Δ NLL)</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr key={w.indicator}>
              <td className="mono">{w.indicator}</td>
              <td>{pct(w.weight)}</td>
              <td className={w.change == null ? 'muted' : w.change > 0 ? 'pos' : w.change < 0 ? 'neg' : undefined}>
                {w.change == null ? '—' : `${w.change > 0 ? '+' : w.change < 0 ? '−' : '±'}${Math.abs(w.change * 100).toFixed(1)} pp`}
              </td>
              <td>
                {num(w.importance, 4)} ± {num(w.std, 4)}
              </td>
              <td className="muted small">{w.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
