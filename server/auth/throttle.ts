/**
 * Sign-in throttling, shared by every replica (rate-limiter-flexible's PostgreSQL store on `rate_limits`).
 *
 * Per account (the real protection — it does not depend on the caller's address, which X-Forwarded-For can fake):
 * every attempt counts as a failure until the password checks out (so a burst of parallel guesses cannot slip past
 * the count); LOGIN_MAX_FAILURES (10) consecutive failures lock the account for LOGIN_LOCK_SECONDS (60 s), each
 * further lock within a day doubles the time, up to LOGIN_LOCK_MAX_SECONDS (15 min). After a lock ends one more
 * attempt is allowed; failing it locks again (longer). A successful sign-in resets the count and the lock history;
 * an admin unlocks at once (`users.unlock`, CLI `user unlock`). Unknown usernames are counted exactly like known
 * ones, so the answers do not tell which accounts exist.
 *
 * Per IP address (a second line, for one address trying many accounts): LOGIN_IP_MAX_FAILURES (100) failed attempts
 * in 15 minutes refuse that address for the rest of the 15 minutes; a successful sign-in gives its attempt back.
 *
 * The trade-off, written down: anyone who knows a username can keep that account locked by failing 10 times per
 * lock period (15 min at most). The lock is time-bounded (it never needs an admin), bounds guessing to ~40 passwords
 * an hour per account, every failed and refused attempt is in the audit log (`auth.login`, outcome `failed`), and
 * the CLI (which needs no sign-in) or another admin unlocks; an admin who is being locked out deliberately should
 * also be reachable with an API key (`admin` scope), which sign-in throttling does not touch.
 */
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { config } from '../config';
import type { Db } from '../db/client';
import { recordAudit } from './audit';

const DAY = 86_400;
const IP_WINDOW = 15 * 60;

export interface ThrottleSettings {
  maxFailures: number;
  lockSeconds: number;
  lockMaxSeconds: number;
  ipMaxFailures: number;
}

export function throttleSettings(): ThrottleSettings {
  const c = config();
  return { maxFailures: c.LOGIN_MAX_FAILURES, lockSeconds: c.LOGIN_LOCK_SECONDS, lockMaxSeconds: Math.max(c.LOGIN_LOCK_SECONDS, c.LOGIN_LOCK_MAX_SECONDS), ipMaxFailures: c.LOGIN_IP_MAX_FAILURES };
}

/** Refused before the password is checked: why, and when to retry. */
export interface LoginRefusal {
  reason: 'account-locked' | 'ip-throttled';
  retryAfterSeconds: number;
}

/** An attempt that may go ahead: call `succeeded()` or `failed()` after checking the password. */
export interface LoginAttempt {
  /** Consecutive failures of this account including this attempt, if it fails. */
  failures: number;
  succeeded(): Promise<void>;
  /** Records the failure; says whether (and for how long) the account is now locked. */
  failed(): Promise<{ lockedForSeconds: number | null; failures: number }>;
}

const rlRes = (e: unknown): RateLimiterRes => {
  if (e instanceof RateLimiterRes) return e;
  throw e;
};

export class LoginThrottle {
  private readonly fails: RateLimiterPostgres;
  private readonly locks: RateLimiterPostgres;
  private readonly locked: RateLimiterPostgres;
  private readonly ipFails: RateLimiterPostgres;

  constructor(
    pool: pg.Pool,
    readonly settings: ThrottleSettings = throttleSettings(),
  ) {
    const store = { storeClient: pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: false };
    // consecutive failures of an account (forgotten a day after the last one … unless reset by a success)
    this.fails = new RateLimiterPostgres({ ...store, keyPrefix: 'login_fail', points: settings.maxFailures, duration: DAY });
    // locks of an account in the last day (each doubles the next)
    this.locks = new RateLimiterPostgres({ ...store, keyPrefix: 'login_locks', points: 1_000_000, duration: DAY });
    // the lock itself: a row that expires when the lock ends
    this.locked = new RateLimiterPostgres({ ...store, keyPrefix: 'login_locked', points: 1, duration: 1 });
    this.ipFails = new RateLimiterPostgres({ ...store, keyPrefix: 'login_fail_ip', points: settings.ipMaxFailures, duration: IP_WINDOW });
  }

  /** The account key: its username, lower-cased (the users table is case-insensitive). */
  static account(username: string): string {
    return username.trim().toLowerCase().slice(0, 200);
  }

  /** Is this account locked now? Seconds left, or null. */
  async lockedFor(username: string): Promise<number | null> {
    const r = await this.locked.get(LoginThrottle.account(username));
    return r && r.consumedPoints > 1 && r.msBeforeNext > 0 ? Math.max(1, Math.ceil(r.msBeforeNext / 1000)) : null;
  }

