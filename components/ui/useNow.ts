'use client';
import { useSyncExternalStore } from 'react';

/**
 * The browser's clock for relative times ("12 s ago", "in 40 s", "locked · 30 s left"), ticking once a second.
 *
 * `null` on the server and during hydration, the time from the first render after it: a text computed from the
 * clock would otherwise differ between the server's render and the browser's hydration a moment later (React error
 * #418, a text mismatch). Render something that does not depend on the clock while it is null (an absolute time from
 * the data, a dash). One interval for the whole page, running while any component uses it.
 */
export function useNow(): number | null {
  return useSyncExternalStore(subscribe, snapshot, serverSnapshot);
}

/** False on the server and during hydration, true after: for anything else that must wait for the browser. */
export function useMounted(): boolean {
  return useSyncExternalStore(noopSubscribe, yes, no);
}

let now = 0;
let timer: ReturnType<typeof setInterval> | null = null;
const listeners = new Set<() => void>();

function tick() {
  now = Date.now();
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now(); // the clock may have stood still while nothing listened (React re-reads the snapshot now)
    timer = setInterval(tick, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (!listeners.size && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/**
 * Stable between calls (React compares snapshots): the interval moves it, and while none runs (before the first
 * subscriber) a value older than a second is refreshed.
 */
function snapshot() {
  if (!timer && Date.now() - now >= 1000) now = Date.now();
  return now;
}

const serverSnapshot = () => null;
const noopSubscribe = () => () => undefined;
const yes = () => true;
const no = () => false;
