import type { Requirement } from '../auth/principal';

/** Who may append bars: engineers and up, API keys with `data` (append only — what a trading app's bar feed needs) or `train`. */
export const APPEND: readonly Requirement[] = [
  { role: 'engineer', scope: 'data' },
  { role: 'engineer', scope: 'train' },
];
