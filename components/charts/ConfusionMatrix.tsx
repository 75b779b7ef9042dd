import { CLASS_LABELS } from './format';

/**
 * Confusion matrix on the test part as a heat-mapped table: rows are the true class, columns the predicted one; a
 * cell's shade is its share of the row (the diagonal share is the class's recall).
 */
export function ConfusionMatrix({ matrix }: { matrix: (number | null)[][] }) {
  const rows = matrix.map((r) => r.map((v) => v ?? 0));
  const total = rows.flat().reduce((a, b) => a + b, 0);
  return (
    <div className="table-wrap">
      <table className="confusion" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th scope="col" title="rows: true class; columns: predicted class">true \ predicted</th>
            {CLASS_LABELS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            <th scope="col">total</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const sum = row.reduce((a, b) => a + b, 0);
            return (
              <tr key={CLASS_LABELS[i]}>
                <th scope="row">{CLASS_LABELS[i]}</th>
                {row.map((v, j) => {
                  const share = sum > 0 ? v / sum : 0;
                  const hue = i === j ? '18, 128, 92' : '192, 54, 44';
                  // The text stays dark on every shade: ≥ 4.7:1 even on the darkest (white text fell below 3:1).
                  return (
                    <td
                      key={CLASS_LABELS[j]}
                      className={i === j ? 'diag' : undefined}
                      style={{ background: `rgba(${hue}, ${(0.08 + share * 0.62).toFixed(3)})` }}
                      title={`true ${CLASS_LABELS[i]}, predicted ${CLASS_LABELS[j]}: ${v} (${(share * 100).toFixed(1)}% of the row)`}
                    >
                      <strong>{v.toLocaleString('en')}</strong>
                      <span>{(share * 100).toFixed(0)}%</span>
                    </td>
                  );
                })}
                <td className="muted">{sum.toLocaleString('en')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted" style={{ fontSize: 12, margin: '6px 0 0' }}>
        {total.toLocaleString('en')} test samples. Green: right (share of the row = recall), red: wrong.
      </p>
    </div>
  );
}
