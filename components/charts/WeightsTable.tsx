import type { Weights } from './types';
import { num } from './format';
import { weightDisplay } from './weightRule';

/**
 * Indicator weights as numbers: weight, change vs the previous version (percentage points), the signed importance
 * (Δ NLL ± std; negative = shuffling the input improved the loss, so its weight is clipped to 0) and why.
 */
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
            <th>Importance (signed Δ NLL)</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => {
            const d = weightDisplay(w);
            return (
              <tr key={w.indicator} data-indicator={w.indicator} data-kind={d.kind}>
                <td className="mono">{w.indicator}</td>
                <td>{d.weightText}</td>
                <td className={w.change == null ? 'muted' : w.change > 0 ? 'pos' : w.change < 0 ? 'neg' : undefined}>
                  {w.change == null ? '—' : `${w.change > 0 ? '+' : w.change < 0 ? '−' : '±'}${Math.abs(w.change * 100).toFixed(1)} pp`}
                </td>
                <td className={d.kind === 'clipped' ? 'neg' : undefined}>
                  {d.deltaText}
                  {d.deltaText !== '—' ? ` ± ${num(w.std, 4)}` : ''}
                </td>
                <td className="muted small">{d.explanation}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
