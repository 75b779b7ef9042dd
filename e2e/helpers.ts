import { expect, type Page } from '@playwright/test';
import path from 'node:path';

export const ADMIN = { username: 'admin', password: process.env.SO_E2E_ADMIN_PASSWORD! };
export const SHOTS = path.resolve('test-results/screenshots');

export async function login(page: Page, username = ADMIN.username, password = ADMIN.password) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(username);
}

/** Saves a full-page screenshot under test-results/screenshots and checks the page does not overflow sideways. */
export async function shoot(page: Page, name: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${name} overflows horizontally by ${overflow}px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
