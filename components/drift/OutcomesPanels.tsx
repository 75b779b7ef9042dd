'use client';
import { useState } from 'react';
import { skipToken, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { int, num, pct, signedPct } from '@/components/charts/format';
import { AbPValueChart, LiveAccuracyChart } from './charts';
import { VersionOptions } from './VersionOptions';
import type { AbMetric, LivePerformance, LiveVersion } from './types';
import promo from '@/components/promotion/Promotion.module.css';
import styles from './Drift.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

const ci = (c: [number, number] | null | undefined, f: (v: number) => string) => (c ? `${f(c[0])} – ${f(c[1])}` : '—');
/** A live figure, its 95 % interval under it, and what the test part promised under that. */
const withCi = (v: number | null, c: [number, number] | null | undefined, f: (v: number | null) => string, promised?: number | null) => (
  <>
    {f(v)}
    <br />
    <span className="muted small">{ci(c, (x) => f(x))}</span>
    {promised !== undefined ? (
      <>
        <br />
        <span className="muted small">test {f(promised)}</span>
      </>
    ) : null}
  </>
);

/** The version whose outcomes a chart shows first: the champion when it has some, else the one with the most. */
export function defaultVersion(versions: LiveVersion[], champion: number | null): number | null {
  const withOutcomes = versions.filter((v) => v.n > 0);
  if (champion !== null && withOutcomes.some((v) => v.version === champion)) return champion;
  return [...withOutcomes].sort((a, b) => b.n - a.n)[0]?.version ?? champion ?? versions[0]?.version ?? null;
}

/**
 * How served signals turned out, per version: accuracy, macro-F1, win rate and return after costs with 95 % intervals,
 * next to what the version promised on its test part; and one version's cumulative accuracy over time with its band.
 */
export function LivePanel({ model, initial, champion }: { model: string; initial: LivePerformance; champion: number | null }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.outcomes.live.queryOptions({ model }, { initialData: initial, refetchInterval: 30_000 }));
  const live = q.data ?? initial;
  const [chosen, setChosen] = useState<number | null>(null);
  const shown = chosen ?? defaultVersion(live.versions, champion);
  const v = live.versions.find((x) => x.version === shown) ?? null;
  const total = live.versions.reduce((a, x) => a + x.n, 0);
  const pending = live.versions.reduce((a, x) => a + x.pending, 0);
  return (
    <section className="card" data-testid="live-panel" aria-labelledby="live-title">
      <div className={promo.panelHead}>
        <h2 id="live-title">Live performance per version</h2>
        {total ? (
          <label className={styles.radio} style={{ paddingBottom: 0 }}>
            Chart
            <select value={shown ?? ''} onChange={(e) => setChosen(Number(e.target.value))} aria-label="Version to chart">
              {live.versions.map((x) => (
                <option key={x.version} value={x.version}>
                  v{x.version} ({x.modelType}) · {int(x.n)} outcomes
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      <p className={styles.note} style={{ marginTop: 0, marginBottom: 8 }}>
        An outcome is a served prediction whose bar, the label horizon later, has arrived in a dataset of the same symbol and timeframe, labelled by the version&apos;s own
        rule; repeated predictions of one bar count once. The worker resolves them every 5 minutes.
      </p>
      <div className="table-wrap" role="region" aria-label="Live figures per version" tabIndex={0}>
        <table className={`${styles.table} ${styles.wrapHead}`} data-testid="live-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Outcomes</th>
              <th scope="col">Pending</th>
              <th scope="col">Accuracy · 95 % · promised</th>
              <th scope="col">Macro-F1 · 95 % · promised</th>
              <th scope="col">Trades</th>
              <th scope="col">Win rate · 95 % · promised</th>
              <th scope="col">Return / trade after costs · 95 %</th>
            </tr>
          </thead>
          <tbody>
            {live.versions.map((x) => (
              <tr key={x.version} data-version={x.version}>
                <td>
                  v{x.version} <span className="muted small">{x.modelType}</span> {x.version === champion ? <Badge tone="ok">champion</Badge> : null} {x.shadow ? <Badge>shadow</Badge> : null}
                </td>
                <td>{int(x.n)}</td>
                <td>{int(x.pending)}</td>
                <td>{withCi(x.accuracy, x.accuracyCi, (p) => pct(p), x.promised.accuracy)}</td>
                <td>{withCi(x.macroF1, x.macroF1Ci, (p) => num(p), x.promised.macroF1)}</td>
                <td>{int(x.trades)}</td>
                <td>{withCi(x.winRate, x.winRateCi, (p) => pct(p), x.promised.winRate)}</td>
                <td>{withCi(x.meanReturn.value, x.meanReturn.ci, (p) => signedPct(p, 3))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {v && v.n > 0 ? (
        <LiveAccuracyChart v={v} />
      ) : (
        <p className="muted" data-testid="live-empty" style={{ marginTop: 10 }}>
          No resolved outcome yet{pending ? `: ${int(pending)} served prediction${pending === 1 ? ' waits' : 's wait'} for the bar the label horizon later` : ': no served prediction of this model has been logged'}.
          Outcomes resolve once the trading app appends those bars (POST /api/v1/datasets/&#123;name&#125;/candles); <code>npm run cli -- outcomes</code> resolves them now.
        </p>
      )}
      <ErrorAlert error={q.error} />
    </section>
  );
}

/**
 * A/B on outcomes between two versions, with the always-valid test (mSPRT): its verdict ("not significant yet: about
 * N more outcomes at the current difference"), and its p-value at each daily look.
 */
export function AbPanel({ model, versions, champion }: { model: string; versions: { version: number; modelType: string }[]; champion: number | null }) {
  const trpc = useTRPC();
  const first = champion ?? versions[versions.length - 1]?.version ?? null;
  const second = [...versions].reverse().find((v) => v.version !== first)?.version ?? null;
  const [a, setA] = useState<number | null>(first);
  const [b, setB] = useState<number | null>(second);
  const [metric, setMetric] = useState<AbMetric>('accuracy');
  const [alpha, setAlpha] = useState(0.05);
  const ready = a !== null && b !== null && a !== b;
  const q = useQuery({ ...trpc.outcomes.ab.queryOptions(ready ? { model, a, b, metric, alpha } : skipToken), refetchInterval: 30_000, placeholderData: (prev) => prev });
  const ab = q.data;
  const select = (label: string, value: number | null, set: (v: number) => void) => (
    <label>
      {label}
      <select value={value ?? ''} onChange={(e) => set(Number(e.target.value))}>
        <VersionOptions versions={versions} champion={champion} />
      </select>
    </label>
  );
  return (
    <section className="card" data-testid="ab-panel" aria-labelledby="ab-title">
      <div className={promo.panelHead}>
        <h2 id="ab-title">A/B on outcomes</h2>
      </div>
      {versions.length < 2 ? (
        <p className="muted" data-testid="ab-empty">
          An A/B compares two versions of the model; {model} has one so far.
        </p>
      ) : (
        <>
          <div className="form-row" style={{ marginBottom: 10 }}>
            {select('A (baseline)', a, setA)}
            {select('B (challenger)', b, setB)}
            <label>
              Metric
              <select value={metric} onChange={(e) => setMetric(e.target.value as AbMetric)}>
                <option value="accuracy">accuracy</option>
                <option value="return">return per trade after costs</option>
              </select>
            </label>
            <label>
              α
              <select value={String(alpha)} onChange={(e) => setAlpha(Number(e.target.value))}>
                {[0.01, 0.05, 0.1].map((x) => (
                  <option key={x} value={String(x)}>
                    {x}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {!ready ? (
            <p className="muted">Pick two different versions.</p>
          ) : ab ? (
            <>
              <p className={styles.abVerdict} data-testid="ab-verdict" aria-live="polite">
                {ab.significant ? <Badge tone={(ab.difference ?? 0) > 0 ? 'ok' : 'bad'}>significant</Badge> : <Badge>not significant</Badge>} {ab.verdict}
              </p>
              <dl className={promo.facts}>
                <div>
                  <dt>Outcomes</dt>
                  <dd>
                    v{ab.a}: {int(ab.nA)} · v{ab.b}: {int(ab.nB)}
                  </dd>
                </div>
                <div>
                  <dt>Difference B − A</dt>
                  <dd>{ab.difference === null ? '—' : signedPct(ab.difference, metric === 'accuracy' ? 1 : 3)}</dd>
                </div>
                <div>
                  <dt>Always-valid p-value</dt>
                  <dd>{ab.pValue === null ? '—' : ab.pValue.toPrecision(2)}</dd>
                </div>
              </dl>
              {ab.looks.length ? (
                <AbPValueChart ab={ab} />
              ) : (
                <p className="muted" data-testid="ab-no-looks">
                  No look yet: each version needs at least 2 outcomes{metric === 'return' ? ' with a trade (BUY or SELL)' : ''}.
                </p>
              )}
              <p className={styles.note}>
                mSPRT (a mixture sequential test): its p-value stays valid however often it is looked at, so checking every day does not inflate false positives.
              </p>
            </>
          ) : q.error ? (
            <div className="error" role="alert">
              {q.error.message}
            </div>
          ) : (
            <p className="muted">Loading…</p>
          )}
        </>
      )}
    </section>
  );
}
