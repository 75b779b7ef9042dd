import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { z } from 'zod';

/**
 * Every environment variable SignalOps reads, parsed once with zod. The README's configuration table mirrors this.
 * A bad value stops the process with a message naming the variable, never a silent default.
 */
const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOSTNAME: z.string().default('0.0.0.0'),
  /** Port of the embedded PostgreSQL; 0 = pick a free one at each boot. */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(24 * 7),
  /** Force the Secure flag on session cookies (set it when serving over HTTPS). */
  COOKIE_SECURE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  WORKER_HEARTBEAT_SECONDS: z.coerce.number().positive().default(5),
  /** A worker not seen for this long counts as gone in /api/ready. */
  WORKER_STALE_SECONDS: z.coerce.number().positive().default(30),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Prefer `cpu` or `wasm` over the automatic choice (tfjs-node when installed, else wasm). */
  TF_BACKEND: z.enum(['auto', 'node', 'wasm', 'cpu']).default('auto'),
  // --- serving (README: "Serving predictions") ---
  SERVING_CACHE_TTL_SECONDS: z.coerce.number().min(0).default(60),
  SERVING_CACHE_MAX: z.coerce.number().int().min(1).default(50_000),
  SERVING_MAX_BATCH: z.coerce.number().int().min(1).max(65_536).default(256),
  SERVING_BATCH_WINDOW_MS: z.coerce.number().min(0).max(1000).default(0),
  SERVING_MAX_BATCH_ITEMS: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** Model compute in a worker thread (server/serving/compute-thread.ts) instead of the main thread. */
  SERVING_COMPUTE_THREAD: z.enum(['on', 'off']).default('off'),
  SERVING_STRICT: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /**
   * Shadow traffic is best effort: a request is mirrored only while the process's event loop was busy less than this
   * share of the last ~250 ms, so a saturated server sheds shadow work (counted as skipped) instead of slowing answers.
   */
  SERVING_SHADOW_MAX_BUSY: z.coerce.number().gt(0).max(1).default(0.5),
  INFERENCE_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /** Which kind of process this is (set by the entry points; shown in logs and the prediction log). */
  SIGNALOPS_PROC: z.string().default('app'),
  /** The git commit of the running code, for lineage (default: `git rev-parse HEAD` when this is a checkout). */
  SIGNALOPS_COMMIT: z.string().regex(/^[0-9a-f]{7,40}$/, 'must be a git commit hash').optional(),
  /** Write logs to stderr (the CLI sets it, so that stdout carries only its result). */
  SIGNALOPS_LOG_STDERR: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  /** Don't log the TensorFlow.js backend choice (benchmarks). */
  SIGNALOPS_TF_QUIET: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  /** `generic`: the LSTM without the fused WASM kernels (tf ops only) — for comparisons. */
  SIGNALOPS_LSTM_IMPL: z.enum(['auto', 'generic']).default('auto'),
  /** A running training run whose worker has not heart-beaten for this long is failed by the maintenance tick. */
  STALE_RUN_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  /** The password of `npm run cli -- user create` when --password is not given. */
  SIGNALOPS_NEW_PASSWORD: z.string().min(1).optional(),
  // --- monitoring (README: "Monitoring") ---
  /** Length of a metric roll-up interval; each process flushes once per interval. */
  MONITORING_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  /** How often each process writes a system sample (CPU, memory, event-loop delay). */
  MONITORING_SAMPLE_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /** How long the 10-s metric roll-ups and process samples are kept. */
  MONITORING_RAW_RETENTION_DAYS: z.coerce.number().positive().max(90).default(3),
  /** How long the per-minute roll-ups are kept. */
  MONITORING_MINUTE_RETENTION_DAYS: z.coerce.number().positive().max(730).default(30),
  /** How long the per-hour roll-ups are kept. */
  MONITORING_HOUR_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(365),
  // --- promotion (README: "Promotion") ---
  /** How often workers look for canary steps that are due. */
  CANARY_TICK_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  // --- alerts (README: "Monitoring" → alerts) ---
  /** How often the alert rules are evaluated (once per interval across all workers). */
  ALERT_EVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /** Timeout of one webhook request. */
  ALERT_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  /** Attempts per notification before it is marked failed (backoff 5 s, 10 s, 20 s … capped at 10 min). */
  ALERT_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** The dashboard's URL as receivers should link to it (externalURL, generatorURL); default http://localhost:PORT. */
  ALERT_EXTERNAL_URL: z.string().url('must be a URL such as https://signalops.example.com').optional(),
  /** Bearer token Prometheus may scrape /metrics with (instead of a `read` API key). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `true`: /metrics answers without any credential (a scrape network you trust). */
  METRICS_PUBLIC: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Port on which a worker answers GET /metrics (none when unset). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Processes `npm run serve` runs on one port (node:cluster); default: one per core; 1 = no cluster. */
  SERVE_WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  /** `off`: no metric roll-ups, process samples or Prometheus counters in web/serve (for measuring their cost only). */
  MONITORING_INSTRUMENTATION: z.enum(['on', 'off']).default('on'),
  /** Served predictions older than this are deleted from prediction_log by the daily retention job. */
  PREDICTION_LOG_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
  // --- rate limits and login throttling (README: "Security") ---
  /** `off`: no per-key / per-user request limits (for measuring their cost, or an emergency); login throttling stays on. */
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  /** Points (one per prediction, a batch costs one per item; one per other call) an API key may spend per minute unless the key sets its own. */
  RATE_LIMIT_KEY_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(12_000),
  /** The same for a signed-in user (dashboard and typed-client calls with a session). */
  RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(6_000),
  /** A rate-limit check waits at most this long for PostgreSQL; past it (or on an error) the request is let through (fail open). */
  RATE_LIMIT_STORE_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(1000),
  /** Consecutive failed sign-ins of one account before it is locked. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(10),
  /** First lock of an account; each further lock within a day doubles it, up to LOGIN_LOCK_MAX_SECONDS. */
  LOGIN_LOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LOGIN_LOCK_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Failed sign-ins from one IP address per 15 minutes before that address is refused (any account). */
  LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Procedure calls in one tRPC HTTP batch; a bigger batch is refused with 400 (clients split their batches below it). */
  TRPC_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(50),
  // --- web guards, headers, secrets (README: "Security") ---
  /**
   * Origins (scheme://host[:port], comma-separated) besides the server's own from which a browser may send
   * state-changing requests with the session cookie (e.g. the public URL when a proxy rewrites Host).
   */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const out: string[] = [];
      for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
        let u: URL | null = null;
        try {
          u = new URL(part);
        } catch {
          /* reported below */
        }
        if (!u || !/^https?:$/.test(u.protocol) || u.origin !== part.replace(/\/$/, '')) {
          ctx.addIssue({ code: 'custom', message: `'${part.slice(0, 80)}' is not an origin such as https://signalops.example.com (scheme, host, optional port; no path)` });
          return z.NEVER;
        }
        out.push(u.origin);
      }
      return out;
    }),
  /** `true`: the server's own origin is taken from X-Forwarded-Host / X-Forwarded-Proto (set by a reverse proxy you run). */
  TRUST_PROXY: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  // --- process supervision and reconnect (README: "Reliability") ---
  /** `npm start` restarts a crashed web or worker after this long, doubling with each crash in a row… */
  RESTART_BACKOFF_INITIAL_MS: z.coerce.number().int().min(0).max(600_000).default(1000),
  /** …up to this long. */
  RESTART_BACKOFF_MAX_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** A child that stayed up this long starts the crash count afresh. */
  RESTART_STABLE_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  /** After this many crashes in a row (each before RESTART_STABLE_SECONDS), `npm start` gives up and stops. */
  RESTART_MAX_RAPID: z.coerce.number().int().min(1).max(1000).default(5),
  /**
   * During a database outage, serving keeps accepting an API key whose check succeeded within this long (the normal
   * cache is 10 s); a key never seen (or seen longer ago) gets 503. 0 = no outage grace.
   */
  SERVING_OUTAGE_KEY_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  // --- audit (README: "Audit") ---
});

