import { test, expect, type Page } from '@playwright/test';
import { login, shoot } from './helpers';

/**
 * Training → registry from the UI: start a small LSTM on the demo dataset, watch the run page update live (epochs,
 * curves, stages), get a registered version, and read its evaluation (confusion matrix, backtest, calibration,
 * indicator weights, lineage). A second test covers the one-active-run rule: CONFLICT, force, cancel.
 */

const MODEL = 'e2e-lstm';
const EPOCHS = 16;

async function fillForm(page: Page, opts: { model: string; epochs: number; units?: number; window?: number }) {
  const form = page.getByTestId('train-form');
  await expect(form.getByLabel('Dataset')).toHaveValue('demo-sp500-daily');
  await form.getByLabel('Model type').selectOption('lstm');
  await form.getByLabel('Model name').fill(opts.model);
  await form.getByLabel('Units').fill(String(opts.units ?? 8));
  await form.getByLabel('Window T (bars)').fill(String(opts.window ?? 20));
  await form.getByLabel('Epochs').fill(String(opts.epochs));
  // Patience 0: no early stopping, so every epoch runs and the curves fill the axis.
  await form.getByLabel('Patience').fill('0');
  return form;
}

test('an admin trains an LSTM on the demo dataset, watches it live and reads the registered version', async ({ page }) => {
  test.setTimeout(240_000);
  await login(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Training', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Training' })).toBeVisible();
  const form = await fillForm(page, { model: MODEL, epochs: EPOCHS, units: 32 });
  await shoot(page, '20-training');
  await form.getByRole('button', { name: 'Train' }).click();

  // The run page: live progress while it runs.
  await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
  const monitor = page.getByTestId('run-monitor');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(MODEL);
  await expect(page.getByTestId('stage-stepper').locator('li')).toHaveCount(9);
  await expect(monitor).toHaveAttribute('data-status', /queued|running/);
  // At least two epochs, so each curve is a line.
  await expect(page.getByTestId('run-epoch')).toHaveText(new RegExp(`^([2-9]|1\\d) / ${EPOCHS}$`), { timeout: 90_000 });
  const curves = page.getByTestId('training-curves');
  await expect(curves.locator('.recharts-line-curve').first()).toBeVisible();
  await expect(page.getByTestId('stage-stepper').locator('[data-stage="collect data"]')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('run-log')).toContainText('collect data: 5,105 bars');
  const stillRunning = (await monitor.getAttribute('data-status')) === 'running';
  if (stillRunning) await shoot(page, '21-run-running');

  // Finished: every epoch drawn, every stage done, a registered version with its gate verdict.
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 150_000 });
  await expect(page.getByTestId('run-epoch')).toHaveText(`${EPOCHS} / ${EPOCHS}`);
  await expect(page.getByTestId('stage-stepper').locator('li[data-status="done"]')).toHaveCount(9);
  // One path per series: loss and accuracy, train and validation.
  await expect(curves.locator('.recharts-line-curve')).toHaveCount(4);
  const result = page.getByTestId('run-result');
  await expect(result.getByTestId('version-link')).toHaveText(`${MODEL} v1`);
  await expect(result).toContainText(/candidate|rejected/);
  await expect(result.getByTestId('gate-verdict')).toContainText(/gate (passed|failed)/);
  await expect(result.getByTestId('gate-verdict').locator('li').first()).toBeVisible();
  await shoot(page, '22-run-finished');
  expect(stillRunning, 'the run page was reached while the run was still running').toBe(true);

  // A second version of the same model (another seed): its weights are compared with v1's.
  await page.goto('/training');
  // This model's runs only: other spec files (papercuts) train their own models on the same server.
  await expect(page.getByTestId('runs-table').locator('tr[data-status="succeeded"]').filter({ hasText: MODEL })).toHaveCount(1);
  const second = await fillForm(page, { model: MODEL, epochs: 6, units: 16 });
  await second.getByLabel('Seed').fill('7');
  await second.getByRole('button', { name: 'Train' }).click();
  await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 150_000 });
  await expect(page.getByTestId('run-result').getByTestId('version-link')).toHaveText(`${MODEL} v2`);

  // The Models page lists the model and its version; a weekly schedule can be set.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models', exact: true }).click();
  const card = page.getByTestId(`model-${MODEL}`);
  await expect(card.getByRole('link', { name: 'v1' })).toBeVisible();
  await expect(card.getByRole('link', { name: 'v2' })).toBeVisible();
  await expect(card.getByRole('row', { name: /v1/ })).toContainText('demo-sp500-daily');
  const schedule = card.getByTestId(`schedule-${MODEL}`);
  await expect(schedule).toContainText('not scheduled');
  await expect(schedule.getByLabel(`Cron for ${MODEL}`)).toHaveValue('0 2 * * 0');
  await schedule.getByRole('button', { name: 'Schedule' }).click();
  await expect(schedule).toContainText('Sundays at 02:00 UTC');
  await expect(schedule.locator('.badge')).toHaveText('scheduled');
  await shoot(page, '23-models');

  // The version page: real numbers in every chart.
  await card.getByRole('link', { name: 'v2' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `${MODEL} v2` })).toBeVisible();
  const cells = page.getByTestId('confusion-matrix').locator('td strong');
  await expect(cells).toHaveCount(9);
  const counts = (await cells.allTextContents()).map((t) => Number(t.replace(/,/g, '')));
  expect(counts.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
  expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
  await expect(page.getByTestId('metric-cards')).toContainText(/Test accuracy\s*\d+\.\d%/);
  const backtest = page.getByTestId('backtest-chart').locator('.recharts-area-curve');
  await expect(backtest).toBeVisible();
  expect((await backtest.getAttribute('d'))?.length ?? 0).toBeGreaterThan(200);
  await expect(page.getByTestId('backtest-stats')).toContainText(/trades \d+/);
  await expect(page.getByTestId('reliability-chart').locator('.recharts-line-curve')).toBeVisible();
  await expect(page.getByTestId('calibration-stats')).toContainText(/temperature \d+\.\d\d/);
  const bars = page.getByTestId('weights-chart').locator('.recharts-bar-rectangle path');
  await expect(bars.first()).toBeVisible();
  expect(await bars.count()).toBeGreaterThanOrEqual(10);
  await expect(page.getByTestId('weights-table').locator('tbody tr')).toHaveCount(16);
  // Against v1: its weights drawn beside these, a change per indicator and the improvement score.
  await expect(page.getByTestId('weights-chart').locator('.recharts-legend-item-text')).toHaveText(['this version', 'v1']);
  await expect(page.getByTestId('weights-table')).toContainText(/[+−±]\d+\.\d pp/);
  await expect(page.getByTestId('indicator-weights')).toContainText(/improvement score \(test macro-F1 change\) [+−]\d\.\d{3}/);
  const lineage = page.getByTestId('lineage-table');
  await expect(lineage).toContainText('demo-sp500-daily');
  await expect(lineage).toContainText(/[0-9a-f]{64}/);
  await expect(lineage).toContainText(/wasm|cpu|tensorflow/);
  await expect(page.getByTestId('gate-verdict')).toBeVisible();
  await shoot(page, '24-version');

  // Archiving v1 keeps it in the registry, marked archived.
  await page.getByRole('link', { name: 'v1', exact: true }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: `${MODEL} v1` })).toBeVisible();
  await page.getByRole('button', { name: 'Archive', exact: true }).click();
  await page.getByRole('button', { name: 'Archive it' }).click();
  await expect(page.locator('.page-head .badge')).toHaveText('archived');
  await expect(page.getByRole('button', { name: 'Archive', exact: true })).toHaveCount(0);
  await page.goto('/models');
  await expect(page.getByTestId(`model-${MODEL}`).getByRole('row', { name: /v1/ }).locator('.badge')).toHaveText('archived');
});

