import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import type { Db } from '../db/client';
import { parseConfig, ConfigError, SECRET_VARS } from '../config';
import { clearSecretCache, fileSecret, getSecret, secretFilePath, sessionSecretWarning } from './secrets';
import { systemSecrets } from '../../drizzle/schema';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'so-secrets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, content: string, mode = 0o600) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, content, { mode });
  return f;
};

describe('*_FILE: every secret may come from a file (Docker / Kubernetes secrets)', () => {
  it('reads the file, dropping one trailing newline', () => {
    const c = parseConfig({
      SESSION_SECRET_FILE: write('session', 'x'.repeat(40) + '\n'),
      ADMIN_PASSWORD_FILE: write('admin', 'correct horse battery\r\n'),
      DATABASE_URL_FILE: write('db', 'postgres://app:s3cret@db.internal:5432/signalops\n'),
      METRICS_TOKEN_FILE: write('metrics', 'scrape-token-0123456789'),
    });
    expect(c.SESSION_SECRET).toBe('x'.repeat(40));
    expect(c.ADMIN_PASSWORD).toBe('correct horse battery');
    expect(c.DATABASE_URL).toBe('postgres://app:s3cret@db.internal:5432/signalops');
    expect(c.METRICS_TOKEN).toBe('scrape-token-0123456789');
    expect(SECRET_VARS).toEqual(expect.arrayContaining(['DATABASE_URL', 'ADMIN_PASSWORD', 'SESSION_SECRET', 'METRICS_TOKEN']));
  });

  it('both set (to different values) is an error naming both; the same value is fine (npm start passes it on)', () => {
    const f = write('pw', 'from-the-file-123\n');
    expect(() => parseConfig({ ADMIN_PASSWORD: 'from-the-env-456', ADMIN_PASSWORD_FILE: f })).toThrow(/ADMIN_PASSWORD: both ADMIN_PASSWORD and ADMIN_PASSWORD_FILE are set/);
    expect(parseConfig({ ADMIN_PASSWORD: 'from-the-file-123', ADMIN_PASSWORD_FILE: f }).ADMIN_PASSWORD).toBe('from-the-file-123');
  });

  it('an unreadable file is a ConfigError naming the variable and the path, never the content', () => {
    expect(() => parseConfig({ SESSION_SECRET_FILE: path.join(tmp, 'missing') })).toThrow(ConfigError);
    expect(() => parseConfig({ SESSION_SECRET_FILE: path.join(tmp, 'missing') })).toThrow(/SESSION_SECRET_FILE: cannot read .*missing \(ENOENT\)/);
    // A value that fails validation names the variable and where it came from — not the value.
    let msg = '';
    try {
      parseConfig({ SESSION_SECRET_FILE: write('short', 'tooshort-secret\n') });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/SESSION_SECRET \(from SESSION_SECRET_FILE\): must be at least 32 characters/);
    expect(msg).not.toContain('tooshort-secret');
    try {
      parseConfig({ DATABASE_URL_FILE: write('baddb', 'mysql://root:hunter2@x/y') });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/DATABASE_URL \(from DATABASE_URL_FILE\)/);
    expect(msg).not.toContain('hunter2');
  });
});

describe('the session secret: SESSION_SECRET, else a 0600 file in DATA_DIR — never the database', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
  });

  it('is generated once into DATA_DIR with mode 0600, and not stored in the database', async () => {
    clearSecretCache();
    const secret = await getSecret(db, 'session');
    expect(secret.length).toBeGreaterThanOrEqual(43);
    // config().dataDir: ./.data unless DATA_DIR says otherwise
    const file = secretFilePath(path.resolve(process.env.DATA_DIR ?? './.data'), 'session');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await db.select().from(systemSecrets)).toEqual([]);
    clearSecretCache();
    expect(await getSecret(db, 'session')).toBe(secret); // read back, not regenerated
    expect(await getSecret(db, 'session', 'e'.repeat(40))).toBe('e'.repeat(40)); // SESSION_SECRET wins
  });

  it('a loosened file is put back to 0600; a truncated one is an error that says what to do', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'loose-'));
    const value = fileSecret(dir, 'session');
    fs.chmodSync(secretFilePath(dir, 'session'), 0o644);
    clearSecretCache();
    expect(fileSecret(dir, 'session')).toBe(value);
    expect(fs.statSync(secretFilePath(dir, 'session')).mode & 0o777).toBe(0o600);
    fs.writeFileSync(secretFilePath(dir, 'session'), 'abc');
    clearSecretCache();
    expect(() => fileSecret(dir, 'session')).toThrow(/truncated or empty; delete it .* or set SESSION_SECRET/);
  });

  it('processes racing to create it all end with the same secret', async () => {
    const dir = path.join(tmp, 'race');
    const script = `import { fileSecret } from ${JSON.stringify(path.resolve(import.meta.dirname, 'secrets.ts'))}; process.stdout.write(fileSecret(${JSON.stringify(dir)}, 'session'));`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (c: Buffer) => (out += c));
        p.stderr.on('data', (c: Buffer) => (err += c));
        p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
      });
    const all = await Promise.all(Array.from({ length: 6 }, run));
    expect(new Set(all).size).toBe(1);
    expect(all[0].length).toBeGreaterThanOrEqual(43);
    expect(fs.readdirSync(dir)).toEqual(['session-secret']); // no temporary files left
  }, 60_000);

  it('warns when DATABASE_URL is another server and SESSION_SECRET is not set (replicas on several machines)', () => {
    const dataDir = path.join(tmp, 'warn');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify({ pgPassword: 'embedded-pw' }), { mode: 0o600 });
    expect(sessionSecretWarning({ DATABASE_URL: 'postgres://app:x@db.internal/signalops', SESSION_SECRET: undefined, dataDir })).toMatch(/SESSION_SECRET is not set.*several machines/);
    expect(sessionSecretWarning({ DATABASE_URL: 'postgres://app:x@db.internal/signalops', SESSION_SECRET: 's'.repeat(32), dataDir })).toBeNull();
    expect(sessionSecretWarning({ DATABASE_URL: undefined, SESSION_SECRET: undefined, dataDir })).toBeNull();
    // npm start hands its children the embedded database's URL: that is this data directory, no warning.
    expect(sessionSecretWarning({ DATABASE_URL: 'postgres://postgres:embedded-pw@127.0.0.1:5999/signalops', SESSION_SECRET: undefined, dataDir })).toBeNull();
  });
});
