import pino, { type Logger } from 'pino';
import { parseConfig, type Config } from './config';

/**
 * Structured JSON logs, one line per event. Processes log to stdout; the CLI logs to stderr so that stdout carries
 * only its result (set SIGNALOPS_LOG_STDERR=1 before the first log call). Secrets are redacted by key name.
 */
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
      },
      pino.destination({ fd: toStderr ? 2 : 1, sync: true }),
    );
  }
  return root;
}

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger().child(bindings);
}
