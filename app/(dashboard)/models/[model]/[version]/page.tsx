import Link from 'next/link';
import { notFound } from 'next/navigation';
import { TRPCError } from '@trpc/server';
import { serverCaller, requireUser } from '../../../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { Badge } from '@/components/ui/Badge';
import { ArchiveButton } from '@/components/forms/ArchiveButton';
import { GateVerdict } from '@/components/charts/GateVerdict';
import { ConfusionMatrix } from '@/components/charts/ConfusionMatrix';
import { BacktestChart } from '@/components/charts/BacktestChart';
import { ReliabilityChart } from '@/components/charts/ReliabilityChart';
import { WeightsChart } from '@/components/charts/WeightsChart';
import { TrainingCurves } from '@/components/charts/TrainingCurves';
import { MetricCards } from '@/components/charts/MetricCards';
import { BaselinesTable } from '@/components/charts/BaselinesTable';
import { PerClassTable } from '@/components/charts/PerClassTable';
import { LineageTable } from '@/components/charts/LineageTable';
import { WeightsTable } from '@/components/charts/WeightsTable';
import { asWire, versionParts } from '@/components/charts/types';
import { CompareWithForm } from '@/components/compare/CompareForms';
import { refParam } from '@/components/compare/types';
import { actorLabel, dateTime, int, num, pct, signedPct, versionTone } from '@/components/charts/format';

export const dynamic = 'force-dynamic';

