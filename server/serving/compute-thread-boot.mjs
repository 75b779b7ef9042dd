// Entry of the compute thread: worker threads do not inherit tsx's loader, so register it here, then load the
// TypeScript module.
import { register } from 'tsx/esm/api';

register();
await import('./compute-thread.ts');
