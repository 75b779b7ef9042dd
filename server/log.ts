import pino, { type Logger } from 'pino';
import { parseConfig, type Config } from './config';
import { redactSecrets } from './errors';

/**
 * Structured JSON logs, one line per event. Processes log to stdout; the CLI logs to stderr so that stdout carries
 * only its result (set SIGNALOPS_LOG_STDERR=1 before the first log call). Secrets are redacted by key name, and every
 * top-level string field is scrubbed (scrubLogText): a drizzle "Failed query: <SQL> params: …" message loses its SQL
 * and parameters, and known secret shapes (API keys, scrypt hashes, bearer tokens, URL passwords) are masked — so a
 * call site that logs `(e as Error).message` cannot leak what the query carried.
 */
export function scrubLogText(text: string): string {
  const i = text.indexOf('Failed query:');
  const cut = i >= 0 ? `${text.slice(0, i)}Failed query (SQL and parameters withheld from the log)` : text;
  return redactSecrets(cut);
}

function scrubFields(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (typeof v !== 'string') continue;
    const clean = scrubLogText(v);
    if (clean !== v) (out ??= { ...obj })[k] = clean;
  }
  return out ?? obj;
}

let root: Logger | undefined;

export function logger(): Logger {
  if (!root) {
    // The logger must work to report a bad environment: then it logs with the defaults, and the entry point stops
    // the process with the ConfigError naming the variable.
    let c: Pick<Config, 'SIGNALOPS_LOG_STDERR' | 'LOG_LEVEL' | 'SIGNALOPS_PROC'>;
    try {
      c = parseConfig();
    } catch {
      c = { SIGNALOPS_LOG_STDERR: process.env.SIGNALOPS_LOG_STDERR === '1', LOG_LEVEL: 'info', SIGNALOPS_PROC: process.env.SIGNALOPS_PROC ?? 'app' };
    }
    const toStderr = c.SIGNALOPS_LOG_STDERR;
    root = pino(
      {
        level: c.LOG_LEVEL,
        base: { proc: c.SIGNALOPS_PROC, pid: process.pid },
        redact: {
          paths: ['password', '*.password', 'key', '*.key', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization'],
          censor: '[redacted]',
        },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { log: scrubFields },
        hooks: {
          logMethod(args, method) {
            // The message itself (`log.warn(\`… ${e.message}\`)`) is scrubbed too.
            const i = args.findIndex((a) => typeof a === 'string');
            if (i >= 0) args[i] = scrubLogText(args[i] as string);
            return method.apply(this, args);
          },
        },
      },
      pino.destination({ fd: toStderr ? 2 : 1, sync: true }),
    );
  }
  return root;
}

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger().child(bindings);
}
