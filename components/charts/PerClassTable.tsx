import type { Metrics } from './types';
import { CLASS_COLORS, CLASS_LABELS, int, pct } from './format';

/** Class names as text: the chart colours, except HOLD's grey, which is too light for text (WCAG AA 4.5:1). */
const CLASS_TEXT_COLORS: Record<string, string> = { ...CLASS_COLORS, HOLD: 'var(--muted)' };

function Meter({ v }: { v: number | null }) {
  const w = v == null ? 0 : Math.max(0, Math.min(1, v));
  return (
    <span className="meter" aria-hidden>
      <span style={{ width: `${Math.round(w * 100)}%` }} />
    </span>
  );
}

/** Precision, recall and F1 per class on the test part, with support (true samples) and predictions made. */
export function PerClassTable({ m }: { m: Metrics }) {
  return (
    <div className="table-wrap">
      <table data-testid="per-class">
        <thead>
          <tr>
            <th>Class</th>
            <th>Precision</th>
            <th>Recall</th>
            <th>F1</th>
            <th>Support</th>
            <th>Predicted</th>
          </tr>
        </thead>
        <tbody>
          {m.perClass.map((c, i) => {
            const name = CLASS_LABELS[i] ?? String(i);
            return (
              <tr key={name}>
                <td>
                  <strong style={{ color: CLASS_TEXT_COLORS[name] }}>{name}</strong>
                </td>
                <td>
                  {pct(c.precision)} <Meter v={c.precision} />
                </td>
                <td>
                  {pct(c.recall)} <Meter v={c.recall} />
                </td>
                <td>{pct(c.f1)}</td>
                <td>{int(c.support)}</td>
                <td>{int(c.predicted)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small" style={{ margin: '6px 0 0' }}>
        Macro-F1 is the mean of the three F1 scores; win rate counts BUY/SELL signals that moved the right way over the label horizon.
      </p>
    </div>
  );
}
