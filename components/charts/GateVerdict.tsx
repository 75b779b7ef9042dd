import { Badge } from '@/components/ui/Badge';
import type { Gate } from './types';
import { pct, num } from './format';

/**
 * The gate's verdict: passed → candidate, failed → rejected, with the reasons (the checks that failed, or every
 * check when it passed) and warnings (e.g. trailing the logreg reference).
 */
export function GateVerdict({ gate, compact = false }: { gate: Gate; compact?: boolean }) {
  return (
    <div className={`gate ${gate.passed ? 'passed' : 'failed'}`} data-testid="gate-verdict">
      <div className="gate-head">
        <Badge tone={gate.passed ? 'ok' : 'bad'}>{gate.passed ? 'gate passed' : 'gate failed'}</Badge>{' '}
        <span>{gate.passed ? 'every check holds: registered as a candidate' : 'registered as rejected: kept for comparison, never given traffic'}</span>
      </div>
      <ul className="gate-reasons">
        {gate.reasons.map((r) => (
          <li key={r} className={gate.passed ? 'ok' : 'bad'}>
            <span aria-hidden>{gate.passed ? '✓' : '✕'}</span> {r}
          </li>
        ))}
        {gate.warnings.map((w) => (
          <li key={w} className="warn">
            <span aria-hidden>!</span> {w}
          </li>
        ))}
      </ul>
      {!compact && gate.thresholds ? (
        <p className="muted small" style={{ margin: '8px 0 0' }}>
          Thresholds: accuracy ≥ {pct(gate.thresholds.minAccuracy)}, macro-F1 ≥ {num(gate.thresholds.minMacroF1, 2)}, win rate ≥ {pct(gate.thresholds.minWinRate)}; and
          beat the majority-class and prior-matched random baselines on macro-F1 with the 95% interval of the difference above 0.
        </p>
      ) : null}
    </div>
  );
}
