import Link from 'next/link';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';
import { TrainForm } from '@/components/forms/TrainForm';
import { RunsTable } from '@/components/charts/RunsTable';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function TrainingPage({ searchParams }: { searchParams: Promise<{ model?: string | string[] }> }) {
  const user = await requireUser();
  const api = await serverCaller();
  const sp = await searchParams;
  const model = typeof sp.model === 'string' && sp.model ? sp.model : undefined;
  const [runs, datasets, defaults, status] = await Promise.all([
    api.training.list({ limit: 50, ...(model ? { modelName: model } : {}) }).then(asWire),
    api.data.list(),
    api.training.defaults(),
    api.training.status(),
  ]);
  const canTrain = user.role !== 'analyst';
  const active = status.active.length;
  return (
    <>
      <PageHead
        title="Training"
        subtitle={
          <>
            Pick a dataset and a model, train, and get an evaluated, gated version in the registry. Runs are queued and executed by a worker
            {active ? ` · ${active} active now` : ''}.
          </>
        }
      />
      <div className="stack">
        {canTrain ? (
          <TrainForm datasets={datasets.map((d) => ({ name: d.name, timeframe: d.timeframe, rowCount: d.rowCount }))} defaults={defaults.defaults} modelTypes={defaults.modelTypes} />
        ) : (
          <p className="muted">Engineers and admins can start training runs; analysts can watch them.</p>
        )}
        {runs.length || model ? (
          <div className="card">
            <div className="chart-controls" style={{ justifyContent: 'space-between' }}>
              <h2 style={{ margin: 0 }}>{model ? `Runs of ${model}` : 'Runs'}</h2>
              {model ? <Link href="/training">show every model</Link> : null}
            </div>
            {runs.length ? <RunsTable initialRuns={runs} modelName={model} /> : <p className="muted">No run of this model yet.</p>}
          </div>
        ) : (
          <EmptyState title="No training runs yet — train one">
            {canTrain
              ? 'Choose a dataset and a model type above and click Train: the run page draws the loss and accuracy curves live, then shows the registered version.'
              : 'When an engineer starts a run it appears here, with its live progress and result.'}
          </EmptyState>
        )}
      </div>
    </>
  );
}
