import { defineConfig } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BrowserUnavailable, ensureBrowser } from './e2e/browser';

/**
 * End-to-end tests: a real production build started with `npm start` (embedded Postgres in a scratch DATA_DIR, or a
 * fresh database on DATABASE_URL's server), driven by Chromium: CHROMIUM_PATH, one already installed, or one installed
 * now (e2e/browser.ts). Values are fixed in process.env by the main process so that Playwright's worker processes
 * (which re-read this file) see the same ones — the browser is looked for (and installed) once.
 */
const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
if (!process.env.SO_E2E_RUN) {
  try {
    process.env.SO_E2E_BROWSER = ensureBrowser();
  } catch (e) {
    if (!(e instanceof BrowserUnavailable)) throw e;
    process.exit(1); // ensureBrowser printed the line saying what to install
  }
  process.env.SO_E2E_RUN = Date.now().toString(36);
  process.env.SO_E2E_ADMIN_PASSWORD = crypto.randomBytes(12).toString('base64url');
  const dataDir = path.resolve(`.data/e2e-${E2E_PORT}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.env.SO_E2E_DATA_DIR = dataDir;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/so_e2e_${process.env.SO_E2E_RUN}`;
    process.env.SO_E2E_DATABASE_URL = u.toString();
  }
}

export const ADMIN_PASSWORD = process.env.SO_E2E_ADMIN_PASSWORD!;

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts', // e2e/*.test.ts are vitest unit tests
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1360, height: 860 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.SO_E2E_BROWSER,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: {
    command: 'npm start',
    url: `http://127.0.0.1:${E2E_PORT}/api/ready`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGINT', timeout: 20_000 },
    env: {
      PORT: String(E2E_PORT),
      DATA_DIR: process.env.SO_E2E_DATA_DIR!,
      DATABASE_URL: process.env.SO_E2E_DATABASE_URL ?? '',
      ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ALERT_EVAL_SECONDS: '5', // alerts evaluated every 5 s, so a failed run reaches the receiver quickly (e2e/alerts.spec.ts)
    },
  },
});
