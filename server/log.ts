import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs, one line per event. Processes log to stdout; the CLI logs to stderr so that stdout carries
 * only its result (set SIGNALOPS_LOG_STDERR=1 before the first log call). Secrets are redacted by key name.
 */
let root: Logger | undefined;

export function logger(): Logger {
  if (!root) {
    const toStderr = process.env.SIGNALOPS_LOG_STDERR === '1';
    root = pino(
      {
        level: process.env.LOG_LEVEL || 'info',
        base: { proc: process.env.SIGNALOPS_PROC ?? 'app', pid: process.pid },
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
