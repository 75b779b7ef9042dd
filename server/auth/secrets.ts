/* eslint-disable security/detect-non-literal-fs-filename -- every path here is DATA_DIR (configuration) joined with a fixed name, never part of a request */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { config, type Config } from '../config';
import { childLogger } from '../log';

/**
 * Named secrets (today: `session`, the HMAC key of session tokens). Where each lives:
 *   - SESSION_SECRET, or the file SESSION_SECRET_FILE names (server/config.ts, the `*_FILE` convention), when set;
 *   - else DATA_DIR/session-secret (mode 0600), generated once. Not in the database any more: anyone who could read
 *     a table could have forged sessions (migration 0008 deleted the old row). Every process on one data directory
 *     (`npm start`'s web and worker, `npm run serve` beside them) reads the same file; replicas on other machines
 *     do not share DATA_DIR and must be given SESSION_SECRET (a warning says so: sessionSecretWarning).
 * Never logged.
 */
export type SecretName = 'session';

const FILES: Record<SecretName, string> = { session: 'session-secret' };
const cache = new Map<string, string>();
let warned = false;

// `db` is kept in the signature for callers (and a future secret that does live in the database); unused today.
export async function getSecret(_db: Db | null, name: SecretName, envValue?: string): Promise<string> {
  if (envValue) return envValue;
  if (!warned) {
    warned = true;
    const w = sessionSecretWarning(config());
    if (w) childLogger({ component: 'auth' }).warn(w);
  }
  return fileSecret(config().dataDir, name);
}

/** The secret in `dir`, created (32 random bytes, base64url, mode 0600) when missing. Cached per file. */
export function fileSecret(dir: string, name: SecretName): string {
  const file = path.join(dir, FILES[name]);
  const hit = cache.get(file);
  if (hit) return hit;
  const value = readSecretFile(file) ?? createSecretFile(file);
  cache.set(file, value);
  return value;
}

/** Where a secret's file is (for tests and the README). */
export function secretFilePath(dir: string, name: SecretName): string {
  return path.join(dir, FILES[name]);
}

/** Forget cached values (tests). */
export function clearSecretCache(): void {
  cache.clear();
}

function readSecretFile(file: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Cannot read the secret file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); fix its permissions or set SESSION_SECRET.`);
  }
  const value = text.trim();
  if (value.length < 32) throw new Error(`The secret file ${file} is truncated or empty; delete it (everyone signs in again) or set SESSION_SECRET.`);
  try {
    // Someone loosened it (a copy, a restore): back to owner-only.
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch {
    /* not ours to change: readable is what matters */
  }
  return value;
}

/**
 * Creates the file atomically, so that processes starting together end with one secret: the value is written to a
 * private temporary file, then hard-linked into place — link() fails with EEXIST when another process won, and
 * then its (complete) file is read instead. Never a half-written file under the final name.
 */
function createSecretFile(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const value = crypto.randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${value}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return value;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return readSecretFile(file) ?? createSecretFile(file);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') return createExclusive(file, value); // no hard links here
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Fallback without hard links: open with 'wx'; a loser re-reads until the winner's write is complete. */
function createExclusive(file: string, value: string): string {
  try {
    fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return value;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  for (let i = 0; i < 50; i++) {
    const text = fs.readFileSync(file, 'utf8');
    if (text.endsWith('\n')) return text.trim();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return readSecretFile(file) ?? value;
}

/**
 * The start-up warning for replicas: DATABASE_URL points at a server other than this data directory's embedded one,
 * and SESSION_SECRET is not set — processes on other machines would each generate their own secret, and a session
 * signed on one would not be accepted by another. null when there is nothing to warn about.
 */
export function sessionSecretWarning(cfg: Pick<Config, 'DATABASE_URL' | 'SESSION_SECRET' | 'dataDir'>): string | null {
  if (cfg.SESSION_SECRET || !cfg.DATABASE_URL || isEmbeddedUrl(cfg.DATABASE_URL, cfg.dataDir)) return null;
  return (
    `SESSION_SECRET is not set: the session secret is generated in ${secretFilePath(cfg.dataDir, 'session')}, which only processes on this ` +
    'data directory share. With DATABASE_URL and web replicas on several machines, give every process the same SESSION_SECRET ' +
    '(or SESSION_SECRET_FILE), or sessions signed by one replica are refused by another.'
  );
}

/** DATABASE_URL is the embedded cluster of `dataDir` (`npm start` hands its children that URL). */
function isEmbeddedUrl(url: string, dataDir: string): boolean {
  try {
    const u = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return false;
    const s = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { pgPassword?: string };
    return !!s.pgPassword && decodeURIComponent(u.password) === s.pgPassword;
  } catch {
    return false;
  }
}

/** Logs sessionSecretWarning once, at process start (start.ts, serve, worker may call it; getSecret does on first use). */
export function warnSessionSecretSetup(log: { warn(msg: string): void } = childLogger({ component: 'auth' })): void {
  if (warned) return;
  warned = true;
  const w = sessionSecretWarning(config());
  if (w) log.warn(w);
}
