import { describe, expect, it } from 'vitest';
import { chooseBrowser, ensureBrowser, isDebianLike, type BrowserProbes, type RunResult } from './browser';

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n';
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
const MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\n';
const PW = '/home/u/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome';

/** A machine: which executables exist, where PATH names resolve. */
function machine(o: { files?: string[]; onPath?: Record<string, string>; root?: boolean; os?: string | null } = {}): BrowserProbes {
  const files = new Set([...(o.files ?? []), ...Object.values(o.onPath ?? {})]);
  return {
    which: (name) => o.onPath?.[name] ?? null,
    isExecutable: (f) => files.has(f),
    playwrightChromium: () => PW,
    isRoot: o.root ?? false,
    osRelease: o.os === undefined ? DEBIAN : o.os,
  };
}

describe('chooseBrowser', () => {
  it('uses CHROMIUM_PATH first, and refuses one that is not executable instead of guessing', () => {
    const m = machine({ files: ['/opt/chrome/chrome'], onPath: { chromium: '/usr/bin/chromium' } });
    expect(chooseBrowser({ CHROMIUM_PATH: '/opt/chrome/chrome' }, m)).toEqual({ kind: 'found', path: '/opt/chrome/chrome', how: 'from CHROMIUM_PATH' });
    const bad = chooseBrowser({ CHROMIUM_PATH: '/nope/chrome' }, m);
    expect(bad.kind).toBe('fail');
    expect(bad.kind === 'fail' && bad.message).toContain('CHROMIUM_PATH=/nope/chrome is not an executable');
  });

  it('takes the first of chromium, chromium-browser, google-chrome, google-chrome-stable on PATH', () => {
    expect(chooseBrowser({}, machine({ onPath: { chromium: '/usr/bin/chromium', 'google-chrome': '/usr/bin/google-chrome' } }))).toEqual({
      kind: 'found',
      path: '/usr/bin/chromium',
      how: 'found chromium on PATH',
    });
    expect(chooseBrowser({}, machine({ onPath: { 'google-chrome-stable': '/opt/google/chrome/google-chrome' } }))).toMatchObject({
      path: '/opt/google/chrome/google-chrome',
      how: 'found google-chrome-stable on PATH',
    });
    // An empty CHROMIUM_PATH counts as unset.
    expect(chooseBrowser({ CHROMIUM_PATH: ' ' }, machine({ onPath: { 'chromium-browser': '/snap/bin/chromium-browser' } }))).toMatchObject({ path: '/snap/bin/chromium-browser' });
  });

  it('then /usr/bin/chromium off PATH, then Playwright’s own download when it is there', () => {
    expect(chooseBrowser({}, machine({ files: ['/usr/bin/chromium', PW] }))).toMatchObject({ path: '/usr/bin/chromium', how: 'found, not on PATH' });
    expect(chooseBrowser({}, machine({ files: [PW] }))).toEqual({ kind: 'found', path: PW, how: "Playwright's own Chromium" });
  });

  it('installs Debian chromium with apt-get only as root on Debian/Ubuntu with apt-get; else npx playwright install', () => {
    const apt = { 'apt-get': '/usr/bin/apt-get' };
    expect(chooseBrowser({}, machine({ root: true, onPath: apt }))).toEqual({ kind: 'install', installers: ['apt', 'playwright'] });
    expect(chooseBrowser({}, machine({ root: true, onPath: apt, os: UBUNTU }))).toEqual({ kind: 'install', installers: ['apt', 'playwright'] });
    expect(chooseBrowser({}, machine({ root: false, onPath: apt }))).toEqual({ kind: 'install', installers: ['playwright'] });
    expect(chooseBrowser({}, machine({ root: true }))).toEqual({ kind: 'install', installers: ['playwright'] });
    expect(chooseBrowser({}, machine({ root: true, onPath: apt, os: FEDORA }))).toEqual({ kind: 'install', installers: ['playwright'] });
    expect(chooseBrowser({}, machine({ root: true, onPath: apt, os: null }))).toEqual({ kind: 'install', installers: ['playwright'] });
  });

  it('does not propose an installer twice, and fails with what to install when all were tried', () => {
    const m = machine({ root: true, onPath: { 'apt-get': '/usr/bin/apt-get' } });
    expect(chooseBrowser({}, m, ['apt'])).toEqual({ kind: 'install', installers: ['playwright'] });
    const fail = chooseBrowser({}, m, ['apt', 'playwright']);
    expect(fail.kind).toBe('fail');
    expect(fail.kind === 'fail' && fail.message).toMatch(/apt-get install -y chromium.*npx playwright install chromium.*CHROMIUM_PATH/);
  });
});

