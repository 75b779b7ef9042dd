'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { skipToken, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { actorLabel, dateTime, int, num, pct } from '@/components/charts/format';
import { ClassMixCompareChart, DriftShareChart, IndicatorHistogram, IndicatorStatsChart } from './charts';
import { statRows, verdictOf, windowText } from './logic';
import { RunPanel } from './RunPanel';
import { PolicyPanel } from './PolicyPanel';
import { AbPanel, LivePanel } from './OutcomesPanels';
import type { DriftPolicy, IndicatorResult, LivePerformance, ReportListRow, ReportRow, VersionChoice } from './types';
import promo from '@/components/promotion/Promotion.module.css';
import styles from './Drift.module.css';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

const LIST = 100;

export interface DriftInitial {
  model: string;
  champion: number | null;
  versions: VersionChoice[];
  datasets: string[];
  reports: ReportListRow[];
  /** The report shown first: the one in the URL, else the latest. */
  report: ReportRow | null;
  pinned: boolean;
  policy: DriftPolicy;
  live: LivePerformance;
}

/**
 * One model's Drift page, live: the report list refreshes every 10 s (a scheduled or API check shows up without a
 * reload); the page shows the latest report unless one is opened from the history (kept in the URL as ?report=).
 */
export function DriftModel({ initial, canEdit }: { initial: DriftInitial; canEdit: boolean }) {
  const trpc = useTRPC();
  const model = initial.model;
  const [pinned, setPinned] = useState<number | null>(initial.pinned && initial.report ? initial.report.id : null);
  const [picked, setPicked] = useState<string | null>(null);
  const reports = useQuery(trpc.drift.reports.queryOptions({ model, limit: LIST }, { initialData: initial.reports, refetchInterval: 10_000 }));
  const policy = useQuery(trpc.drift.policy.queryOptions({ model }, { initialData: initial.policy }));
  const list = reports.data ?? initial.reports;
  const latest = list[0]?.id ?? null;
  const shownId = pinned ?? latest;
  const report = useQuery({
    ...trpc.drift.report.queryOptions(shownId ? { id: shownId } : skipToken),
    initialData: initial.report && initial.report.id === shownId ? initial.report : undefined,
    placeholderData: (prev) => prev,
  });
  const r = report.data ?? null;
  const p = policy.data ?? initial.policy;

  // The URL keeps an opened report (reload and links show the same view).
  useEffect(() => {
    const u = new URL(window.location.href);
    if (pinned) u.searchParams.set('report', String(pinned));
    else u.searchParams.delete('report');
    window.history.replaceState(null, '', u);
  }, [pinned]);

  // The latest report needs no pin: a check run now, or opened from the history, is followed as newer ones arrive.
  useEffect(() => {
    if (pinned !== null && pinned === latest) setPinned(null);
  }, [pinned, latest]);

  const open = (id: number) => setPinned(id === latest ? null : id);
  const indicators = r?.body.indicators ?? [];
  const shownIndicator = indicators.find((i) => i.name === picked) ?? indicators.find((i) => i.drifted) ?? indicators[0] ?? null;

  return (
    <div className="stack">
      <p className={styles.info} data-testid="drift-info">
        Drift compares what the model sees — its scale-free inputs (prices relative to the EMA, scaled oscillators, log volume), not raw prices — with its
        training part. Market inputs persist from bar to bar, so n bars carry only about n / τ independent values (τ: the input&apos;s autocorrelation time in
        training): every verdict must also be significant at those effective sample sizes, and a window with too few samples says &ldquo;not enough data&rdquo;,
        never drift.
      </p>
      <div className={promo.grid}>
        <VerdictPanel report={r} latest={latest} pinned={pinned !== null} onLatest={() => setPinned(null)} policy={p} canEdit={canEdit} loading={report.isFetching && !r} />
        <RunPanel model={model} canEdit={canEdit} versions={initial.versions} champion={initial.champion} datasets={initial.datasets} defaultHours={p.windowHours} onReport={setPinned} />
        {r ? (
          <>
            <div className={promo.wide}>
              <IndicatorsPanel report={r} picked={shownIndicator?.name ?? null} onPick={setPicked} />
            </div>
            <HistogramPanel indicators={indicators} shown={shownIndicator} onPick={setPicked} />
          </>
        ) : null}
        {r || list.length ? (
        <div className="stack">
          {r ? <ClassMixPanel report={r} /> : null}
          {list.length ? (
            <section className="card" data-testid="drift-share-panel" aria-labelledby="share-title">
              <h2 id="share-title">Drift share over time</h2>
              {list.some((x) => x.driftShare !== null) ? (
                <DriftShareChart reports={list} threshold={p.thresholds.datasetShare} />
              ) : (
                <p className="muted" data-testid="drift-share-empty">
                  No report with a verdict yet ({list.length} without one: not enough data). The share of inputs that drifted is drawn for every report that had enough.
                </p>
              )}
            </section>
          ) : null}
        </div>
        ) : null}
        {list.length ? (
          <div className={promo.wide}>
            <HistoryPanel reports={list} shown={shownId} latest={latest} onOpen={open} more={list.length >= LIST} />
          </div>
        ) : null}
        <div className={promo.wide}>
          <LivePanel model={model} initial={initial.live} champion={initial.champion} />
        </div>
        <div className={promo.wide}>
          <AbPanel model={model} versions={initial.versions} champion={initial.champion} />
        </div>
        <div className={promo.wide}>
          <PolicyPanel model={model} policy={p} canEdit={canEdit} />
        </div>
      </div>
      <ErrorAlert error={reports.error} />
    </div>
  );
}