export type Config = z.infer<typeof EnvSchema> & { dataDir: string };

export class ConfigError extends Error {}

/**
 * Secrets that may come from a file instead of the environment (the `*_FILE` convention of Docker and Kubernetes
 * secrets): with `SESSION_SECRET_FILE=/run/secrets/session`, SESSION_SECRET is that file's content, one trailing
 * newline dropped. Setting both to different values is an error naming both (the same value is allowed: `npm start`
 * hands the database URL it read on to its children); an unreadable file is an error naming the variable and the
 * path — never the content.
 */
export const SECRET_VARS = ['DATABASE_URL', 'ADMIN_PASSWORD', 'SESSION_SECRET', 'METRICS_TOKEN', 'SIGNALOPS_NEW_PASSWORD'] as const;

function readSecretFiles(env: Record<string, string | undefined>, cleaned: Record<string, string | undefined>): { problems: string[]; fromFile: Set<string> } {
  const problems: string[] = [];
  const fromFile = new Set<string>();
  for (const key of SECRET_VARS) {
    const file = env[`${key}_FILE`];
    if (file === undefined || file === '') continue;
    let content: string;
    try {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's *_FILE setting, never a request
      content = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`  ${key}_FILE: cannot read ${file}${code ? ` (${code})` : ''}`);
      continue;
    }
    // Both set: an error, unless they agree (a parent process passing the value it read on to its children).
    if (cleaned[key] !== undefined && cleaned[key] !== content) {
      problems.push(`  ${key}: both ${key} and ${key}_FILE are set (to different values); set only one`);
      continue;
    }
    cleaned[key] = content;
    fromFile.add(key);
  }
  return { problems, fromFile };
}

export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned: Record<string, string | undefined> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    cleaned[key] = v === undefined || v === '' ? undefined : v;
  }
  const files = readSecretFiles(env, cleaned);
  if (files.problems.length) throw new ConfigError(`Invalid environment:\n${files.problems.join('\n')}`);
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      return `  ${i.path.join('.')}${files.fromFile.has(key) ? ` (from ${key}_FILE)` : ''}: ${i.message}`;
    });
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}

let cached: Config | undefined;
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}

export const APP_VERSION: string = process.env.npm_package_version ?? '0.1.0';

let commit: string | null | undefined;
/** The version and git commit of the running code (lineage; identical versions are recognised by it). */
export function codeVersion(): { app: string; commit: string | null } {
  if (commit === undefined) {
    try {
      commit = config().SIGNALOPS_COMMIT ?? execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
    } catch {
      commit = null;
    }
  }
  return { app: APP_VERSION, commit };
}
