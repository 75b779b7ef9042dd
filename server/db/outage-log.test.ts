import { describe, it, expect } from 'vitest';
import { OutageLog } from './outage-log';

function recorder() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, msg, fields });
  return { lines, log: { warn: at('warn'), info: at('info'), debug: at('debug') } as never };
}
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
/** drizzle's shape: the SQL in the message, the driver's error in `cause`. */
const wrapped = () => Object.assign(new Error('Failed query: select 1\nparams: secret'), { cause: refused() });

describe('OutageLog', () => {
  it('warns once per outage, says once when it works again', () => {
    const { lines, log } = recorder();
    const o = new OutageLog(log, 'writing metric roll-ups');
    o.ok();
    expect(lines).toEqual([]);
    for (let i = 0; i < 5; i++) o.failed(i % 2 ? wrapped() : refused(), { pending: i });
    expect(o.inOutage).toBe(true);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines[0].msg).toBe('writing metric roll-ups failed: the database is unavailable; retrying (logged again when it works)');
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(4);
    o.ok();
    o.ok();
    const info = lines.filter((l) => l.level === 'info');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ msg: 'writing metric roll-ups works again', fields: { failedAttempts: 5 } });
    expect(o.inOutage).toBe(false);
    // A second outage warns again.
    o.failed(refused());
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    // No SQL text or parameters in any line.
    expect(JSON.stringify(lines)).not.toMatch(/Failed query|params|secret/);
  });

  it('warns every time for an error that is not an outage', () => {
    const { lines, log } = recorder();
    const o = new OutageLog(log, 'a canary tick');
    o.failed(new Error('boom'));
    o.failed(new Error('boom'));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'a canary tick failed'],
      ['warn', 'a canary tick failed'],
    ]);
    expect(o.inOutage).toBe(false);
  });
});
