import type { Metrics } from './types';
import { int, num, pct, signedPct } from './format';

const ci = (i: { lower: number | null; upper: number | null } | null | undefined, f: (v: number | null) => string) =>
  i && i.lower != null && i.upper != null ? `95% CI ${f(i.lower)} … ${f(i.upper)}` : 'no interval';

/** The headline test metrics with their bootstrap intervals and the references to read them against. */
export function MetricCards({ m }: { m: Metrics }) {
  const b = m.baselines;
  const bt = m.backtest;
  return (
    <div className="grid cols-4" data-testid="metric-cards">
      <div className="card stat">
        <div className="label">Test accuracy</div>
        <div className="value">{pct(m.accuracy)}</div>
        <div className="sub">
          majority {pct(b.majority.accuracy)} · logreg {b.logreg ? pct(b.logreg.accuracy) : '—'} · {int(m.testSamples ?? m.n)} samples
        </div>
      </div>
      <div className="card stat">
        <div className="label">Macro-F1</div>
        <div className="value">{num(m.macroF1)}</div>
        <div className="sub">
          {ci(m.macroF1CI, (v) => num(v))} · logreg {b.logreg ? num(b.logreg.macroF1) : '—'}
        </div>
      </div>
      <div className="card stat">
        <div className="label">Signal win rate</div>
        <div className="value">{pct(m.winRate.winRate)}</div>
        <div className="sub">
          {ci(m.winRateCI, (v) => pct(v))} · {int(m.winRate.signals)} signals (BUY {pct(m.winRate.buy.winRate, 0)}, SELL {pct(m.winRate.sell.winRate, 0)})
        </div>
      </div>
      <div className="card stat">
        <div className="label">Backtest return</div>
        <div className="value">{signedPct(bt.totalReturn)}</div>
        <div className="sub">
          Sharpe {num(bt.sharpe, 2)} · max DD {pct(bt.maxDrawdown)} · {int(bt.trades)} trades
        </div>
      </div>
    </div>
  );
}