test('a second start of an active model answers CONFLICT; force cancels the first; a run can be cancelled', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  await page.goto('/training');
  const form = await fillForm(page, { model: 'e2e-conflict', epochs: 200, units: 8, window: 10 });
  await form.getByRole('button', { name: 'Train' }).click();
  await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
  const first = page.url();

  await page.goto('/training');
  await expect(page.getByTestId('runs-table').locator('tr[data-status="queued"], tr[data-status="running"]')).toHaveCount(1);
  const again = await fillForm(page, { model: 'e2e-conflict', epochs: 200, units: 8, window: 10 });
  await again.getByRole('button', { name: 'Train' }).click();
  const error = page.getByTestId('train-error');
  await expect(error).toContainText('already has an active run');
  await shoot(page, '25-training-conflict');
  await error.getByRole('button', { name: 'Cancel it and start' }).click();
  await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
  expect(page.url()).not.toBe(first);

  // The replaced run is cancelled; cancel the new one from its page.
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByRole('button', { name: 'Yes, cancel run' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('cancelled');
  await expect(page.getByTestId('run-cancelled')).toContainText('No version was registered');
  await shoot(page, '26-run-cancelled');
  await page.goto(first);
  await expect(page.getByTestId('run-status')).toHaveText('cancelled');
  await expect(page.getByTestId('run-cancelled')).toContainText('replaced by a forced start');
});
