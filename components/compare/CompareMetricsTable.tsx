import Link from 'next/link';
import type { ReactNode } from 'react';
import { Badge } from '@/components/ui/Badge';
import { int, num, pct, signed, signedPct, versionTone } from '@/components/charts/format';
import { VERSION_COLORS, seriesName, type ComparedVersion } from './types';
import styles from './Compare.module.css';

type N = number | null | undefined;
type Iv = { lower: N; upper: N; level?: N } | null | undefined;

const bp = (v: N) => (typeof v === 'number' && Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v * 1e4).toFixed(1)} bp` : '—');
const levelText = (i: Iv) => `${Math.round((i?.level ?? 0.95) * 100)}% CI`;

/** A figure with its interval under it (or why there is none). */
function Figure({ value, iv, f, none = 'no interval', best }: { value: N; iv?: Iv; f: (v: N) => string; none?: string; best?: boolean }) {
  return (
    <>
      <span className={best ? styles.best : undefined}>{f(value)}</span>
      {best ? <span className={styles.srOnly}> (best)</span> : null}
      {iv !== undefined ? (
        <span className={styles.ci}>{iv && iv.lower != null && iv.upper != null ? `${levelText(iv)} ${f(iv.lower)} … ${f(iv.upper)}` : none}</span>
      ) : null}
    </>
  );
}

interface Row {
  label: string;
  note?: string;
  /** Larger is better: the best value of the row is marked. */
  higher?: boolean;
  value: (v: ComparedVersion) => N;
  iv?: (v: ComparedVersion) => Iv;
  f: (v: N) => string;
  none?: (v: ComparedVersion) => string;
  extra?: (v: ComparedVersion) => ReactNode;
}

const ROWS: Row[] = [
  {
    label: 'Test accuracy',
    higher: true,
    value: (v) => v.metrics.accuracy,
    iv: (v) => v.accuracyCI,
    f: (x) => pct(x),
    none: () => 'no interval: test labels not stored with this version',
  },
  { label: 'Macro-F1', higher: true, value: (v) => v.metrics.macroF1, iv: (v) => v.metrics.macroF1CI, f: (x) => num(x) },
  {
    label: 'Signal win rate',
    higher: true,
    value: (v) => v.metrics.winRate?.winRate,
    iv: (v) => v.metrics.winRateCI,
    f: (x) => pct(x),
    extra: (v) => `${int(v.metrics.winRate?.signals)} BUY/SELL signals`,
  },
  {
    label: 'Directional edge per signal',
    note: 'mean signed forward return minus random signals with the same BUY/SELL mix (the gate’s main test)',
    higher: true,
    value: (v) => v.metrics.edge?.returnEdge,
    iv: (v) => v.metrics.edge?.returnEdgeCI,
    f: bp,
  },
  { label: 'Hit-rate edge', higher: true, value: (v) => v.metrics.edge?.hitEdge, iv: (v) => v.metrics.edge?.hitEdgeCI, f: (x) => signedPct(x) },
  {
    label: 'Macro-F1 − majority class',
    higher: true,
    value: (v) => v.metrics.baselines?.majority.diff.estimate,
    iv: (v) => v.metrics.baselines?.majority.diff,
    f: (x) => signed(x),
  },
  {
    label: 'Macro-F1 − logreg reference',
    note: 'trained on the same splits; a logreg version is its own reference',
    higher: true,
    value: (v) => v.metrics.baselines?.logreg?.diff.estimate,
    iv: (v) => v.metrics.baselines?.logreg?.diff ?? null,
    f: (x) => signed(x),
    none: () => 'no reference',
  },
  { label: 'Backtest return', note: 'after costs, on the test part', higher: true, value: (v) => v.metrics.backtest?.totalReturn, f: (x) => signedPct(x), extra: (v) => `${int(v.metrics.backtest?.trades)} trades` },
  { label: 'Backtest Sharpe', higher: true, value: (v) => v.metrics.backtest?.sharpe, f: (x) => num(x, 2) },
  { label: 'Max drawdown', higher: false, value: (v) => v.metrics.backtest?.maxDrawdown, f: (x) => pct(x) },
  {
    label: 'Calibration error (ECE)',
    note: 'after temperature scaling',
    higher: false,
    value: (v) => v.metrics.calibration?.eceAfter,
    f: (x) => pct(x),
    extra: (v) => `before ${pct(v.metrics.calibration?.eceBefore)} · T = ${num(v.metrics.calibration?.temperature, 2)}`,
  },
];

function bestIndex(row: Row, vs: ComparedVersion[]): number {
  if (row.higher === undefined) return -1;
  const vals = vs.map((v) => row.value(v));
  let best = -1;
  vals.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) return;
    const b = best < 0 ? null : (vals[best] as number);
    if (b === null || (row.higher ? x > b : x < b)) best = i;
  });
  // A tie is no "best".
  return best >= 0 && vals.filter((x) => x === vals[best]).length === 1 ? best : -1;
}

/** Column head: the version's letter and colour, link, status and type. */
export function VersionHead({ v, i }: { v: ComparedVersion; i: number }) {
  return (
    <th scope="col">
      <span className={styles.swatch} style={{ background: VERSION_COLORS[i] }} aria-hidden />
      <Link href={`/models/${encodeURIComponent(v.model)}/${v.label}`}>{seriesName(v)}</Link>
      <div className={styles.headMeta}>
        <Badge tone={versionTone(v.status)}>{v.status}</Badge> {v.modelType}
      </div>
    </th>
  );
}

/** The headline test metrics of each version with their bootstrap intervals; the best of each row in bold. */
export function CompareMetricsTable({ versions }: { versions: ComparedVersion[] }) {
  return (
    <div className="table-wrap" role="region" aria-label="Test metrics of the compared versions" tabIndex={0}>
      <table className={styles.table} data-testid="compare-metrics">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {versions.map((v, i) => (
              <VersionHead key={v.id} v={v} i={i} />
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Test samples</th>
            {versions.map((v) => (
              <td key={v.id}>
                {int(v.testSamples || v.metrics.testSamples)}
                <span className={styles.ci}>
                  {v.lineage?.dataset?.dataset?.name ?? '—'} · {v.lineage?.dataset?.parts.test.from?.slice(0, 10) ?? '?'} → {v.lineage?.dataset?.parts.test.to?.slice(0, 10) ?? '?'}
                </span>
              </td>
            ))}
          </tr>
          {ROWS.map((r) => {
            const best = bestIndex(r, versions);
            return (
              <tr key={r.label}>
                <th scope="row">
                  {r.label}
                  {r.note ? <span className={styles.ci}>{r.note}</span> : null}
                </th>
                {versions.map((v, i) => (
                  <td key={v.id} data-metric={r.label}>
                    <Figure value={r.value(v)} iv={r.iv ? r.iv(v) : undefined} f={r.f} none={r.none?.(v)} best={i === best} />
                    {r.extra ? <span className={styles.ci}>{r.extra(v)}</span> : null}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small" style={{ margin: '6px 0 0' }}>
        Intervals: moving-block bootstrap over each version&apos;s own test part (blocks of three label horizons), as stored at registration; the accuracy interval
        is computed now from the stored test labels and predictions with the same settings. Each version is measured on its own test bars: to compare two versions,
        read the paired differences below, not whether these intervals overlap. Bold: the best value of the row.
      </p>
    </div>
  );
}