export default async function VersionPage({ params }: { params: Promise<{ model: string; version: string }> }) {
  const p = await params;
  const model = decodeURIComponent(p.model);
  const user = await requireUser();
  const api = await serverCaller();
  const v = asWire(
    await api.registry.get({ model, version: decodeURIComponent(p.version) }).catch((e) => {
      if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) notFound();
      throw e;
    }),
  );
  const { metrics: m, gate, weights, lineage } = versionParts(v);
  // "Compare with…": every other version of any model, this model's first (newest first).
  const others = asWire(await api.registry.list())
    .sort((a, b) => Number(b.name === v.model) - Number(a.name === v.model))
    .flatMap((mm) => mm.versions.filter((o) => !(mm.name === v.model && o.version === v.version)).map((o) => ({ value: refParam(mm.name, o.label), label: `${mm.name} ${o.label} — ${o.modelType}, macro-F1 ${num(o.macroF1)} (${o.status})` })));
  const bt = m.backtest;
  const cal = m.calibration;
  const canEdit = user.role !== 'analyst';
  return (
    <>
      <PageHead
        title={`${v.model} ${v.label}`}
        subtitle={
          <>
            <Link href="/models">All models</Link> · <Badge tone={versionTone(v.status)}>{v.status}</Badge> · {v.modelType} on{' '}
            {lineage.dataset?.dataset?.name ?? '—'} · registered {dateTime(v.createdAt)} UTC by {actorLabel(v.createdBy)}
            {v.archivedAt ? ` · archived ${dateTime(v.archivedAt)} UTC` : ''}
          </>
        }
        actions={
          <div className="inline-action">
            <CompareWithForm current={refParam(v.model, v.label)} options={others} />
            {canEdit && v.status !== 'archived' ? <ArchiveButton model={v.model} version={v.version} /> : null}
          </div>
        }
      />
      <div className="stack" data-testid="version-detail">
        <div className="card">
          <h2>Gate</h2>
          <GateVerdict gate={gate} />
        </div>

        <MetricCards m={m} />

        <div className="card">
          <h2>Against the baselines</h2>
          <BaselinesTable m={m} />
        </div>

        <div className="grid cols-2">
          <div className="card">
            <h2>Confusion matrix</h2>
            <ConfusionMatrix matrix={m.confusion} />
          </div>
          <div className="card">
            <h2>Per class</h2>
            <PerClassTable m={m} />
          </div>
        </div>

        <div className="card">
          <div className="chart-controls" style={{ justifyContent: 'space-between' }}>
            <h2 style={{ margin: 0 }}>Backtest on the test part</h2>
            <span className="muted small">
              one position per signal, held {bt.horizon} bars · {num(bt.costBps, 1)} bps per side · {int(bt.bars)} bars
            </span>
          </div>
          <div className="kv-row" data-testid="backtest-stats">
            <span>
              total return <strong>{signedPct(bt.totalReturn)}</strong>
            </span>
            <span>
              Sharpe <strong>{num(bt.sharpe, 2)}</strong>
            </span>
            <span>
              max drawdown <strong>{pct(bt.maxDrawdown)}</strong>
            </span>
            <span>
              trades <strong>{int(bt.trades)}</strong> ({int(bt.longs)} long, {int(bt.shorts)} short)
            </span>
            <span>
              trade win rate <strong>{pct(bt.winRate)}</strong>
            </span>
            <span>
              exposure <strong>{pct(bt.exposure, 0)}</strong>
            </span>
          </div>
          <BacktestChart curve={bt.curve ?? []} />
        </div>

        <div className="grid cols-2">
          <div className="card">
            <h2>Calibration</h2>
            <div className="kv-row" data-testid="calibration-stats">
              <span>
                temperature <strong>{num(cal.temperature, 2)}</strong>
              </span>
              <span>
                ECE <strong>{pct(cal.eceBefore)}</strong> → <strong>{pct(cal.eceAfter)}</strong>
              </span>
              <span>
                validation NLL {num(cal.nllBefore)} → {num(cal.nllAfter)}
              </span>
            </div>
            <ReliabilityChart bins={cal.reliability.bins} />
            <p className="muted small" style={{ margin: '4px 0 0' }}>
              Temperature scaling fitted on the validation part; bins and ECE on the test part after scaling. The confidence serving returns is this calibrated
              probability.
            </p>
          </div>
          <div className="card">
            <h2>Training history</h2>
            {lineage.training ? (
              <p className="muted small" style={{ marginTop: -6 }}>
                {lineage.training.epochsRun} epochs, weights of epoch {lineage.training.bestEpoch}
                {lineage.training.stoppedEarly ? ' (stopped early)' : ''}
              </p>
            ) : null}
            <TrainingCurves history={m.history ?? []} totalEpochs={lineage.params?.epochs} bestEpoch={lineage.training?.bestEpoch ?? null} height={160} />
          </div>
        </div>

        <div className="card" data-testid="indicator-weights">
          <div className="chart-controls" style={{ justifyContent: 'space-between' }}>
            <h2 style={{ margin: 0 }}>Indicator weights</h2>
            <span className="muted small">
              {weights.previousVersion != null ? (
                <>
                  vs <Link href={`/models/${encodeURIComponent(v.model)}/v${weights.previousVersion}`}>v{weights.previousVersion}</Link> · improvement score (test
                  macro-F1 change) <strong>{weights.improvementScore == null ? '—' : `${weights.improvementScore >= 0 ? '+' : '−'}${Math.abs(weights.improvementScore).toFixed(3)}`}</strong>
                </>
              ) : (
                'first version of this model: no previous weights to compare'
              )}
            </span>
          </div>
          <p className="muted small" style={{ margin: '0 0 8px' }}>
            {weights.method}. Weights sum to 100%; these are the weights the trading app reads. The importance is the signed Δ NLL (validation loss with the
            input shuffled minus without): a negative one means shuffling the input improved the loss, and its weight is clipped to 0 before normalising.
          </p>
          <WeightsChart weights={weights.weights} previousVersion={weights.previousVersion} />
          <details>
            <summary>Table</summary>
            <WeightsTable weights={weights} />
          </details>
        </div>

        <div className="card" data-testid="lineage">
          <h2>Lineage</h2>
          <LineageTable v={v} lineage={lineage} />
        </div>
      </div>
    </>
  );
}
