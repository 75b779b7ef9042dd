import fs from 'node:fs';
import { test, expect } from '@playwright/test';
import { login, shoot } from './helpers';

test.describe.configure({ mode: 'serial' });

// Names of this spec's own, so it does not depend on what other specs did before it.
const RUN = Date.now().toString(36);
const ANALYST = { username: `audit-e2e-${RUN}`, password: 'audit-e2e-password' };

test('an admin finds a failed sign-in and a role change on the Audit page, narrows it and exports CSV', async ({ page, request, baseURL }) => {
  await login(page);
  // A user, then a role change analyst → engineer → analyst (raising is immediate; lowering asks first).
  await page.goto('/settings');
  const panel = page.getByTestId('users');
  await panel.getByLabel('Username').fill(ANALYST.username);
  await panel.getByLabel('Initial password').fill(ANALYST.password);
  await panel.locator('select[name="newRole"]').selectOption('analyst');
  await panel.getByRole('button', { name: 'Add user' }).click();
  const row = panel.getByRole('row', { name: new RegExp(`^${ANALYST.username}`) });
  await expect(row.getByText('active')).toBeVisible();
  const saved = page.waitForResponse((r) => r.url().includes('users.update') && r.ok());
  await row.getByRole('combobox', { name: `Role of ${ANALYST.username}` }).selectOption('engineer');
  await saved;

  // A failed sign-in for that user, from another client.
  const failed = await request.post('/api/trpc/auth.login', {
    headers: { origin: baseURL!, 'user-agent': 'audit-e2e-probe' },
    data: { username: ANALYST.username, password: 'not-the-password' },
  });
  expect(failed.status()).toBe(401);

  // The Audit link is in the menu for admins.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit' })).toBeVisible();
  const rows = page.getByTestId('audit-row');
  const roleChange = rows.filter({ hasText: ANALYST.username }).and(page.locator('[data-action="user.update"]'));
  await expect(roleChange.first()).toContainText('role: analyst → engineer');
  const failedLogin = rows.filter({ hasText: ANALYST.username }).and(page.locator('[data-outcome="failed"]'));
  await expect(failedLogin.first()).toContainText('auth.login');
  await expect(failedLogin.first()).toContainText('audit-e2e-probe');
  await shoot(page, 'audit-01-list');

  // Narrow: failed outcomes whose target is this user — the role change drops out.
  const filters = page.getByTestId('audit-filters');
  await filters.getByLabel('Outcome').selectOption('failed');
  await filters.getByLabel('Target contains').fill(ANALYST.username);
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/outcome=failed/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-outcome', 'failed');
  await shoot(page, 'audit-02-filtered');

  // CSV of the same filters: a header row, then the entry.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^signalops-audit-.*\.csv$/);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  expect(lines[0]).toBe('id,at,actor,action,target,outcome,ip,user_agent,api_key_id,request_id,details');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(`auth.login,${ANALYST.username},failed`);

  // Nothing matches: an honest empty state.
  await page.goto(`/audit?q=${encodeURIComponent('no-such-target-' + RUN)}`);
  await expect(page.getByTestId('empty-state')).toContainText('No entries match these filters');
});

test('an analyst sees no Audit link and gets a 403 message; the CSV route refuses them', async ({ page, baseURL }) => {
  // Back to analyst (the role change of the first test made them engineer).
  await login(page);
  await page.goto('/settings');
  const row = page.getByTestId('users').getByRole('row', { name: new RegExp(`^${ANALYST.username}`) });
  await row.getByRole('combobox', { name: `Role of ${ANALYST.username}` }).selectOption('analyst');
  await row.getByRole('group', { name: `Confirm role change of ${ANALYST.username}` }).getByRole('button', { name: 'Make analyst' }).click();
  await expect(row.getByRole('combobox', { name: `Role of ${ANALYST.username}` })).toHaveValue('analyst');
  await page.context().clearCookies();

  await login(page, ANALYST.username, ANALYST.password);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await page.goto('/audit');
  await expect(page.getByTestId('audit-forbidden')).toContainText('403 — admins only');
  await shoot(page, 'audit-03-analyst');
  const csv = await page.request.get(`${baseURL}/api/v1/audit?format=csv`);
  expect(csv.status()).toBe(403);
});
