import { chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The browser for the e2e tests, obtained by the test command itself (a fresh machine has none):
 *   1. `CHROMIUM_PATH` when set (it must be an executable: an explicit choice is never silently replaced);
 *   2. a Chrome/Chromium already installed: `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable`
 *      on PATH, `/usr/bin/chromium`, Playwright's own download (its cache);
 *   3. none: install one — Debian's `chromium` with apt-get (root, apt-get, Debian/Ubuntu), else
 *      `npx playwright install chromium` — and look again;
 *   4. still none: one line saying what to install.
 * `chooseBrowser` is the rule (pure, unit-tested); `ensureBrowser` probes the machine, runs the installs and prints
 * exactly one line saying what it did. Playwright's config calls it once, in the main process.
 */

export const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] as const;
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface BrowserProbes {
  /** The executable `name` on PATH, or null. */
  which(name: string): string | null;
  /** Whether `file` exists and is executable. */
  isExecutable(file: string): boolean;
  /** Where Playwright's own Chromium would be (chromium.executablePath()), whether or not it is downloaded. */
  playwrightChromium(): string | null;
  isRoot: boolean;
  /** The text of /etc/os-release, or null. */
  osRelease: string | null;
}

export type Installer = 'apt' | 'playwright';

export type BrowserChoice =
  | { kind: 'found'; path: string; how: string }
  | { kind: 'install'; installers: Installer[] }
  | { kind: 'fail'; message: string };

export const INSTALL_HINT =
  'install Chromium or Chrome (Debian/Ubuntu: apt-get install -y chromium; elsewhere: npx playwright install chromium) or set CHROMIUM_PATH to its executable';

/** ID and ID_LIKE of /etc/os-release name Debian or Ubuntu. */
export function isDebianLike(osRelease: string | null): boolean {
  if (!osRelease) return false;
  const ids = [...osRelease.matchAll(/^(?:ID|ID_LIKE)=(.*)$/gm)].flatMap((m) => m[1].replace(/["']/g, '').split(/\s+/));
  return ids.some((id) => id === 'debian' || id === 'ubuntu');
}

/**
 * The browser to use, or what to install. `tried` lists installers already run (and failed or found nothing): they
 * are not proposed again, and when none is left the answer is a failure naming what to install.
 */
export function chooseBrowser(env: Record<string, string | undefined>, probes: BrowserProbes, tried: Installer[] = []): BrowserChoice {
  const explicit = env.CHROMIUM_PATH?.trim();
  if (explicit) {
    return probes.isExecutable(explicit)
      ? { kind: 'found', path: explicit, how: 'from CHROMIUM_PATH' }
      : { kind: 'fail', message: `CHROMIUM_PATH=${explicit} is not an executable file; point it at a Chrome/Chromium binary or unset it` };
  }
  for (const name of PATH_NAMES) {
    const found = probes.which(name);
    if (found) return { kind: 'found', path: found, how: `found ${name} on PATH` };
  }
  if (probes.isExecutable(DEBIAN_CHROMIUM)) return { kind: 'found', path: DEBIAN_CHROMIUM, how: 'found, not on PATH' };
  const own = probes.playwrightChromium();
  if (own && probes.isExecutable(own)) return { kind: 'found', path: own, how: "Playwright's own Chromium" };

  const installers: Installer[] = [];
  if (probes.isRoot && probes.which('apt-get') && isDebianLike(probes.osRelease)) installers.push('apt');
  installers.push('playwright');
  const left = installers.filter((i) => !tried.includes(i));
  if (left.length) return { kind: 'install', installers: left };
  return { kind: 'fail', message: `no Chrome/Chromium found and installing one failed; ${INSTALL_HINT}` };
}

export const INSTALL_COMMANDS: Record<Installer, { describe: string; command: string[] }> = {
  apt: {
    describe: 'installing Debian chromium with apt-get',
    command: ['sh', '-c', 'apt-get update -qq && apt-get install -y -qq chromium'],
  },
  playwright: { describe: 'running npx playwright install chromium', command: ['npx', 'playwright', 'install', 'chromium'] },
};

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function machineProbes(env: Record<string, string | undefined> = process.env): BrowserProbes {
  let osRelease: string | null = null;
  try {
    osRelease = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    osRelease = null;
  }
  return {
    which(name) {
      for (const dir of (env.PATH ?? '').split(path.delimiter)) {
        if (!dir) continue;
        const file = path.join(dir, name);
        if (isExecutable(file)) return file;
      }
      return null;
    },
    isExecutable,
    playwrightChromium() {
      try {
        return chromium.executablePath() || null;
      } catch {
        return null;
      }
    },
    isRoot: process.getuid?.() === 0,
    osRelease,
  };
}

/** The last non-empty line of a failed command's output, for the one line we print. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 200);
}

export class BrowserUnavailable extends Error {}

export interface RunResult {
  ok: boolean;
  /** Why it failed, one line. */
  reason?: string;
}

/** Runs an install command with its output captured (only its last line is shown, when it fails). */
export function runQuietly(command: string[]): RunResult {
  const r = spawnSync(command[0], command.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status === 0) return { ok: true };
  return { ok: false, reason: r.error?.message ?? (lastLine(`${r.stdout ?? ''}\n${r.stderr ?? ''}`) || `exit ${r.status ?? r.signal}`) };
}

/**
 * Finds or installs the browser and returns its path. Prints exactly one line saying what it did, built as it goes so
 * that a slow install is announced before it runs:
 *   `e2e browser: /usr/bin/chromium (found chromium on PATH)`
 *   `e2e browser: installing Debian chromium with apt-get … done: /usr/bin/chromium`
 *   `e2e browser: installing Debian chromium with apt-get … failed (…); running npx playwright install chromium … failed (…); no Chrome/Chromium found …`
 * Throws BrowserUnavailable (its message is that line) when there is none and none could be installed.
 */
export function ensureBrowser(
  env: Record<string, string | undefined> = process.env,
  {
    out = (s: string) => void process.stdout.write(s),
    probes = () => machineProbes(env),
    run = runQuietly,
  }: { out?: (s: string) => void; probes?: () => BrowserProbes; run?: (command: string[]) => RunResult } = {},
): string {
  const tried: Installer[] = [];
  let lastFailed = false;
  let line = 'e2e browser: ';
  const say = (s: string) => {
    line += s;
    out(s);
  };
  out(line);
  for (;;) {
    const choice = chooseBrowser(env, probes(), tried);
    if (choice.kind === 'found') {
      say(tried.length ? `done: ${choice.path}\n` : `${choice.path} (${choice.how})\n`);
      return choice.path;
    }
    if (tried.length && !lastFailed) say('it finished but no browser appeared; ');
    if (choice.kind === 'fail') {
      say(`${choice.message}\n`);
      throw new BrowserUnavailable(line.trimEnd());
    }
    const installer = choice.installers[0];
    const { describe, command } = INSTALL_COMMANDS[installer];
    say(`${describe} … `);
    const r = run(command);
    tried.push(installer);
    lastFailed = !r.ok;
    if (!r.ok) say(`failed (${r.reason}); `);
  }
}
