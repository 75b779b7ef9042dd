/**
 * The run log as the run page shows it: the job's stage lines (`training_runs.logs`) merged, in time order, with one
 * line per finished epoch drawn from the run's epoch history (`training_runs.history`, written at every epoch by the
 * training job) — the epoch figures are stored once, in the history, and read here, so old runs get them too.
 * An epoch's time is the train stage's start plus the epoch's elapsed training time.
 */
import { duration, num, pct } from './format';
import type { EpochPoint, LogLine, StageView } from './types';

export interface RunLogLine {
  /** ISO time, or null when it cannot be known (then the line keeps its place after the timed ones before it). */
  at: string | null;
  msg: string;
  kind: 'stage' | 'epoch';
  epoch?: number;
}

/** `epoch 3/30 · loss 1.0712 · val loss 1.0801 · accuracy 41.2% · val accuracy 39.0% · 0.8 s · best so far` */
export function epochLine(p: EpochPoint, previousElapsedMs: number | null): string {
  const took = p.elapsedMs != null ? p.elapsedMs - (previousElapsedMs ?? 0) : null;
  return [
    `epoch ${p.epoch}/${p.epochs}`,
    `loss ${num(p.loss, 4)}`,
    `val loss ${num(p.valLoss, 4)}`,
    `accuracy ${pct(p.accuracy)}`,
    `val accuracy ${pct(p.valAccuracy)}`,
    duration(took),
    ...(p.best ? ['best so far'] : []),
  ].join(' · ');
}

export function runLogLines(logs: readonly LogLine[], history: readonly EpochPoint[], stages: readonly StageView[]): RunLogLine[] {
  const stageLines: RunLogLine[] = logs.map((l) => ({ at: l.at, msg: l.msg, kind: 'stage' }));
  // A job that already writes its own epoch lines is not doubled.
  if (logs.some((l) => /^epoch \d+/.test(l.msg))) return stageLines;
  const trainStart = stages.find((s) => s.name === 'train')?.startedAt ?? null;
  const t0 = trainStart ? Date.parse(trainStart) : NaN;
  const epochLines: RunLogLine[] = history.map((p, i) => ({
    at: Number.isFinite(t0) && p.elapsedMs != null ? new Date(t0 + p.elapsedMs).toISOString() : null,
    msg: epochLine(p, i > 0 ? history[i - 1].elapsedMs : null),
    kind: 'epoch',
    epoch: p.epoch,
  }));
  if (!epochLines.length) return stageLines;
  if (epochLines.some((l) => l.at === null)) {
    // No train-stage start to time them by: they go just before the train stage's own line (or last).
    const i = stageLines.findIndex((l) => l.msg.startsWith('train:'));
    return i < 0 ? [...stageLines, ...epochLines] : [...stageLines.slice(0, i), ...epochLines, ...stageLines.slice(i)];
  }
  // Stable merge by time (ISO strings compare as times).
  const out: RunLogLine[] = [];
  let e = 0;
  for (const s of stageLines) {
    while (e < epochLines.length && epochLines[e].at! <= s.at!) out.push(epochLines[e++]);
    out.push(s);
  }
  while (e < epochLines.length) out.push(epochLines[e++]);
  return out;
}
