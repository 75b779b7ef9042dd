import Link from 'next/link';
import { notFound } from 'next/navigation';
import { TRPCError } from '@trpc/server';
import { serverCaller, requireUser } from '../../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { DriftModel } from '@/components/drift/DriftModel';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function DriftModelPage({ params, searchParams }: { params: Promise<{ model: string }>; searchParams: Promise<{ report?: string | string[] }> }) {
  const model = decodeURIComponent((await params).model);
  const sp = await searchParams;
  const user = await requireUser();
  const api = await serverCaller();
  const state = await api.promotion.state({ model }).catch((e) => {
    if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) notFound();
    throw e;
  });
  const [reports, policy, live, datasets, registry] = await Promise.all([
    api.drift.reports({ model, limit: 100 }),
    api.drift.policy({ model }),
    api.outcomes.live({ model }),
    api.data.list(),
    api.registry.list(),
  ]);
  // A report named in the URL (of this model), else the latest.
  const asked = typeof sp.report === 'string' && /^\d{1,15}$/.test(sp.report) ? Number(sp.report) : null;
  const pick = asked ?? reports[0]?.id ?? null;
  let report = pick ? await api.drift.report({ id: pick }).catch(() => null) : null;
  if (report && report.modelName !== model) report = null;
  if (!report && asked && reports[0]) report = await api.drift.report({ id: reports[0].id });
  const datasetOf = new Map((registry.find((m) => m.name === model)?.versions ?? []).map((v) => [v.version, v.dataset]));
  const versions = [...state.versions]
    .sort((a, b) => b.version - a.version)
    .map((v) => ({ version: v.version, modelType: v.modelType, dataset: datasetOf.get(v.version) ?? null, champion: v.version === state.champion }));
  const canEdit = user.role === 'engineer' || user.role === 'admin';
  return (
    <>
      <PageHead
        title={`Drift · ${model}`}
        subtitle={
          <>
            <Link href="/drift">All models</Link> · <Link href={`/promotion/${encodeURIComponent(model)}`}>promotion</Link> · <Link href={`/metrics?range=24h&model=${encodeURIComponent(model)}`}>live metrics</Link>
            {canEdit ? '' : ' · you are signed in as an analyst: read only'}
          </>
        }
      />
      <DriftModel
        canEdit={canEdit}
        initial={{
          model,
          champion: state.champion,
          versions,
          datasets: datasets.map((d) => d.name),
          reports: asWire(reports),
          report: report ? asWire(report) : null,
          pinned: asked !== null && report?.id === asked && report.id !== reports[0]?.id,
          policy,
          live: asWire(live),
        }}
      />
    </>
  );
}
