import type { StageView } from './types';
import { duration } from './format';

const ICON: Record<StageView['status'], string> = { pending: '', running: '…', done: '✓', failed: '✕', skipped: '–' };

/**
 * The training job's stages in order, each with status, duration and detail or error. A running stage's duration
 * needs `now` (none on the server and during hydration: the caller's clock, see useMounted).
 */
export function StageStepper({ stages, now = null }: { stages: StageView[]; now?: number | null }) {
  return (
    <ol className="stepper" data-testid="stage-stepper">
      {stages.map((s, i) => {
        const ms = s.durationMs ?? (s.status === 'running' && s.startedAt && now !== null ? now - new Date(s.startedAt).getTime() : null);
        return (
          <li key={s.name} className={`step ${s.status}`} data-stage={s.name} data-status={s.status}>
            <span className="step-dot" aria-hidden>
              {ICON[s.status] || i + 1}
            </span>
            <div className="step-body">
              <div className="step-head">
                <strong>{s.name}</strong>
                <span className="muted">
                  {s.status}
                  {ms != null && s.status !== 'pending' && s.status !== 'skipped' ? ` · ${duration(ms)}` : ''}
                </span>
              </div>
              {s.detail ? <div className="step-detail">{s.detail}</div> : null}
              {s.error ? <div className="step-error">{s.error}</div> : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
