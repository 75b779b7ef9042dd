import type { Requirement } from '../auth/principal';

/** Who may change promotion state: engineers and up, API keys with `promote` (or `train`). One list for tRPC and REST. */
export const PROMOTE: readonly Requirement[] = [
  { role: 'engineer', scope: 'promote' },
  { role: 'engineer', scope: 'train' },
];
