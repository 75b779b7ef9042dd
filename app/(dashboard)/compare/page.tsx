import Link from 'next/link';
import type { ReactNode } from 'react';
import { TRPCError } from '@trpc/server';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';
import { ConfusionMatrix } from '@/components/charts/ConfusionMatrix';
import { TrainingCurves } from '@/components/charts/TrainingCurves';
import { BacktestChart } from '@/components/charts/BacktestChart';
import { ReliabilityChart } from '@/components/charts/ReliabilityChart';
import { WeightsChart } from '@/components/charts/WeightsChart';
import { asWire } from '@/components/charts/types';
import { num, pct, signedPct } from '@/components/charts/format';
import { CompareMetricsTable } from '@/components/compare/CompareMetricsTable';
import { PairedDifferences } from '@/components/compare/PairedDifferences';
import { LineageDiff } from '@/components/compare/LineageDiff';
import { ParamsScatter } from '@/components/compare/ParamsScatter';
import { CompareSelection, type VersionOption } from '@/components/compare/CompareForms';
import { VERSION_COLORS, refParam, seriesName } from '@/components/compare/types';
import styles from '@/components/compare/Compare.module.css';

export const dynamic = 'force-dynamic';

const MAX = 4;

/** `model@v3` (the last `@` splits: model names cannot contain one) → a version reference, or what is wrong with it. */
function parseRef(raw: string): { model: string; version: string } | string {
  const at = raw.lastIndexOf('@');
  if (at < 1 || at === raw.length - 1) return `v=${raw}: write a version as model@vN (e.g. eurusd-lstm@v2)`;
  return { model: raw.slice(0, at), version: raw.slice(at + 1) };
}

function Problem({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="card" role="alert" data-testid="compare-error">
      <h2>{title}</h2>
      <p style={{ margin: 0 }}>{children}</p>
    </div>
  );
}

