import { test, expect } from '@playwright/test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { login, shoot } from './helpers';

/**
 * Alerts end to end: a real webhook receiver (node:http in this test process), a channel added through the UI
 * pointing at it (its URL shown masked), "Send test", then a training run that fails (batch size larger than the demo
 * dataset's training windows) → the built-in "Training run failed" rule (for 0) fires: the alert shows on the Alerts
 * page and the Overview, and the receiver gets an Alertmanager v4 notification.
 */

interface Received {
  path: string;
  body: {
    version: string;
    status: string;
    receiver: string;
    alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; fingerprint: string; generatorURL: string }>;
  };
}

const SECRET = 'e2e-s3cret-path-9c41';
const MODEL = 'e2e-alert-fails';

test('a failing training run raises an alert on the Alerts page and at a webhook receiver', async ({ page }) => {
  test.setTimeout(180_000);
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      try {
        got.push({ path: req.url ?? '', body: JSON.parse(raw) });
      } catch {
        /* not JSON: ignored, answered anyway */
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await login(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Alerts' })).toBeVisible();
    // The defaults exist (created by the worker at start).
    const rules = page.getByTestId('alert-rules');
    await expect(rules.locator('tr[data-rule="Training run failed"]')).toBeVisible();
    await expect(rules.locator('tr[data-rule="No predictions while serving"]').getByRole('checkbox')).not.toBeChecked();

    // A channel through the UI: the URL is masked once stored.
    const channels = page.getByTestId('alert-channels');
    await channels.getByLabel('Channel name').fill('e2e-receiver');
    await channels.getByLabel('Format').selectOption('alertmanager');
    await channels.getByLabel('Webhook URL').fill(`${base}/hook/${SECRET}`);
    await channels.getByRole('button', { name: 'Add channel' }).click();
    const row = channels.locator('tr[data-channel="e2e-receiver"]');
    await expect(row).toContainText(`${base}/…`);
    await expect(page.locator('body')).not.toContainText(SECRET);

    // Send test → the receiver gets a test alert; the channel shows the delivery.
    await row.getByRole('button', { name: 'Send test to e2e-receiver' }).click();
    await expect.poll(() => got.filter((g) => g.body.alerts?.[0]?.labels.alertname === 'SignalOpsTest').length, { timeout: 30_000 }).toBe(1);
    expect(got[0].path).toBe(`/hook/${SECRET}`);
    await expect(row.getByTestId('channel-last-delivery')).toContainText('sent', { timeout: 15_000 });
    await shoot(page, '70-alerts');

    // A run that fails: batch size 4,096 is more than the demo dataset's training windows.
    await page.goto('/training');
    const form = page.getByTestId('train-form');
    await expect(form.getByLabel('Dataset')).toHaveValue('demo-sp500-daily');
    await form.getByLabel('Model type').selectOption('logreg');
    await form.getByLabel('Model name').fill(MODEL);
    await form.getByLabel('Batch size').fill('4096');
    await form.getByRole('button', { name: 'Train' }).click();
    await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 });

    // The receiver gets the firing notification in Alertmanager's v4 format.
    const firing = () => got.find((g) => g.body.status === 'firing' && g.body.alerts?.[0]?.labels.alertname === 'Training run failed' && g.body.alerts[0].labels.model === MODEL);
    await expect.poll(() => Boolean(firing()), { timeout: 45_000, message: 'the receiver got the firing alert' }).toBe(true);
    const n = firing()!.body;
    expect(n.version).toBe('4');
    expect(n.receiver).toBe('e2e-receiver');
    expect(n.alerts[0]).toMatchObject({ status: 'firing', endsAt: '0001-01-01T00:00:00Z', labels: { severity: 'warning', model: MODEL } });
    expect(n.alerts[0].annotations.description).toMatch(/training needs at least 4096/);
    expect(n.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);

    // The Alerts page lists it as firing, and its history has the delivery.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts', exact: true }).click();
    const active = page.getByTestId('active-alerts').locator('tr[data-rule="Training run failed"]').filter({ hasText: MODEL });
    await expect(active).toHaveAttribute('data-state', 'firing');
    const event = page.getByTestId('alert-history').getByTestId('alert-event').filter({ hasText: MODEL }).first();
    await expect(event).toHaveAttribute('data-status', 'firing');
    await event.getByRole('button', { name: 'Deliveries' }).click();
    await expect(event.getByTestId('delivery-row').first()).toHaveAttribute('data-status', 'sent');
    await shoot(page, '71-alerts-firing');

    // The Overview shows firing alerts at the top.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview', exact: true }).click();
    await expect(page.getByTestId('firing-alerts-card')).toContainText('Training run failed');
    await expect(page.getByTestId('firing-alerts-card')).toContainText(MODEL);
    await shoot(page, '72-overview-alert');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
