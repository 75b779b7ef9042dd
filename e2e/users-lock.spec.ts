import { test, expect, type APIRequestContext } from '@playwright/test';
import { login, shoot } from './helpers';

/**
 * Sign-in throttling on the Users page: 10 failed sign-ins lock an account (server/auth/throttle.ts); the admin's
 * users table shows "locked · N s left" and an Unlock button (users.unlock), after which the right password works
 * at once.
 */

const USER = 'e2e-locked';
const PASSWORD = 'e2e-locked-password';

/** `auth.login` over HTTP as the login form sends it (the CSRF guard wants Origin on a POST). */
async function signIn(request: APIRequestContext, origin: string, password: string) {
  const r = await request.post('/api/trpc/auth.login', { headers: { origin, 'content-type': 'application/json' }, data: { username: USER, password } });
  return { status: r.status(), text: await r.text() };
}

test('a locked account shows in the users table and an admin unlocks it', async ({ page, playwright, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  await login(page);
  await page.goto('/settings');
  const panel = page.getByTestId('users');
  await panel.getByLabel('Username').fill(USER);
  await panel.getByLabel('Initial password').fill(PASSWORD);
  await panel.getByRole('button', { name: 'Add user' }).click();
  const row = panel.getByRole('row', { name: new RegExp(`^${USER}`) });
  await expect(row.getByText('active')).toBeVisible();
  await expect(row.getByTestId('user-locked')).toHaveCount(0);
  await expect(row.getByRole('button', { name: `Unlock ${USER}` })).toHaveCount(0);

  // 10 wrong passwords from another client (no session): the 10th locks the account, the 11th is refused unchecked.
  const api = await playwright.request.newContext({ baseURL });
  for (let i = 1; i <= 10; i++) {
    const r = await signIn(api, origin, 'wrong');
    expect(r.status, r.text).toBe(401);
    if (i === 10) expect(r.text).toMatch(/After 10 failed attempts, sign-in for 'e2e-locked' is locked for \d+ s/);
  }
  const refused = await signIn(api, origin, PASSWORD);
  expect(refused.status, refused.text).toBe(429);
  expect(refused.text).toMatch(/it is locked; try again in \d+ s, or ask an admin to unlock it/);

  // The admin's table: the lock, counting down, and the way out.
  await page.reload();
  await expect(row.getByTestId('user-locked')).toHaveText(/^\s*locked · \d+ s left$/);
  const left = Number((await row.getByTestId('user-locked').textContent())!.match(/(\d+) s left/)![1]);
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThanOrEqual(60);
  await expect(row.getByText('active')).toBeVisible(); // locked is not disabled
  await shoot(page, 'users-lock');

  const unlocked = page.waitForResponse((r) => r.url().includes('users.unlock') && r.ok());
  await row.getByRole('button', { name: `Unlock ${USER}` }).click();
  await unlocked;
  await expect(row.getByTestId('user-locked')).toHaveCount(0);
  await expect(row.getByRole('button', { name: `Unlock ${USER}` })).toHaveCount(0);
  await shoot(page, 'users-lock-unlocked');

  // The right password now signs in at once.
  const ok = await signIn(api, origin, PASSWORD);
  expect(ok.status, ok.text).toBe(200);
  expect(JSON.parse(ok.text)).toMatchObject({ result: { data: { username: USER, role: 'analyst' } } });
  await api.dispose();
});