export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireUser();
  const sp = await searchParams;
  const raw = [sp.v ?? []].flat().filter((s) => s.trim() !== '');
  const api = await serverCaller();
  const models = asWire(await api.registry.list());
  const options: VersionOption[] = models.flatMap((m) =>
    m.versions.map((v) => ({ value: refParam(m.name, v.label), label: `${m.name} ${v.label} — ${v.modelType}, macro-F1 ${num(v.macroF1)} (${v.status})` })),
  );
  const head = (subtitle: ReactNode) => <PageHead title="Compare versions" subtitle={subtitle} />;

  const parsed = raw.map(parseRef);
  const bad = parsed.find((p): p is string => typeof p === 'string');
  const refs = parsed.filter((p): p is { model: string; version: string } => typeof p !== 'string');

  if (bad || refs.length < 2 || refs.length > MAX) {
    const picker = (
      <CompareSelection
        selected={refs.slice(0, MAX).map((r, i) => ({ ref: `${r.model}@${r.version}`, name: `${r.model} ${r.version}`, color: VERSION_COLORS[i] }))}
        options={options}
      />
    );
    return (
      <>
        {head('Pick 2–4 versions of any models: their metrics with intervals, paired differences on shared test bars, curves, matrices and lineage side by side.')}
        <div className="stack">
          {bad ? <Problem title="That version reference cannot be read">{bad}</Problem> : null}
          {refs.length > MAX ? <Problem title="Too many versions">{`${refs.length} versions picked: compare at most ${MAX} at once.`}</Problem> : null}
          {options.length < 2 ? (
            <EmptyState title="Nothing to compare yet">
              Comparing needs at least two registered versions; there {options.length === 1 ? 'is one' : 'are none'}. <Link href="/training">Train a model</Link> — every
              finished run registers a version.
            </EmptyState>
          ) : (
            <div className="card">
              <h2>Pick versions</h2>
              <p className="muted" style={{ marginTop: 0 }}>
                Tick 2–4 versions on the <Link href="/models">Models page</Link> and press “Compare selected”, use “Compare with…” on a version page, or add them
                here one at a time.
              </p>
              {picker}
            </div>
          )}
        </div>
      </>
    );
  }

  let data;
  try {
    data = asWire(await api.registry.compare({ versions: refs }));
  } catch (e) {
    if (!(e instanceof TRPCError) || !['NOT_FOUND', 'BAD_REQUEST'].includes(e.code)) throw e;
    return (
      <>
        {head(<Link href="/models">All models</Link>)}
        <div className="stack">
          <Problem title={e.code === 'NOT_FOUND' ? 'Not in the registry' : 'Cannot compare these'}>{e.message}</Problem>
          <div className="card">
            <CompareSelection selected={[]} options={options} />
          </div>
        </div>
      </>
    );
  }
  const vs = data.versions;
  const names = vs.map(seriesName);
  const scatters = await Promise.all([...new Set(vs.map((v) => v.model))].map(async (m) => asWire(await api.registry.paramsScatter({ model: m }))));
  const pairedCount = data.pairs.filter((p) => p.available).length;

  return (
    <>
      {head(
        <>
          <Link href="/models">All models</Link> · {vs.length} versions · {pairedCount} of {data.pairs.length} pair{data.pairs.length === 1 ? '' : 's'} tested on the same
          bars
        </>,
      )}
      <div className="stack" data-testid="compare-page">
        <div className="card">
          <CompareSelection selected={vs.map((v, i) => ({ ref: refParam(v.model, v.label), name: names[i], color: VERSION_COLORS[i] }))} options={options} />
        </div>

        <div className="card">
          <h2>Test metrics</h2>
          <CompareMetricsTable versions={vs} />
        </div>

        <div className="card">
          <h2>Paired differences</h2>
          <PairedDifferences versions={vs} pairs={data.pairs} />
        </div>

        <div className="card" data-testid="compare-curves">
          <h2>Learning curves</h2>
          <p className="muted small" style={{ marginTop: -6 }}>
            Validation solid, training dashed, per epoch.
          </p>
          <TrainingCurves history={[]} height={220} overlay={vs.map((v, i) => ({ name: v.key, color: VERSION_COLORS[i], history: v.metrics.history ?? [] }))} />
        </div>

        <div className="card" data-testid="compare-confusion">
          <h2>Confusion matrices</h2>
          <div className={styles.panels}>
            {vs.map((v, i) => (
              <div key={v.id} className={styles.panel}>
                <h3>
                  <span className={styles.swatch} style={{ background: VERSION_COLORS[i] }} aria-hidden />
                  {names[i]}
                </h3>
                <ConfusionMatrix matrix={v.metrics.confusion} />
              </div>
            ))}
          </div>
        </div>

        <div className="card" data-testid="compare-equity">
          <h2>Backtest equity on the test part</h2>
          <div className="kv-row">
            {vs.map((v) => (
              <span key={v.id}>
                {v.key}: <strong>{signedPct(v.metrics.backtest.totalReturn)}</strong> · Sharpe {num(v.metrics.backtest.sharpe, 2)} · max DD {pct(v.metrics.backtest.maxDrawdown)} ·{' '}
                {num(v.metrics.backtest.costBps, 1)} bp per side
              </span>
            ))}
          </div>
          <BacktestChart curve={[]} series={vs.map((v, i) => ({ name: names[i], color: VERSION_COLORS[i], curve: v.metrics.backtest.curve ?? [] }))} />
        </div>

        <div className="card" data-testid="compare-reliability">
          <h2>Reliability</h2>
          <div className="kv-row">
            {vs.map((v) => (
              <span key={v.id}>
                {v.key}: ECE <strong>{pct(v.metrics.calibration.eceAfter)}</strong> (before scaling {pct(v.metrics.calibration.eceBefore)}) · temperature{' '}
                {num(v.metrics.calibration.temperature, 2)}
              </span>
            ))}
          </div>
          <ReliabilityChart bins={[]} overlay={vs.map((v, i) => ({ name: names[i], color: VERSION_COLORS[i], bins: v.metrics.calibration.reliability.bins }))} />
        </div>

        <div className="card" data-testid="compare-weights">
          <h2>Indicator weights</h2>
          <p className="muted small" style={{ marginTop: -6 }}>
            Normalised permutation importance on each version&apos;s validation part (each version&apos;s weights sum to 100%), ordered by {vs[0].key}&apos;s weights. No bar: a weight of 0 (the input carried nothing the model used).
          </p>
          <WeightsChart
            weights={vs[0].indicatorWeights.weights}
            previousVersion={null}
            name={names[0]}
            color={VERSION_COLORS[0]}
            others={vs.slice(1).map((v, i) => ({ name: names[i + 1], color: VERSION_COLORS[i + 1], weights: v.indicatorWeights.weights }))}
          />
        </div>

        <div className="card">
          <h2>Parameters and lineage</h2>
          <LineageDiff versions={vs} rows={data.diff} />
        </div>

        <div className="card">
          <h2>Parameters against test macro-F1</h2>
          <ParamsScatter scatters={scatters} marks={vs.map((v, i) => ({ model: v.model, version: v.version, name: names[i], color: VERSION_COLORS[i] }))} />
        </div>
      </div>
    </>
  );
}
