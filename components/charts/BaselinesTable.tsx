import type { Metrics } from './types';
import { num, pct, signed } from './format';

type Diff = { estimate: number | null; lower: number | null; upper: number | null } | null | undefined;

function DiffCell({ d }: { d: Diff }) {
  if (!d) return <td className="muted">—</td>;
  const clear = d.lower != null && d.lower > 0;
  const worse = d.upper != null && d.upper < 0;
  return (
    <td>
      <span className={clear ? 'pos' : worse ? 'neg' : undefined}>{signed(d.estimate)}</span>{' '}
      <span className="muted small">
        (95% CI {num(d.lower)} … {num(d.upper)}){clear ? ' ✓' : worse ? ' — clearly worse' : ' — includes 0'}
      </span>
    </td>
  );
}

/** The model against the naive baselines (gate) and the logreg reference (warning only), on the same test part. */
export function BaselinesTable({ m }: { m: Metrics }) {
  const b = m.baselines;
  const rows = [
    { name: 'this model', acc: m.accuracy, f1: m.macroF1, diff: undefined, note: '' },
    { name: 'logreg reference', acc: b.logreg?.accuracy ?? null, f1: b.logreg?.macroF1 ?? null, diff: null, note: b.logreg ? 'same splits; trailing it is a warning' : 'not computed' },
    { name: 'majority class', acc: b.majority.accuracy, f1: b.majority.macroF1, diff: b.majority.diff, note: 'always predicts the most frequent training class' },
    { name: 'prior-matched random', acc: b.priorRandom.accuracy, f1: b.priorRandom.macroF1, diff: b.priorRandom.diff, note: 'random with the training class shares (its expected score)' },
  ];
  return (
    <div className="table-wrap">
      <table data-testid="baselines-table">
        <thead>
          <tr>
            <th>Predictor</th>
            <th>Accuracy</th>
            <th>Macro-F1</th>
            <th>Model − baseline (macro-F1)</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} className={r.diff === undefined ? 'highlight' : undefined}>
              <td>{r.diff === undefined ? <strong>{r.name}</strong> : r.name}</td>
              <td>{pct(r.acc)}</td>
              <td>{num(r.f1)}</td>
              {r.diff === undefined ? <td className="muted">—</td> : r.diff === null ? <td className="muted">{b.logreg && m.macroF1 != null && b.logreg.macroF1 != null ? signed(m.macroF1 - b.logreg.macroF1) : '—'}</td> : <DiffCell d={r.diff} />}
              <td className="muted small">{r.note}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