describe('isDebianLike', () => {
  it('reads ID and ID_LIKE', () => {
    expect([DEBIAN, UBUNTU, MINT, FEDORA, '', null].map(isDebianLike)).toEqual([true, true, true, false, false, false]);
  });
});

describe('ensureBrowser', () => {
  /** Runs ensureBrowser on a fake machine whose installs succeed or fail as told; the browser appears after a success. */
  function run(o: { root: boolean; results: Partial<Record<'apt' | 'playwright', RunResult>>; appears?: string; env?: Record<string, string> }) {
    const files: string[] = [];
    const onPath: Record<string, string> = o.root ? { 'apt-get': '/usr/bin/apt-get' } : {};
    const commands: string[] = [];
    let printed = '';
    const go = () =>
      ensureBrowser(o.env ?? {}, {
        out: (s) => void (printed += s),
        probes: () => machine({ root: o.root, files, onPath }),
        run: (command) => {
          const which = command.join(' ').includes('apt-get') ? 'apt' : 'playwright';
          commands.push(command.join(' '));
          const r = o.results[which] ?? { ok: false, reason: 'not expected' };
          if (r.ok && o.appears !== '') {
            if (which === 'apt') onPath.chromium = '/usr/bin/chromium';
            else files.push(PW);
          }
          return r;
        },
      });
    let path: string | undefined;
    let error: Error | undefined;
    try {
      path = go();
    } catch (e) {
      error = e as Error;
    }
    return { path, error, printed, commands };
  }

  it('prints one line for a browser already there and runs nothing', () => {
    const files = ['/usr/bin/chromium'];
    let printed = '';
    const path = ensureBrowser({}, { out: (s) => void (printed += s), probes: () => machine({ onPath: { chromium: files[0] } }), run: () => expect.fail('no install') });
    expect(path).toBe('/usr/bin/chromium');
    expect(printed).toBe('e2e browser: /usr/bin/chromium (found chromium on PATH)\n');
  });

  it('as root on Debian: apt-get update + install chromium, one line', () => {
    const r = run({ root: true, results: { apt: { ok: true } } });
    expect(r.commands).toEqual(['sh -c apt-get update -qq && apt-get install -y -qq chromium']);
    expect(r.path).toBe('/usr/bin/chromium');
    expect(r.printed).toBe('e2e browser: installing Debian chromium with apt-get … done: /usr/bin/chromium\n');
  });

  it('falls back to npx playwright install chromium when apt-get fails, or when not root', () => {
    const r = run({ root: true, results: { apt: { ok: false, reason: 'E: Unable to locate package chromium' }, playwright: { ok: true } } });
    expect(r.commands).toEqual(['sh -c apt-get update -qq && apt-get install -y -qq chromium', 'npx playwright install chromium']);
    expect(r.path).toBe(PW);
    expect(r.printed).toBe(
      `e2e browser: installing Debian chromium with apt-get … failed (E: Unable to locate package chromium); running npx playwright install chromium … done: ${PW}\n`,
    );
    const user = run({ root: false, results: { playwright: { ok: true } } });
    expect(user.commands).toEqual(['npx playwright install chromium']);
    expect(user.printed.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('fails with one line saying what to install when nothing works', () => {
    const r = run({ root: true, results: { apt: { ok: false, reason: 'E: no network' }, playwright: { ok: false, reason: 'Error: getaddrinfo EAI_AGAIN' } } });
    expect(r.path).toBeUndefined();
    expect(r.printed.endsWith('\n')).toBe(true);
    expect(r.printed.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.error?.message).toBe(r.printed.trimEnd());
    expect(r.error?.message).toMatch(/apt-get … failed \(E: no network\); running npx playwright install chromium … failed \(Error: getaddrinfo EAI_AGAIN\); no Chrome\/Chromium found.*CHROMIUM_PATH/);
    // An install that "succeeds" but leaves no browser says so.
    const ghost = run({ root: false, results: { playwright: { ok: true } }, appears: '' });
    expect(ghost.error?.message).toContain('running npx playwright install chromium … it finished but no browser appeared; no Chrome/Chromium found');
  });

  it('a bad CHROMIUM_PATH fails at once, installing nothing', () => {
    const r = run({ root: true, results: {}, env: { CHROMIUM_PATH: '/nope' } });
    expect(r.commands).toEqual([]);
    expect(r.error?.message).toBe('e2e browser: CHROMIUM_PATH=/nope is not an executable file; point it at a Chrome/Chromium binary or unset it');
  });
});
