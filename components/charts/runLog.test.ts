import { describe, it, expect } from 'vitest';
import { epochLine, runLogLines } from './runLog';
import type { EpochPoint, LogLine, StageView } from './types';

const point = (epoch: number, elapsedMs: number, best = false): EpochPoint => ({
  epoch,
  epochs: 3,
  loss: 1.1 - epoch / 10,
  accuracy: 0.3 + epoch / 100,
  valLoss: 1.2 - epoch / 20,
  valAccuracy: 0.35,
  elapsedMs,
  etaMs: 0,
  best,
});

describe('run log: one line per epoch among the stage lines', () => {
  const t0 = Date.parse('2026-12-01T10:00:00.000Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const stages = [
    { name: 'collect data', status: 'done', startedAt: at(-3000), endedAt: at(-2000), durationMs: 1000 },
    { name: 'train', status: 'done', startedAt: at(0), endedAt: at(3000), durationMs: 3000 },
  ] as StageView[];
  const logs: LogLine[] = [
    { at: at(-2000), msg: 'collect data: 5,105 bars' },
    { at: at(3100), msg: 'train: 3 epochs (best 2) in 3.0 s on wasm' },
  ];
  const history = [point(1, 900), point(2, 1900, true), point(3, 3000)];

  it('says epoch, loss, val loss, accuracy and how long the epoch took', () => {
    expect(epochLine(history[1], history[0].elapsedMs)).toBe('epoch 2/3 · loss 0.9000 · val loss 1.1000 · accuracy 32.0% · val accuracy 35.0% · 1.0 s · best so far');
    expect(epochLine(history[0], null)).toMatch(/^epoch 1\/3 · .* · 900 ms$/);
  });

  it('merges the epochs in time order between the stage lines', () => {
    const lines = runLogLines(logs, history, stages);
    expect(lines.map((l) => l.kind)).toEqual(['stage', 'epoch', 'epoch', 'epoch', 'stage']);
    expect(lines.filter((l) => l.kind === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(lines[1].at).toBe(at(900));
  });

  it('without a train start, epochs go just before the train line; lines the job wrote itself are not doubled', () => {
    const noStart = stages.map((s) => ({ ...s, startedAt: s.name === 'train' ? null : s.startedAt }));
    expect(runLogLines(logs, history, noStart).map((l) => l.kind)).toEqual(['stage', 'epoch', 'epoch', 'epoch', 'stage']);
    const own = [...logs, { at: at(500), msg: 'epoch 1/3 · loss 1' }];
    expect(runLogLines(own, history, stages)).toHaveLength(3);
    expect(runLogLines([], [], stages)).toEqual([]);
  });
});
