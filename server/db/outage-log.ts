import type { Logger } from 'pino';
import { logFieldsOf } from '../errors';
import { isDatabaseUnavailable } from './unavailable';

/**
 * One warning per database outage for a loop that retries (roll-up writers, samplers, listeners, ticks), not one per
 * attempt: the first failure with the database unreachable (server/db/unavailable.ts) is a warning, the repeats while
 * it stays unreachable are debug lines, and the first success afterwards says, once, how long it lasted and how many
 * attempts failed. Any other error is a warning every time: it is a bug or bad data, not an outage.
 */
export class OutageLog {
  private outage: { since: number; failures: number } | null = null;

  constructor(
    private readonly log: Pick<Logger, 'warn' | 'info' | 'debug'>,
    /** What failed, as the start of a sentence: 'writing metric roll-ups'. */
    private readonly what: string,
  ) {}

  /** An attempt failed; `fields` are logged with it (never SQL or parameters: logFieldsOf). */
  failed(e: unknown, fields: Record<string, unknown> = {}): void {
    if (!isDatabaseUnavailable(e)) {
      this.log.warn({ ...fields, ...logFieldsOf(e) }, `${this.what} failed`);
      return;
    }
    if (this.outage) {
      this.outage.failures++;
      this.log.debug({ ...fields, failures: this.outage.failures }, `${this.what} failed again: the database is still unavailable`);
      return;
    }
    this.outage = { since: Date.now(), failures: 1 };
    this.log.warn({ ...fields, ...logFieldsOf(e), unavailable: true }, `${this.what} failed: the database is unavailable; retrying (logged again when it works)`);
  }

  /** An attempt succeeded: ends an outage, if one was on. */
  ok(fields: Record<string, unknown> = {}): void {
    if (!this.outage) return;
    this.log.info({ ...fields, outageMs: Date.now() - this.outage.since, failedAttempts: this.outage.failures }, `${this.what} works again`);
    this.outage = null;
  }

  get inOutage(): boolean {
    return this.outage !== null;
  }
}