  /**
   * Starts an attempt: a refusal when the account is locked or the address throttled, else the attempt, already
   * counted as a failure (in the store, for every replica) until `succeeded()`.
   */
  async begin(username: string, ip: string | null): Promise<LoginRefusal | LoginAttempt> {
    const account = LoginThrottle.account(username);
    const lockedFor = await this.lockedFor(account);
    if (lockedFor) return { reason: 'account-locked', retryAfterSeconds: lockedFor };
    if (ip) {
      const r = await this.ipFails.get(ip);
      if (r && r.consumedPoints >= this.settings.ipMaxFailures) return { reason: 'ip-throttled', retryAfterSeconds: Math.max(1, Math.ceil(r.msBeforeNext / 1000)) };
    }
    const [f] = await Promise.all([this.fails.penalty(account, 1), ip ? this.ipFails.penalty(ip, 1) : null]);
    const failures = f.consumedPoints;
    // Parallel attempts past the threshold while the one that reached it is being checked: refused, briefly.
    if (failures > this.settings.maxFailures) {
      await this.fails.reward(account, 1);
      if (ip) await this.ipFails.reward(ip, 1);
      return { reason: 'account-locked', retryAfterSeconds: (await this.lockedFor(account)) ?? 1 };
    }
    return {
      failures,
      succeeded: async () => {
        await Promise.all([this.fails.delete(account), this.locks.delete(account), ip ? this.ipFails.reward(ip, 1) : null]);
      },
      failed: async () => {
        if (failures < this.settings.maxFailures) return { lockedForSeconds: null, failures };
        const n = (await this.locks.penalty(account, 1)).consumedPoints;
        const seconds = Math.min(this.settings.lockMaxSeconds, this.settings.lockSeconds * 2 ** Math.min(n - 1, 20));
        await this.locked.block(account, seconds).catch(rlRes);
        // One more attempt after the lock; failing it locks again (for longer).
        await this.fails.set(account, this.settings.maxFailures - 1, DAY);
        return { lockedForSeconds: seconds, failures };
      },
    };
  }

  /** The store key of an account's lock row in `rate_limits` (the limiter's own key: `login_locked:<account>`). */
  lockKey(username: string): string {
    return this.locked.getKey(LoginThrottle.account(username));
  }

  /** An admin's unlock: the account's failures, lock and lock history are forgotten. True when it was locked. */
  async unlock(username: string): Promise<boolean> {
    const account = LoginThrottle.account(username);
    const was = (await this.lockedFor(account)) !== null;
    await Promise.all([this.fails.delete(account), this.locks.delete(account), this.locked.delete(account)]);
    return was;
  }
}

const cache = new WeakMap<pg.Pool, LoginThrottle>();

/** The throttle over `pool` (one per pool and process). */
export function loginThrottle(pool: pg.Pool): LoginThrottle {
  let t = cache.get(pool);
  if (!t) cache.set(pool, (t = new LoginThrottle(pool)));
  return t;
}

/**
 * When each of these accounts' sign-in lock ends (only the locked ones are in the map, keyed by the username as
 * given): one read of `rate_limits` for the whole list. A lock row is what `block()` writes (points above the
 * limiter's 1, expiring when the lock ends), the same test as `lockedFor`.
 */
export async function lockedUntilFor(db: Db, usernames: readonly string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (!usernames.length) return out;
  const t = loginThrottle(db.$client);
  const byKey = new Map<string, string[]>();
  for (const u of usernames) {
    const k = t.lockKey(u);
    byKey.set(k, [...(byKey.get(k) ?? []), u]);
  }
  const { rows } = await db.$client.query<{ key: string; expire: string }>(
    'SELECT key, expire FROM rate_limits WHERE key = ANY($1::text[]) AND points > 1 AND expire > $2',
    [[...byKey.keys()], Date.now()],
  );
  for (const r of rows) for (const u of byKey.get(r.key) ?? []) out.set(u, new Date(Number(r.expire)));
  return out;
}

/** The admin action (tRPC users.unlock, CLI `user unlock`): lifts the lock, audited as `user.unlock`. */
export async function unlockUser(db: Db, username: string, actor: string): Promise<{ username: string; wasLocked: boolean }> {
  const wasLocked = await loginThrottle(db.$client).unlock(username);
  await recordAudit(db, { actor, action: 'user.unlock', target: username, details: { from: { locked: wasLocked }, to: { locked: false } } });
  return { username, wasLocked };
}
