import { describe, it, expect } from 'vitest';
import { INACTIVE, step, type AlertState, type Transition } from './state';

/** Runs the state machine over a series of (seconds, holds) on a controlled clock; returns the transitions. */
function run(forSeconds: number, points: Array<[number, boolean]>, t0 = 1_700_000_000_000) {
  let s: AlertState = INACTIVE;
  const out: Array<{ t: number; state: string; transition: Transition }> = [];
  for (const [sec, holds] of points) {
    const r = step(s, { holds, now: t0 + sec * 1000, forSeconds });
    s = r.next;
    out.push({ t: sec, state: s.state, transition: r.transition });
  }
  return { out, last: s };
}
const notifications = (out: Array<{ transition: Transition }>) => out.filter((o) => o.transition === 'firing' || o.transition === 'resolved').map((o) => o.transition);

describe('alert state machine (Prometheus semantics)', () => {
  it('inactive → pending when the condition holds, firing once it has held for `for`, resolved when it stops', () => {
    const { out } = run(300, [
      [0, false],
      [15, true],
      [30, true],
      [300, true],
      [314, true],
      [315, true],
      [330, true],
      [345, false],
      [360, false],
    ]);
    expect(out.map((o) => o.state)).toEqual(['inactive', 'pending', 'pending', 'pending', 'pending', 'firing', 'firing', 'inactive', 'inactive']);
    expect(out.map((o) => o.transition)).toEqual(['none', 'pending', 'none', 'none', 'none', 'firing', 'none', 'resolved', 'none']);
  });

  it('keeps when it became active and when it fired', () => {
    const t0 = 1_700_000_000_000;
    const { last } = run(60, [[10, true], [40, true], [70, true], [85, true]], t0);
    expect(last).toEqual({ state: 'firing', activeSince: t0 + 10_000, firedAt: t0 + 70_000 });
  });

  it('for = 0 fires on the first evaluation that holds', () => {
    const { out } = run(0, [[0, false], [15, true], [30, true], [45, false]]);
    expect(out.map((o) => o.transition)).toEqual(['none', 'firing', 'none', 'resolved']);
  });

  it('a pending alert that stops holding goes back to inactive without any notification', () => {
    const { out, last } = run(300, [[0, true], [100, true], [200, false], [215, false]]);
    expect(out.map((o) => o.transition)).toEqual(['pending', 'none', 'cancelled', 'none']);
    expect(notifications(out)).toEqual([]);
    expect(last).toEqual(INACTIVE);
  });

  it('no flapping: a condition that flips faster than `for` never fires; `for` restarts with each new pending', () => {
    const points: Array<[number, boolean]> = [];
    for (let i = 0; i < 200; i++) points.push([i * 15, i % 8 < 5]); // holds for 5 evaluations (60 s) out of every 8, for 50 minutes
    const { out } = run(120, points);
    expect(notifications(out)).toEqual([]);
    expect(out.filter((o) => o.transition === 'pending').length).toBe(25);
    // Held for 120 s after the last restart: now it fires, exactly once.
    const t = 200 * 15;
    const more = run(120, [...points, [t, true], [t + 60, true], [t + 120, true], [t + 135, true]]);
    expect(notifications(more.out)).toEqual(['firing']);
    expect(more.out.at(-2)?.state).toBe('firing');
  });

  it('a firing alert stays firing (one notification) however long it holds, and a resolved one needs `for` again', () => {
    const pts: Array<[number, boolean]> = [[0, true]];
    for (let s = 15; s <= 3600; s += 15) pts.push([s, true]);
    pts.push([3615, false], [3630, true], [3645, true]);
    const { out } = run(60, pts);
    expect(notifications(out)).toEqual(['firing', 'resolved']);
    expect(out.at(-1)?.state).toBe('pending');
  });
});
