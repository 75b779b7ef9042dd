/**
 * The alert state machine (Prometheus semantics), a pure function over one series (rule × label set):
 *
 *   inactive ──holds──► pending ──holds for `for`──► firing ──stops holding──► inactive (resolved: notify)
 *                │          └──stops holding──► inactive (no notification: a blip never pages anyone)
 *                └──holds, for = 0──► firing (notify)
 *
 * Only `firing` and `resolved` transitions notify. A condition that flaps around its threshold faster than `for`
 * keeps restarting `pending` and never fires.
 */
export type AlertStateName = 'inactive' | 'pending' | 'firing';

export interface AlertState {
  state: AlertStateName;
  /** Epoch ms when the condition started holding (pending since); null when inactive. */
  activeSince: number | null;
  /** Epoch ms when it fired; null unless firing. */
  firedAt: number | null;
}

/** What happened in one step: `firing` and `resolved` notify; `pending` and `cancelled` (pending → inactive) don't. */
export type Transition = 'none' | 'pending' | 'firing' | 'resolved' | 'cancelled';

export const INACTIVE: AlertState = { state: 'inactive', activeSince: null, firedAt: null };

export function step(prev: AlertState, e: { holds: boolean; now: number; forSeconds: number; value?: number | null }): { next: AlertState; transition: Transition } {
  const { holds, now } = e;
  const forMs = Math.max(0, e.forSeconds) * 1000;
  switch (prev.state) {
    case 'inactive':
      if (!holds) return { next: prev, transition: 'none' };
      if (forMs === 0) return { next: { state: 'firing', activeSince: now, firedAt: now }, transition: 'firing' };
      return { next: { state: 'pending', activeSince: now, firedAt: null }, transition: 'pending' };
    case 'pending': {
      if (!holds) return { next: INACTIVE, transition: 'cancelled' };
      const since = prev.activeSince ?? now;
      if (now - since >= forMs) return { next: { state: 'firing', activeSince: since, firedAt: now }, transition: 'firing' };
      return { next: { ...prev, activeSince: since }, transition: 'none' };
    }
    case 'firing':
      if (holds) return { next: prev, transition: 'none' };
      return { next: INACTIVE, transition: 'resolved' };
  }
}

export function compare(value: number, comparator: '>' | '<', threshold: number): boolean {
  return comparator === '>' ? value > threshold : value < threshold;
}
