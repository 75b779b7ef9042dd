import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTs } from '../testing/processes';

describe('npm start guards', () => {
  it('an unreachable database gives one clear line with the URL (password masked) and a non-zero exit', async () => {
    const p = spawnTs('server/bin/start.ts', [], { DATABASE_URL: 'postgres://app:s3cr3t-pw@127.0.0.1:1/signalops' });
    const code = await p.exited;
    expect(code).not.toBe(0);
    expect(p.stderr()).toMatch(/Cannot reach the database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/signalops/);
    expect(p.stderr() + p.stdout()).not.toContain('s3cr3t-pw');
  });

  it('a second start on a data directory in use says so instead of touching it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-start-'));
    // A live process (this test) owns the directory.
    fs.writeFileSync(path.join(dataDir, 'runtime.json'), JSON.stringify({ pid: process.pid, owner: 'start', pgPort: 1, webPort: 3999, startedAt: new Date().toISOString() }));
    const p = spawnTs('server/bin/start.ts', [], { DATA_DIR: dataDir, DATABASE_URL: '' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/already running on the data directory .* web on http:\/\/localhost:3999/);
    expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a bad environment variable is named', async () => {
    const p = spawnTs('server/bin/start.ts', [], { PORT: 'eighty' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/PORT/);
  });
});
