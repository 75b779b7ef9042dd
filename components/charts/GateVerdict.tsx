import { Badge } from '@/components/ui/Badge';
import type { Gate } from './types';
import { pct, num } from './format';

/**
 * The gate's verdict: passed → candidate, failed → rejected, with the reasons (the hard checks that failed, or every
 * hard check when it passed) and warnings (failed soft checks, e.g. a macro-F1 edge over prior-matched random that
 * is not significant, or trailing the logreg reference). The full view lists every check with its kind.
 * Versions gated before checks had ids and kinds show their reasons only.
 */
export function GateVerdict({ gate, compact = false }: { gate: Gate; compact?: boolean }) {
  const t = gate.thresholds;
  const checks = (gate.checks ?? []).filter((c) => typeof c.id === 'string');
  const minSharpe = t && typeof t.minSharpe === 'number' ? t.minSharpe : null;
  return (
    <div className={`gate ${gate.passed ? 'passed' : 'failed'}`} data-testid="gate-verdict">
      <div className="gate-head">
        <Badge tone={gate.passed ? 'ok' : 'bad'}>{gate.passed ? 'gate passed' : 'gate failed'}</Badge>{' '}
        <span>{gate.passed ? 'every hard check holds: registered as a candidate' : 'registered as rejected: kept for comparison, never given traffic'}</span>
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
      {!compact && checks.length ? (
        <details style={{ marginTop: 8 }} data-testid="gate-checks">
          <summary className="muted small">All {checks.length} checks (hard checks decide; soft ones only warn)</summary>
          <ul className="gate-reasons">
            {checks.map((c) => (
              <li key={c.id} className={c.passed ? 'ok' : c.hard ? 'bad' : 'warn'}>
                <span aria-hidden>{c.passed ? '✓' : c.hard ? '✕' : '!'}</span> <strong>{c.hard ? 'hard' : 'soft'}</strong> · {c.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {!compact && t ? (
        <p className="muted small" style={{ margin: '8px 0 0' }}>
          Decides: the BUY/SELL signals&apos; mean forward return beats random signals with the same BUY/SELL mix on the same test bars (block-bootstrap
          interval above 0), and they are right more often than such random timing. Thresholds: accuracy ≥ {pct(t.minAccuracy)}, macro-F1 ≥{' '}
          {num(t.minMacroF1, 2)}, win rate ≥ {pct(t.minWinRate)}, backtest Sharpe after costs {minSharpe === null ? 'not required (off)' : `≥ ${num(minSharpe, 2)}`}; and beat
          the majority-class baseline on macro-F1. Macro-F1 against the expected score of prior-matched random is shown, as a warning only.
        </p>
      ) : null}
    </div>
  );
}
