import AxeBuilder from '@axe-core/playwright';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { plantedSignalCandles, toCsv } from '../server/market/synthetic';

export const ADMIN = { username: 'admin', password: process.env.SO_E2E_ADMIN_PASSWORD! };
export const SHOTS = path.resolve('test-results/screenshots');
export const AXE_REPORTS = path.resolve('test-results/axe');

export async function login(page: Page, username = ADMIN.username, password = ADMIN.password) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(username);
}

/** WCAG 2.0 and 2.1, levels A and AA. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Scans the page as it is now with axe-core (WCAG 2 / 2.1 A and AA) and fails on serious or critical violations,
 * listing each as `rule-id (impact): selector — summary`. Every violation, minor ones too, is written to
 * test-results/axe/<name>.json. A soft assertion: the test goes on, so one run reports every page.
 */
export async function expectAccessible(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  fs.mkdirSync(AXE_REPORTS, { recursive: true });
  const report = results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
  }));
  fs.writeFileSync(path.join(AXE_REPORTS, `${name}.json`), JSON.stringify({ url: results.url, violations: report }, null, 2));
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${(n.failureSummary ?? v.help).replace(/\s+/g, ' ').slice(0, 220)}`));
  expect.soft(serious, `${name}: ${serious.length} serious/critical accessibility violations (WCAG 2 A/AA, axe-core)`).toEqual([]);
}

/**
 * Checks the page is accessible (expectAccessible), does not overflow sideways, and saves a full-page screenshot under
 * test-results/screenshots.
 */
export async function shoot(page: Page, name: string) {
  await expectAccessible(page, name);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${name} overflows horizontally by ${overflow}px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** An `Authorization` header for REST and tRPC calls. */
export type Auth = Record<string, string>;
type Json = Record<string, unknown>;

/** Creates an API key on the Settings page (signed in as an admin) and returns its `Authorization` header. */
export async function createApiKey(page: Page, name: string, scopes: string[]): Promise<Auth> {
  await page.goto('/settings');
  const keys = page.getByTestId('api-keys');
  await keys.getByLabel('Name', { exact: true }).fill(name);
  for (const s of scopes) await keys.getByRole('checkbox', { name: s }).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-api-key').locator('code');
  await expect(shown).toContainText('so_');
  return { authorization: `Bearer ${(await shown.textContent())!.trim()}` };
}

/** Imports `bars` hourly candles with a planted, learnable signal (server/market/synthetic) as `dataset` over REST. */
export async function importPlantedCandles(request: APIRequestContext, auth: Auth, dataset: string, opts: { bars: number; seed: number; symbol?: string }) {
  const csv = toCsv(plantedSignalCandles(opts.bars, opts.seed), 'mt-comma');
  const imp = await request.post(`/api/v1/datasets?dataset=${dataset}&symbol=${opts.symbol ?? 'EURUSD'}&timeframe=1h`, { headers: { ...auth, 'content-type': 'text/csv' }, data: csv });
  expect(imp.status(), await imp.text()).toBe(200);
}

/**
 * Starts a training run over REST (`POST /api/v1/train` with `params`), waits until it ends, expects it to have
 * succeeded and returns its result (model, version, status — `candidate` when it passed the gate).
 */
export async function trainAndWait(request: APIRequestContext, auth: Auth, params: Json, timeout = 200_000): Promise<Json & { model: string; version: number; status: string }> {
  const start = await request.post('/api/v1/train', { headers: auth, data: params });
  expect(start.status(), await start.text()).toBe(202);
  const id = ((await start.json()) as { run: { id: string } }).run.id;
  const get = async () => {
    const r = await request.get(`/api/trpc/training.get?input=${encodeURIComponent(JSON.stringify({ id }))}`, { headers: auth });
    return ((await r.json()) as { result: { data: { status: string; error: string | null; result: (Json & { model: string; version: number; status: string }) | null } } }).result.data;
  };
  await expect.poll(async () => (await get()).status, { timeout, intervals: [1000] }).toMatch(/succeeded|failed|cancelled/);
  const run = await get();
  expect(run.status, run.error ?? '').toBe('succeeded');
  return run.result!;
}
