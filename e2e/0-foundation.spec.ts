// Named 0-… so it runs first: spec files run in name order against one server and database, and this one checks
// the state of a fresh install (e.g. /predict answers 503 before any model is trained).
import { test, expect } from '@playwright/test';
import { ADMIN, login, shoot } from './helpers';

test.describe.configure({ mode: 'serial' });

test('the login page keeps anonymous visitors out and rejects a wrong password', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('definitely-wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
  await shoot(page, '00-login');
});

test('admin visits every page, creates and revokes an API key, runs a job, logs out', async ({ page, request }) => {
  await login(page);
  // Overview: real readiness, one worker alive.
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByText('System ready')).toBeVisible();
  await expect(page.getByTestId('stat-workers')).toContainText('1');
  await page.getByRole('button', { name: 'Send a test job' }).click();
  await expect(page.getByTestId('ping-result')).toContainText('answered by', { timeout: 20_000 });
  await shoot(page, '01-overview');

  const pages: Array<[string, string]> = [
    ['Data', '02-data'],
    ['Training', '03-training'],
    ['Models', '04-models'],
    ['Promotion', '05-promotion'],
    ['Drift', '06-drift'],
    ['Metrics', '07-metrics'],
    ['Settings', '08-settings'],
  ];
  for (const [name, shot] of pages) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(page.getByRole('link', { name, exact: true })).toHaveAttribute('aria-current', 'page');
    await shoot(page, shot);
  }

  // Settings: create an API key; it is shown once and works against the API.
  const keys = page.getByTestId('api-keys');
  await keys.getByLabel('Name', { exact: true }).fill('e2e-trading-app');
  await keys.getByRole('checkbox', { name: 'train' }).uncheck();
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-api-key').locator('code');
  await expect(shown).toContainText('so_');
  const key = (await shown.textContent())!.trim();
  await shoot(page, '09-settings-new-key');
  const me = await request.get('/api/trpc/auth.me', { headers: { authorization: `Bearer ${key}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).result.data).toMatchObject({ kind: 'apikey', name: 'e2e-trading-app', scopes: ['predict', 'read'] });
  const forbidden = await request.get('/api/trpc/users.list', { headers: { 'x-api-key': key } });
  expect(forbidden.status()).toBe(403);
  // Today's REST path of the trading app: no model trained yet → 503 saying what to do; no key → 401.
  const predict = await request.post('/predict', { headers: { authorization: `Bearer ${key}` }, data: { symbol: 'EURUSD', indicators: { rsi_value: 50 } } });
  expect(predict.status()).toBe(503);
  expect((await predict.json()).error.message).toBe('No servable model: train and promote a model first.');
  expect((await request.post('/predict', { data: { symbol: 'EURUSD', indicators: { rsi_value: 50 } } })).status()).toBe(401);
  const badInput = await request.post('/api/v1/predict', { headers: { authorization: `Bearer ${key}` }, data: { symbol: 'EURUSD', indicators: { rsi_value: 140 } } });
  expect(badInput.status()).toBe(400);

  await page.reload();
  const row = page.getByRole('row', { name: /e2e-trading-app/ });
  await expect(row.getByText('active')).toBeVisible();
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('group', { name: 'Confirm revoking e2e-trading-app' }).getByRole('button', { name: 'Revoke it' }).click();
  await expect(row.getByText('revoked')).toBeVisible();
  const revoked = await request.get('/api/trpc/system.workers', { headers: { authorization: `Bearer ${key}` } });
  expect(revoked.status()).toBe(401);

  // Log out: the session is gone.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/logout$/);
  await expect(page.getByTestId('logout-state')).toContainText('You are signed out.');
  await shoot(page, '15-logout');
  await page.goto('/settings');
  await expect(page).toHaveURL(/\/login$/);
});

test('health and readiness answer without auth', async ({ request }) => {
  const health = await request.get('/api/health');
  expect(health.status()).toBe(200);
  const ready = await request.get('/api/ready');
  expect(ready.status()).toBe(200);
  // Anonymous callers learn ready or not, nothing more; a signed-in viewer gets the details.
  expect(await ready.json()).toEqual({ ready: true });
  const anon = await request.get('/api/trpc/users.list');
  expect(anon.status()).toBe(401);
  expect(JSON.stringify(await anon.json())).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  const signIn = await request.post('/api/trpc/auth.login', { data: { username: ADMIN.username, password: ADMIN.password } });
  expect(signIn.status(), await signIn.text()).toBe(200);
  const body = await (await request.get('/api/ready')).json();
  expect(body).toMatchObject({ ready: true, database: { ok: true }, migrations: { ok: true }, workers: { ok: true } });
  expect(body.tensorflow.backend).toBeTruthy();
  expect(ADMIN.password.length).toBeGreaterThan(8);
});
