import { serverCaller } from '../../_trpc/server';
import { PageHead } from '@/components/ui/PageHead';
import { ActiveAlerts } from '@/components/alerts/ActiveAlerts';
import { RulesTable } from '@/components/alerts/RulesTable';
import { ChannelsPanel } from '@/components/alerts/ChannelsPanel';
import { AlertHistory } from '@/components/alerts/AlertHistory';
import { asWire } from '@/components/charts/types';

export const dynamic = 'force-dynamic';

export default async function AlertsPage() {
  const api = await serverCaller();
  const [me, active, rules, metrics, channels, history] = await Promise.all([
    api.auth.me(),
    api.alerts.active(),
    api.alerts.rules(),
    api.alerts.metrics(),
    api.alerts.channels(),
    api.alerts.history({ limit: 50 }),
  ]);
  const role = me.kind === 'user' ? me.role : null;
  const canEdit = role === 'engineer' || role === 'admin';
  return (
    <>
      <PageHead title="Alerts" subtitle="Rules over the live metrics, evaluated once per tick across all processes; firing and resolved notifications go to every enabled channel." />
      <div className="stack">
        <ActiveAlerts initial={asWire(active)} />
        <RulesTable initial={asWire(rules)} metrics={metrics} canEdit={canEdit} />
        <ChannelsPanel initial={asWire(channels)} canTest={canEdit} canManage={role === 'admin'} />
        <AlertHistory initial={asWire(history)} />
      </div>
    </>
  );
}
