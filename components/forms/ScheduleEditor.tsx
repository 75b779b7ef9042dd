'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { scheduleParams, type ScheduleParams, type ScheduleRow } from '@/components/charts/types';
import { dateTime, describeCron } from '@/components/charts/format';
import { Badge } from '@/components/ui/Badge';
import { ErrorAlert } from '@/components/ui/ErrorAlert';


/**
 * A model's retraining schedule: cron (UTC) and on/off. A new schedule retrains with the parameters of the model's
 * latest version; the worker fires it once per due time however many workers run.
 */
export function ScheduleEditor({
  modelName,
  schedule,
  params,
  defaultCron,
  canEdit,
}: {
  modelName: string;
  schedule: ScheduleRow | null;
  /** Training parameters a new schedule would use (from the latest version), or null when unknown. */
  params: ScheduleParams | null;
  defaultCron: string;
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [cron, setCron] = useState(schedule?.cron ?? defaultCron);
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true);
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.training.setSchedule.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        router.refresh();
      },
    }),
  );
  const remove = useMutation(trpc.training.deleteSchedule.mutationOptions({ onSuccess: () => router.refresh() }));
  const runParams = schedule ? scheduleParams(schedule.params) : params;
  const tz = schedule?.timezone ?? 'UTC';
  const dirty = !schedule || cron.trim() !== schedule.cron || enabled !== schedule.enabled;

  const status = schedule ? (
    <>
      <Badge tone={schedule.enabled ? 'ok' : 'neutral'}>{schedule.enabled ? 'scheduled' : 'paused'}</Badge> {describeCron(schedule.cron, tz)}
      {schedule.enabled && schedule.nextRunAt ? <> · next {dateTime(schedule.nextRunAt)} UTC</> : null}
      {schedule.lastFiredAt ? <> · last fired {dateTime(schedule.lastFiredAt)} UTC</> : null}
    </>
  ) : (
    <>
      <Badge>not scheduled</Badge> suggestion: {describeCron(defaultCron)}
    </>
  );

  return (
    <div className="schedule" data-testid={`schedule-${modelName}`}>
      <div className="schedule-status">
        <span className="pane-title" style={{ margin: 0 }}>
          Retraining
        </span>{' '}
        <span>{status}</span>
      </div>
      {canEdit ? (
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            setSaved(false);
            if (runParams) save.mutate({ modelName, cron: cron.trim(), timezone: tz, enabled, params: runParams });
          }}
        >
          <label>
            Cron ({tz})
            <input aria-label={`Cron for ${modelName}`} className="mono" value={cron} onChange={(e) => setCron(e.target.value)} size={16} placeholder={defaultCron} required />
          </label>
          <div className="checks">
            <label>
              <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> enabled
            </label>
          </div>
          <button type="submit" className="primary" disabled={save.isPending || !runParams || !dirty}>
            {schedule ? 'Save schedule' : 'Schedule'}
          </button>
          {schedule ? (
            <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate({ modelName })}>
              Remove
            </button>
          ) : null}
          <span className="muted hint">
            {[
              cron.trim() && cron.trim() !== schedule?.cron ? describeCron(cron, tz) : null,
              runParams ? `retrains ${runParams.modelType} on ${runParams.dataset} (${runParams.epochs} epochs, window ${runParams.window})` : 'no version to copy parameters from yet',
            ]
              .filter(Boolean)
              .join(' · ')}
          </span>
        </form>
      ) : null}
      <ErrorAlert error={save.error ?? remove.error} />
      {saved && !save.error && !dirty ? <span className="muted hint">Saved.</span> : null}
    </div>
  );
}
