import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scrubLogText } from './log';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '..');

describe('log scrubbing', () => {
  it('withholds the SQL and parameters of a drizzle query error and masks secret shapes', () => {
    const msg = 'load failed: Failed query: select "password_hash" from "users" where "username" = $1\nparams: admin';
    expect(scrubLogText(msg)).toBe('load failed: Failed query (SQL and parameters withheld from the log)');
    expect(scrubLogText('key so_live_abcdefghijklmnopqrstuvwx used')).not.toContain('abcdefghijklmnop');
    expect(scrubLogText('hash scrypt$16384$8$1$c2FsdA$aGFzaA')).not.toContain('aGFzaA');
    expect(scrubLogText('plain text')).toBe('plain text');
  });

  it('scrubs what a real process writes, in fields and in the message', () => {
    const script = `
      import { logger } from './server/log.ts';
      const e = new Error('Failed query: insert into "users" ("password_hash") values ($1)\\nparams: scrypt$16384$8$1$c2FsdA$aGFzaA');
      logger().warn({ err: e.message, note: 'ok' }, 'writer failed: ' + e.message);
    `;
    const out = execFileSync(process.execPath, ['--import', require.resolve('tsx'), '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', SIGNALOPS_LOG_STDERR: '0' },
    }).toString();
    const line = JSON.parse(out.trim().split('\n').pop()!) as Record<string, string>;
    expect(line.note).toBe('ok');
    for (const v of [line.err, line.msg]) {
      expect(v).toContain('Failed query (SQL and parameters withheld');
      expect(v).not.toMatch(/insert into|params:|scrypt\$/);
    }
  });
});
