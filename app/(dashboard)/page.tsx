import Link from 'next/link';
import { serverCaller } from '../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { Badge } from '@/components/ui/Badge';
import { timeOfDay } from '@/components/charts/format';
import { WorkersTable } from '@/components/ui/WorkersTable';
import { PingButton } from '@/components/forms/PingButton';
import { ActiveAlerts } from '@/components/alerts/ActiveAlerts';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const api = await serverCaller();
  const [ready, me, datasets, models, status, splits, alerts] = await Promise.all([
    api.system.ready(),
    api.auth.me(),
    api.data.list(),
    api.registry.list(),
    api.training.status(),
    api.inference.splits(),
    api.alerts.active(),
  ]);
  const versions = models.flatMap((m) => m.versions);
  const served = Object.entries(splits);
  const canPing = me.kind === 'user' && me.role !== 'analyst';
  return (
    <>
      <PageHead
        title="Overview"
        subtitle={`SignalOps ${ready.version} · checked ${timeOfDay(ready.checkedAt)} UTC`}
        actions={<Badge tone={ready.ready ? 'ok' : 'bad'}>{ready.ready ? 'System ready' : 'Not ready'}</Badge>}
      />
      {ready.problems.length ? (
        <div className="error" role="alert" style={{ marginBottom: 16 }}>
          {ready.problems.map((p) => (
            <div key={p}>{p}</div>
          ))}
        </div>
      ) : null}
      <ActiveAlerts initial={asWire(alerts)} compact />
      <div className="grid cols-4" style={{ marginBottom: 16 }}>
        <div className="card stat" data-testid="stat-database">
          <div className="label">Database</div>
          <div className="value">{ready.database.ok ? 'Connected' : 'Down'}</div>
          <div className="sub">{ready.database.latencyMs !== null ? `${ready.database.latencyMs} ms round trip` : ready.database.error}</div>
        </div>
        <div className="card stat">
          <div className="label">Migrations</div>
          <div className="value">
            {ready.migrations.applied} / {ready.migrations.expected}
          </div>
          <div className="sub">{ready.migrations.ok ? 'schema up to date' : 'pending'}</div>
        </div>
        <div className="card stat" data-testid="stat-workers">
          <div className="label">Workers alive</div>
          <div className="value">{ready.workers.alive}</div>
          <div className="sub">seen in the last {ready.workers.staleAfterSeconds}s</div>
        </div>
        <div className="card stat">
          <div className="label">TensorFlow.js</div>
          <div className="value">{ready.tensorflow.backend ?? 'unavailable'}</div>
          <div className="sub">{ready.tensorflow.version ? `tfjs ${ready.tensorflow.version}` : ready.tensorflow.error}</div>
        </div>
      </div>
      <div className="grid cols-4" style={{ marginBottom: 16 }}>
        <div className="card stat" data-testid="stat-datasets">
          <div className="label">Datasets</div>
          <div className="value">{datasets.length}</div>
          <div className="sub">{datasets.reduce((a, d) => a + d.rowCount, 0).toLocaleString('en')} bars</div>
        </div>
        <div className="card stat">
          <div className="label">Model versions</div>
          <div className="value">{versions.length}</div>
          <div className="sub">
            {versions.filter((v) => v.status === 'candidate').length} candidate · {versions.filter((v) => v.status === 'rejected').length} rejected
          </div>
        </div>
        <div className="card stat">
          <div className="label">Training now</div>
          <div className="value">{status.active.length}</div>
          <div className="sub">
            {status.active.length ? (
              <Link href={`/training/${status.active[0].id}`}>
                {status.active[0].modelName}: {status.active[0].stage ?? status.active[0].status}
              </Link>
            ) : (
              'no active run'
            )}
          </div>
        </div>
        <div className="card stat" data-testid="stat-serving">
          <div className="label">Serving</div>
          <div className="value" style={{ fontSize: 16, overflowWrap: 'anywhere' }}>
            {served.length ? served.map(([m]) => m).join(', ') : 'nothing yet'}
          </div>
          <div className="sub">
            {served.length
              ? served.map(([m, s]) => `${m}: ${s.map((e) => `v${e.version} ${e.percent}%`).join(' / ')}`).join(' · ')
              : 'a model’s first candidate version gets 100% of traffic'}
          </div>
        </div>
      </div>
      <div className="grid cols-2">
        <div className="card">
          <h2>Workers</h2>
          <WorkersTable workers={ready.workers.list} />
          {canPing ? <PingButton /> : null}
        </div>
        <div className="card">
          <h2>Getting started</h2>
          <ol style={{ margin: 0, paddingLeft: 18, lineHeight: 1.8 }}>
            <li>
              <Link href="/data">Import candles</Link> — or use the demo dataset.
            </li>
            <li>
              <Link href="/training">Train a model</Link> and watch it learn.
            </li>
            <li>
              <Link href="/models">Compare versions</Link>; <Link href="/promotion">promote</Link> the best one.
            </li>
            <li>
              <Link href="/settings">Create an API key</Link> for the trading app.
            </li>
          </ol>
        </div>
      </div>
    </>
  );
}