function VerdictPanel({ report: r, latest, pinned, onLatest, policy, canEdit, loading }: { report: ReportRow | null; latest: number | null; pinned: boolean; onLatest: () => void; policy: DriftPolicy; canEdit: boolean; loading: boolean }) {
  if (!r)
    return (
      <section className="card" data-testid="verdict-panel" aria-labelledby="verdict-title">
        <h2 id="verdict-title">Latest verdict</h2>
        <p className="muted" data-testid="verdict-empty">
          {loading
            ? 'Loading…'
            : `No drift report yet. ${policy.schedule.enabled ? `The daily check runs at ${String(policy.schedule.hourUtc).padStart(2, '0')}:00 UTC while the model serves traffic` : 'The daily check is off for this model'}${canEdit ? '; or run one now.' : '.'}`}
        </p>
      </section>
    );
  const v = verdictOf(r.status);
  const b = r.body;
  const share = r.driftShare;
  const drifted = b.indicators.filter((i) => i.drifted).length;
  const isLatest = r.id === latest;
  return (
    <section className="card" data-testid="verdict-panel" data-status={r.status} data-report={r.id} aria-labelledby="verdict-title">
      <div className={styles.verdictHead}>
        <h2 id="verdict-title">{isLatest ? 'Latest verdict' : `Report #${r.id}`}</h2>
        <span className={styles.bigBadge} data-testid="verdict-badge">
          <Badge tone={v.tone}>{v.text}</Badge>
        </span>
        {pinned && !isLatest ? (
          <button type="button" onClick={onLatest}>
            Back to the latest report
          </button>
        ) : null}
      </div>
      <p className={styles.summary} data-testid="verdict-summary">
        {b.summary}
      </p>
      <ul className={styles.checks}>
        <li data-testid="check-dataset">
          <span>Dataset drift</span>
          <span>
            {r.status === 'insufficient_data' ? (
              <>no verdict — {int(r.samples)} samples, minimum {int(b.thresholds.minSamples)}</>
            ) : (
              <>
                <strong>{r.datasetDrift ? 'yes' : 'no'}</strong> — {drifted} of {b.indicators.length} inputs ({pct(share, 0)}); drift at ≥ {pct(b.thresholds.datasetShare, 0)}
              </>
            )}
          </span>
        </li>
        <li data-testid="check-prediction">
          <span>Prediction drift</span>
          <span>
            {b.prediction.js === null ? (
              <>no verdict — {b.window.kind === 'dataset' ? 'a dataset window has no served answers' : `${int(b.prediction.n)} answered predictions, minimum ${int(b.thresholds.minSamples)}`}</>
            ) : (
              <>
                <strong>{r.predictionDrift ? 'yes' : 'no'}</strong> — class mix Jensen–Shannon {num(b.prediction.js, 3)}, drift at ≥ {num(b.prediction.threshold, 2)}
              </>
            )}
          </span>
        </li>
        <li data-testid="check-accuracy">
          <span>Live accuracy</span>
          <span>
            <strong>{r.accuracyDrift ? 'drift' : pct(b.accuracy.live)}</strong>
            {b.accuracy.liveCi ? ` (95 % ${pct(b.accuracy.liveCi[0])} – ${pct(b.accuracy.liveCi[1])})` : ''} vs {pct(b.accuracy.test)} on the test part — {b.accuracy.note}
          </span>
        </li>
        {b.retraining ? (
          <li data-testid="check-retraining">
            <span>Retraining</span>
            <span>
              {b.retraining.reason}
              {b.retraining.runId ? (
                <>
                  {' '}
                  — <Link href={`/training/${b.retraining.runId}`}>open the run</Link>
                </>
              ) : null}
            </span>
          </li>
        ) : null}
      </ul>
      <dl className={promo.facts}>
        <div>
          <dt>Version</dt>
          <dd>v{r.version}</dd>
        </div>
        <div>
          <dt>Window</dt>
          <dd data-testid="verdict-window">{windowText(b.window)}</dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd>
            {dateTime(r.createdAt)} UTC · {r.trigger} · {actorLabel(r.actor)}
          </dd>
        </div>
        <div>
          <dt>Samples</dt>
          <dd>{int(r.samples)}</dd>
        </div>
      </dl>
    </section>
  );
}

