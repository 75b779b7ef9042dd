import { test, expect } from '@playwright/test';
import { ADMIN, login, shoot } from './helpers';

test.describe.configure({ mode: 'serial' });

test('an admin cannot disable or demote themselves; disabling and lowering a role ask first', async ({ page }) => {
  await login(page);
  await page.goto('/settings');
  const panel = page.getByTestId('users');

  // Their own row offers no way to lock themselves out.
  const mine = panel.getByRole('row', { name: new RegExp(`^${ADMIN.username} \\(you\\)`) });
  await expect(mine.getByText('Another admin must disable you or change your role.')).toBeVisible();
  await expect(mine.getByRole('button', { name: 'Disable' })).toHaveCount(0);
  await expect(mine.getByRole('combobox', { name: `Role of ${ADMIN.username}` })).toBeDisabled();

  // A second admin, then disable them: nothing happens before the confirmation.
  await panel.getByLabel('Username').fill('e2e-ops');
  await panel.getByLabel('Initial password').fill('e2e-ops-password');
  await panel.locator('select[name="newRole"]').selectOption('admin');
  await panel.getByRole('button', { name: 'Add user' }).click();
  const ops = panel.getByRole('row', { name: /^e2e-ops/ });
  await expect(ops.getByText('active')).toBeVisible();

  await ops.getByRole('button', { name: 'Disable' }).click();
  const confirm = ops.getByRole('group', { name: 'Confirm disabling e2e-ops' });
  await expect(confirm).toContainText('Disable e2e-ops? They are signed out now');
  await expect(confirm.getByRole('button', { name: 'Keep' })).toBeFocused();
  await shoot(page, 'users-01-confirm-disable');
  await confirm.getByRole('button', { name: 'Keep' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(ops.getByText('active')).toBeVisible();
  // Escape keeps, too
  await ops.getByRole('button', { name: 'Disable' }).click();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);

  await ops.getByRole('button', { name: 'Disable' }).click();
  await confirm.getByRole('button', { name: 'Disable e2e-ops' }).click();
  await expect(ops.getByText('disabled')).toBeVisible();
  await ops.getByRole('button', { name: 'Enable' }).click();
  await expect(ops.getByText('active')).toBeVisible();

  // Lowering a role asks; raising does not.
  const role = ops.getByRole('combobox', { name: 'Role of e2e-ops' });
  await role.selectOption('engineer');
  const roleConfirm = ops.getByRole('group', { name: 'Confirm role change of e2e-ops' });
  await expect(roleConfirm).toContainText('Make e2e-ops engineer (now admin)?');
  await roleConfirm.getByRole('button', { name: 'Keep admin' }).click();
  await expect(role).toHaveValue('admin');
  await role.selectOption('engineer');
  await roleConfirm.getByRole('button', { name: 'Make engineer' }).click();
  await expect(roleConfirm).toHaveCount(0);
  await page.reload();
  await expect(role).toHaveValue('engineer');
  // raising is immediate: no confirm step, the change is saved
  const saved = page.waitForResponse((r) => r.url().includes('users.update') && r.ok());
  await role.selectOption('admin');
  await expect(roleConfirm).toHaveCount(0);
  await saved;
  await page.reload();
  await expect(role).toHaveValue('admin');
});

test('a new API key has a copy button; revoking asks first', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await login(page);
  await page.goto('/settings');
  const keys = page.getByTestId('api-keys');
  await keys.getByLabel('Name', { exact: true }).fill('e2e-copy');
  await keys.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-api-key');
  await expect(shown.locator('code')).toContainText('so_');
  const key = (await shown.locator('code').textContent())!.trim();
  await shown.getByRole('button', { name: 'Copy key' }).click();
  await expect(shown.getByRole('button', { name: 'Copied' })).toBeVisible();
  await expect(shown.getByRole('status')).toHaveText('Copied to the clipboard.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  await shoot(page, 'users-02-key-copied');

  const row = keys.getByRole('row', { name: /e2e-copy/ });
  await row.getByRole('button', { name: 'Revoke' }).click();
  const confirm = row.getByRole('group', { name: 'Confirm revoking e2e-copy' });
  await expect(confirm).toContainText('Clients using it are refused at once');
  await confirm.getByRole('button', { name: 'Keep' }).click();
  await expect(row.getByText('active')).toBeVisible();
  await row.getByRole('button', { name: 'Revoke' }).click();
  await confirm.getByRole('button', { name: 'Revoke it' }).click();
  await expect(row.getByText('revoked')).toBeVisible();
});

test('without the Clipboard API, the copy button selects the key instead', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true }));
  await login(page);
  await page.goto('/settings');
  const keys = page.getByTestId('api-keys');
  await keys.getByLabel('Name', { exact: true }).fill('e2e-no-clipboard');
  await keys.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-api-key');
  await expect(shown.locator('code')).toContainText('so_');
  const key = (await shown.locator('code').textContent())!.trim();
  await shown.getByRole('button', { name: 'Copy key' }).click();
  // The legacy copy command may or may not be allowed; either way the key is selected, and the page says which.
  await expect(shown.getByRole('status')).toHaveText(/^(Copied to the clipboard\.|Selected: press Ctrl\+C \(⌘C\) to copy\.)$/);
  expect(await page.evaluate(() => window.getSelection()?.toString().trim())).toBe(key);
});
