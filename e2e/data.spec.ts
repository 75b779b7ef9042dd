import { test, expect } from '@playwright/test';
import { login, shoot } from './helpers';
import { randomWalkCandles, toCsv } from '../server/market/synthetic';

test('the demo dataset is there on first start, with a real chart and label distribution', async ({ page }) => {
  await login(page);
  await page.goto('/data');
  const table = page.getByTestId('datasets-table');
  await expect(table.getByRole('link', { name: 'demo-sp500-daily' })).toBeVisible();
  // Freshness: the demo file ends years ago, so its next bar is long overdue.
  await expect(table.getByRole('row', { name: /demo-sp500-daily/ }).getByTestId('freshness')).toHaveAttribute('data-status', 'stale');
  await shoot(page, '10-data-list');
  await table.getByRole('link', { name: 'demo-sp500-daily' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'demo-sp500-daily' })).toBeVisible();
  const chart = page.getByTestId('price-chart');
  // recharts draws one path per series: the close line plus overlays, and the RSI and MACD panes.
  await expect(chart.locator('.recharts-line-curve').first()).toBeVisible();
  expect(await chart.locator('.recharts-line-curve').count()).toBeGreaterThanOrEqual(6);
  await expect(chart).toContainText('250 of 5,105 bars');
  await expect(page.getByTestId('label-distribution').locator('.recharts-bar-rectangle')).toHaveCount(3);
  await expect(page.getByTestId('import-history')).toContainText('sp500-2000.csv');
  await expect(page.getByTestId('dataset-freshness')).toContainText(/stale.*next due/);
  await shoot(page, '11-data-demo-chart');
  // Overlay toggles change what is drawn.
  const before = await chart.locator('.recharts-line-curve').count();
  await chart.getByRole('checkbox', { name: /EMA 50/ }).check();
  await expect(chart.locator('.recharts-line-curve')).toHaveCount(before + 1);
  await chart.getByRole('combobox', { name: 'Range' }).selectOption({ label: 'all' });
  await expect(chart).toContainText('5,105 of 5,105 bars');
  await shoot(page, '12-data-demo-chart-all');
});

test('an engineer uploads a MetaTrader file with a bad row and sees the line-numbered report', async ({ page }) => {
  await login(page);
  await page.goto('/data');
  const lines = toCsv(randomWalkCandles(600, { seed: 11 }), 'mt-comma').trimEnd().split('\n');
  // Line 51 of the file: high below the close.
  const cols = lines[50].split(',');
  cols[3] = String(Number(cols[5]) - 1); // HIGH := CLOSE - 1
  lines[50] = cols.join(',');
  const upload = page.getByTestId('upload-dataset');
  await upload.getByTestId('file-input').setInputFiles({ name: 'EURUSD_H1.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n') });
  await expect(upload.getByLabel('Dataset')).toHaveValue('eurusd_h1');
  await upload.getByLabel('Dataset').fill('e2e-eurusd-h1');
  await upload.getByRole('button', { name: 'Import' }).click();
  const report = upload.getByTestId('import-report');
  await expect(report).toContainText('read 600 rows, inserted 599, skipped 1');
  await report.getByText('1 problem').click();
  await expect(report).toContainText('line 51');
  await shoot(page, '13-data-import-report');
  await expect(page.getByTestId('datasets-table').getByRole('link', { name: 'e2e-eurusd-h1' })).toBeVisible();
  await page.getByTestId('datasets-table').getByRole('link', { name: 'e2e-eurusd-h1' }).click();
  await expect(page.getByTestId('price-chart').locator('.recharts-line-curve').first()).toBeVisible();
  await shoot(page, '14-data-uploaded-chart');
});