function IndicatorsPanel({ report: r, picked, onPick }: { report: ReportRow; picked: string | null; onPick: (name: string) => void }) {
  const inds = r.body.indicators;
  const s = statRows(inds);
  const t = r.body.thresholds;
  return (
    <section className="card" data-testid="indicators-panel" aria-labelledby="indicators-title">
      <div className={promo.panelHead}>
        <h2 id="indicators-title">Per indicator</h2>
        <span className="muted small">
          KS when the reference has ≤ 1,000 rows (drift at p &lt; {t.ksPValue}), else Wasserstein / std (drift at ≥ {t.wasserstein}, and significant by KS at the effective sizes)
        </span>
      </div>
      {s.measured ? (
        <IndicatorStatsChart indicators={inds} picked={picked} onPick={onPick} />
      ) : (
        <p className="muted" data-testid="indicators-empty">
          No statistic to draw: the window had {int(r.samples)} samples (minimum {int(t.minSamples)}) — not enough data, no verdict. The reference distributions are in the
          histograms below.
        </p>
      )}
      {s.measured ? <IndicatorsTable indicators={inds} picked={picked} onPick={onPick} /> : null}
    </section>
  );
}

function IndicatorsTable({ indicators: inds, picked, onPick }: { indicators: IndicatorResult[]; picked: string | null; onPick: (name: string) => void }) {
  return (
      <div className="table-wrap" role="region" aria-label="Per-indicator results" tabIndex={0} style={{ marginTop: 10 }}>
        <table className={`${styles.table} ${styles.wrapHead}`} data-testid="indicators-table">
          <thead>
            <tr>
              <th scope="col" className={styles.sticky}>
                Indicator
              </th>
              <th scope="col">Verdict</th>
              <th scope="col">Statistic</th>
              <th scope="col">Threshold</th>
              <th scope="col">KS p (effective n ref / cur, τ)</th>
              <th scope="col">PSI</th>
              <th scope="col">Values (excluded)</th>
              <th scope="col">Histogram</th>
            </tr>
          </thead>
          <tbody>
            {inds.map((i) => (
              <tr key={i.name} data-indicator={i.name} data-drifted={i.drifted} className={i.name === picked ? styles.selected : undefined}>
                <th scope="row" className={styles.sticky}>
                  {i.name}
                </th>
                <td>{i.drifted ? <Badge tone="bad">drifted</Badge> : i.statistic === null ? <span className="muted">—</span> : <Badge tone="ok">stable</Badge>}</td>
                <td>
                  {num(i.statistic, 3)} <span className="muted small">{i.test === 'ks' ? 'KS D' : 'Wasserstein'}</span>
                </td>
                <td>{num(i.threshold, 3)}</td>
                <td>
                  {i.pValue === null ? '—' : i.pValue.toPrecision(2)}{' '}
                  <span className="muted small">
                    ({int(i.effective.reference)} / {int(i.effective.current)}, τ {num(i.effective.tau, 1)})
                  </span>
                </td>
                <td>
                  {num(i.psi, 3)} {i.psiBand ? <span className="muted small">{i.psiBand}</span> : null}
                </td>
                <td>
                  {int(i.nCurrent)} {i.excluded ? <span className="muted small">({int(i.excluded)})</span> : null}
                </td>
                <td>
                  <button type="button" className={styles.linkButton} onClick={() => onPick(i.name)} disabled={i.name === picked} aria-label={`Histogram of ${i.name}`}>
                    {i.name === picked ? 'shown' : 'show'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
  );
}

function HistogramPanel({ indicators, shown, onPick }: { indicators: IndicatorResult[]; shown: IndicatorResult | null; onPick: (name: string) => void }) {
  return (
    <section className="card" data-testid="histogram-panel" aria-labelledby="histogram-title">
      <div className={promo.panelHead}>
        <h2 id="histogram-title">Reference vs current</h2>
        <label className={styles.radio} style={{ paddingBottom: 0 }}>
          Indicator
          <select value={shown?.name ?? ''} onChange={(e) => onPick(e.target.value)}>
            {indicators.map((i) => (
              <option key={i.name} value={i.name}>
                {i.name}
                {i.drifted ? ' (drifted)' : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      {shown ? <IndicatorHistogram indicator={shown} /> : null}
      {shown ? (
        <p className={styles.note}>
          Bins are the training part&apos;s deciles, so the reference holds about 10 % in each; {shown.nCurrent ? `a shift shows as bins that fill or empty (PSI ${num(shown.psi, 3)}: ${shown.psiBand}; bands 0.1 / 0.25).` : 'the window had no value of this input: reference only.'}
        </p>
      ) : null}
    </section>
  );
}

function ClassMixPanel({ report: r }: { report: ReportRow }) {
  const pr = r.body.prediction;
  return (
    <section className="card" data-testid="class-mix-panel" aria-labelledby="class-mix-title">
      <h2 id="class-mix-title">Class mix</h2>
      <ClassMixCompareChart prediction={pr} />
      <p className={styles.note} data-testid="class-mix-note">
        {pr.n === 0
          ? r.body.window.kind === 'dataset'
            ? 'A dataset window has no served answers: the current class mix is what the version answered over a window of requests. Reference: its test-part predictions.'
            : `v${r.version} answered no prediction in this window. Reference: its test-part predictions.`
          : pr.js === null
            ? `${int(pr.n)} answered predictions, fewer than the minimum ${int(r.body.thresholds.minSamples)}: no verdict.`
            : `Jensen–Shannon distance ${num(pr.js, 3)} (prediction drift at ≥ ${num(pr.threshold, 2)}): ${pr.drifted ? 'drift' : 'stable'}.`}
      </p>
    </section>
  );
}

function HistoryPanel({ reports, shown, latest, onOpen, more }: { reports: ReportListRow[]; shown: number | null; latest: number | null; onOpen: (id: number) => void; more: boolean }) {
  return (
    <section className="card" data-testid="report-history" aria-labelledby="history-title">
      <h2 id="history-title">Report history</h2>
      <div className="table-wrap" role="region" aria-label="Drift reports" tabIndex={0}>
        <table className={styles.table}>
          <thead>
            <tr>
              <th scope="col">Report</th>
              <th scope="col">Checked (UTC) · by</th>
              <th scope="col">Verdict</th>
              <th scope="col">Share</th>
              <th scope="col">Samples</th>
            </tr>
          </thead>
          <tbody>
            {reports.map((x) => {
              const v = verdictOf(x.status);
              return (
                <tr key={x.id} data-report={x.id} className={x.id === shown ? styles.selected : undefined} aria-current={x.id === shown ? 'true' : undefined}>
                  <td>
                    <button type="button" className={styles.linkButton} onClick={() => onOpen(x.id)} disabled={x.id === shown} aria-label={`Open report #${x.id}`}>
                      #{x.id}
                    </button>{' '}
                    <span className="muted small">v{x.version}</span>
                    {x.id === latest ? <span className="muted small"> · latest</span> : null}
                  </td>
                  <td>
                    {dateTime(x.createdAt)}
                    <br />
                    <span className="muted small">
                      {x.trigger} · {actorLabel(x.actor)}
                    </span>
                  </td>
                  <td>
                    <Badge tone={v.tone}>{v.text}</Badge>
                  </td>
                  <td>{pct(x.driftShare, 0)}</td>
                  <td>{int(x.samples)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {more ? <p className={styles.note}>The latest {LIST} reports.</p> : null}
    </section>
  );
}
