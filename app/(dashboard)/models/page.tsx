import Link from 'next/link';
import { serverCaller, requireUser } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { EmptyState } from '@/components/ui/EmptyState';
import { Badge } from '@/components/ui/Badge';
import { ScheduleEditor } from '@/components/forms/ScheduleEditor';
import { SymbolsEditor } from '@/components/forms/SymbolsEditor';
import { asWire, scheduleParams, type ModelList } from '@/components/charts/types';
import { dateTime, num, pct, versionTone } from '@/components/charts/format';
import { CompareSelectedButton, COMPARE_FORM_ID } from '@/components/compare/CompareSelectedButton';
import { refParam } from '@/components/compare/types';

export const dynamic = 'force-dynamic';

function VersionsTable({ model }: { model: ModelList[number] }) {
  if (!model.versions.length) return <p className="muted">No version registered yet.</p>;
  return (
    <div className="table-wrap">
      <table data-testid={`versions-${model.name}`}>
        <thead>
          <tr>
            <th>Compare</th>
            <th>Version</th>
            <th>Status</th>
            <th>Type</th>
            <th>Accuracy</th>
            <th>Macro-F1</th>
            <th>Win rate</th>
            <th>Sharpe</th>
            <th>Dataset</th>
            <th>Registered</th>
          </tr>
        </thead>
        <tbody>
          {model.versions.map((v) => (
            <tr key={v.id}>
              <td>
                {/* Joins the "Compare selected" form at the top of the page (tables here sit beside other forms). */}
                <input type="checkbox" form={COMPARE_FORM_ID} name="v" value={refParam(model.name, v.label)} aria-label={`Compare ${model.name} ${v.label}`} />
              </td>
              <td>
                <Link href={`/models/${encodeURIComponent(model.name)}/${v.label}`}>
                  <strong>{v.label}</strong>
                </Link>
              </td>
              <td>
                <Badge tone={versionTone(v.status)}>{v.status}</Badge>
              </td>
              <td>{v.modelType}</td>
              <td>{pct(v.accuracy)}</td>
              <td>{num(v.macroF1)}</td>
              <td>{pct(v.winRate)}</td>
              <td>{num(v.sharpe, 2)}</td>
              <td>{v.dataset ?? '—'}</td>
              <td>
                {dateTime(v.createdAt)}
                <div className="muted small">
                  by {v.createdBy}
                  {v.runId ? (
                    <>
                      {' '}
                      · <Link href={`/training/${v.runId}`}>run</Link>
                    </>
                  ) : null}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default async function ModelsPage() {
  const user = await requireUser();
  const api = await serverCaller();
  const [models, schedules, defaults] = await Promise.all([
    api.registry.list().then(asWire),
    api.training.schedules().then(asWire),
    api.training.defaults(),
  ]);
  const canEdit = user.role !== 'analyst';
  // Parameters a new schedule would retrain with: those of the model's latest version.
  const latestParams = new Map(
    await Promise.all(
      models
        .filter((m) => m.versions.length && !schedules.some((s) => s.modelName === m.name))
        .map(async (m) => {
          const v = await api.registry.get({ model: m.name, version: m.versions[0].version });
          return [m.name, scheduleParams(v.lineage?.params)] as const;
        }),
    ),
  );
  const counts = models.flatMap((m) => m.versions).reduce<Record<string, number>>((a, v) => ({ ...a, [v.status]: (a[v.status] ?? 0) + 1 }), {});
  return (
    <>
      <PageHead
        title="Models"
        subtitle={
          models.length
            ? `${models.length} model${models.length === 1 ? '' : 's'} · ${counts.candidate ?? 0} candidate, ${counts.rejected ?? 0} rejected, ${counts.archived ?? 0} archived versions. Versions are immutable; each keeps its metrics, indicator weights and lineage.`
            : 'The model registry: every trained version with its metrics, indicator weights and lineage.'
        }
        actions={models.some((m) => m.versions.length) ? <CompareSelectedButton /> : null}
      />
      {models.length ? (
        <div className="stack">
          {models.map((m) => (
            <section key={m.name} className="card" data-testid={`model-${m.name}`}>
              <div className="chart-controls" style={{ justifyContent: 'space-between' }}>
                <h2 style={{ margin: 0 }}>{m.name}</h2>
                <span className="muted small">
                  {m.versions.length} version{m.versions.length === 1 ? '' : 's'} · since {dateTime(m.createdAt)} UTC ·{' '}
                  <Link href={`/training?model=${encodeURIComponent(m.name)}`}>runs</Link>
                </span>
              </div>
              <VersionsTable model={m} />
              <SymbolsEditor modelName={m.name} symbols={m.symbols} anySymbol={m.anySymbol} canEdit={canEdit} />
              <ScheduleEditor
                modelName={m.name}
                schedule={schedules.find((s) => s.modelName === m.name) ?? null}
                params={latestParams.get(m.name) ?? null}
                defaultCron={defaults.defaultCron}
                canEdit={canEdit}
              />
            </section>
          ))}
        </div>
      ) : (
        <EmptyState title="No models yet — train one">
          Every training run that finishes registers a model version here — a candidate when it passes the gate, rejected (kept for comparison) when it does not — with
          its metrics, indicator weights and lineage. {canEdit ? <Link href="/training">Start a run</Link> : null}
        </EmptyState>
      )}
    </>
  );
}
