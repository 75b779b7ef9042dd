import { test, expect } from '@playwright/test';
import { login, shoot } from './helpers';
import { randomWalkCandles, toCsv } from '../server/market/synthetic';

/**
 * Issue 8, defect 7 — the small things a user saw: the favicon, a CSV that needs a column mapping, the MACD legend,
 * the training form keeping its dataset, per-epoch log lines, "cli · cli"-style origins, signed importance beside a
 * clipped weight, and the runs table at 768 px.
 */

const MAPPED = 'papercut-mapped';
const MODEL = 'papercut-logreg';
const EPOCHS = 3;

test('the browser’s favicon request succeeds, and the page links the SVG icon', async ({ page, request }) => {
  const ico = await request.get('/favicon.ico');
  expect(ico.status()).toBe(200);
  expect(ico.headers()['content-type']).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
  expect((await ico.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
  await page.goto('/login');
  const href = await page.locator('link[rel="icon"][type="image/svg+xml"]').getAttribute('href');
  expect(href).toMatch(/^\/icon\.svg/);
  const svg = await request.get(href!);
  expect(svg.status()).toBe(200);
  expect(await svg.text()).toContain('<svg');
  await page.setViewportSize({ width: 320, height: 200 });
  await page.goto(href!);
  await page.screenshot({ path: 'test-results/screenshots/90-icon.png' });
});

test('a CSV with unknown columns is imported from the Data page by mapping its columns', async ({ page }) => {
  await login(page);
  await page.goto('/data');
  const upload = page.getByTestId('upload-dataset');
  const csv = toCsv(randomWalkCandles(600, { seed: 21 }), 'generic'); // header: When,O,H,L,C,Qty
  await upload.getByTestId('file-input').setInputFiles({ name: 'export.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await upload.getByLabel('Dataset').fill(MAPPED);
  await upload.getByRole('button', { name: 'Import', exact: true }).click();

  // The import says what is wrong in the page's terms, never with a CLI flag, and offers the file's columns.
  const alert = upload.getByRole('alert');
  await expect(alert).toContainText("This file's columns were not recognised");
  await expect(alert).not.toContainText('--');
  const mapping = upload.getByTestId('column-mapping');
  await expect(mapping).toContainText('1. When · 2. O · 3. H · 4. L · 5. C · 6. Qty');
  await expect(mapping.getByLabel('Time (date or date-time)')).toHaveValue('0');
  await expect(mapping.getByLabel('Close')).toHaveValue('4');
  await expect(mapping.getByLabel('Volume')).toHaveValue('5');
  await shoot(page, '91-data-column-mapping');

  // An incomplete mapping is refused on the page, naming the field.
  await mapping.getByLabel('Close').selectOption('');
  await mapping.getByRole('button', { name: 'Import with this mapping' }).click();
  await expect(mapping.getByTestId('mapping-error')).toHaveText('Close: choose a column');

  await mapping.getByLabel('Close').selectOption({ label: 'C' });
  await mapping.getByRole('button', { name: 'Import with this mapping' }).click();
  const report = upload.getByTestId('import-report');
  await expect(report).toContainText(`${MAPPED}: read 600 rows, inserted 600, skipped 0`);
  await expect(report).toContainText('format generic');
  await expect(mapping).toHaveCount(0);
  await expect(page.getByTestId('datasets-table').getByRole('link', { name: MAPPED })).toBeVisible();
  await shoot(page, '92-data-mapped-import');
});

test('the MACD pane has a legend (line, signal, histogram), and so do the other panes', async ({ page }) => {
  await login(page);
  await page.goto('/data/demo-sp500-daily');
  const chart = page.getByTestId('price-chart');
  await chart.getByRole('checkbox', { name: 'VOLUME' }).check();
  const macd = chart.getByTestId('macd-pane');
  await expect(macd.locator('.recharts-legend-item')).toHaveText(['MACD', 'signal', 'histogram (MACD − signal)']);
  await expect(macd.locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(chart.getByTestId('rsi-pane').locator('.recharts-legend-item')).toHaveText(['RSI']);
  await expect(chart.locator('.recharts-legend-item').filter({ hasText: 'volume' })).toHaveCount(1);
  await shoot(page, '93-data-chart-legends');
  await chart.screenshot({ path: 'test-results/screenshots/93b-price-chart.png' });
});

test('the training form keeps the chosen dataset: in the URL, after a failed submit, and on the next visit', async ({ page }) => {
  await login(page);
  await page.goto('/training');
  const form = page.getByTestId('train-form');
  await form.getByLabel('Dataset').selectOption(MAPPED);
  await expect(page).toHaveURL(new RegExp(`[?&]dataset=${MAPPED}$`));
  // A submit the server refuses (a model name it does not accept) keeps every choice.
  await form.getByLabel('Model name').fill('Not A Valid Name!');
  await form.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('train-error')).toContainText(/model name/i);
  await expect(form.getByLabel('Dataset')).toHaveValue(MAPPED);
  await page.reload();
  await expect(page.getByTestId('train-form').getByLabel('Dataset')).toHaveValue(MAPPED);
  // Without ?dataset=, the browser remembers the last choice.
  await page.goto('/training');
  await expect(page.getByTestId('train-form').getByLabel('Dataset')).toHaveValue(MAPPED);
  await shoot(page, '94-training-form-keeps-dataset');
  await page.getByTestId('train-form').getByLabel('Dataset').selectOption('demo-sp500-daily');
});

test('a run logs one line per epoch; its origin is said once; the version shows signed Δ NLL beside clipped weights; the runs table fits 768 px', async ({ page }) => {
  test.setTimeout(240_000);
  await login(page);
  await page.goto('/training?dataset=demo-sp500-daily');
  const form = page.getByTestId('train-form');
  await expect(form.getByLabel('Dataset')).toHaveValue('demo-sp500-daily');
  await form.getByLabel('Model type').selectOption('logreg');
  await form.getByLabel('Model name').fill(MODEL);
  await form.getByLabel('Epochs').fill(String(EPOCHS));
  await form.getByLabel('Patience').fill('0');
  await form.getByRole('button', { name: 'Train' }).click();
  await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('run-origin')).toHaveText('manual · admin');
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 200_000 });

  // One log line per epoch: epoch, loss, val loss, accuracy, duration — between the stage lines.
  const log = page.getByTestId('run-log');
  const epochs = log.locator('li[data-kind="epoch"]');
  await expect(epochs).toHaveCount(EPOCHS);
  for (let e = 1; e <= EPOCHS; e++) {
    await expect(log.locator(`li[data-epoch="${e}"]`)).toContainText(
      new RegExp(`epoch ${e}/${EPOCHS} · loss \\d\\.\\d{4} · val loss \\d\\.\\d{4} · accuracy \\d+\\.\\d% · val accuracy \\d+\\.\\d% · \\d+(\\.\\d)? (ms|s)`),
    );
  }
  const kinds = await log.locator('li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-kind')}:${li.textContent?.split(' ')[1] ?? ''}`));
  const firstEpoch = kinds.findIndex((k) => k.startsWith('epoch'));
  expect(kinds.slice(0, firstEpoch).join(' ')).toContain('stage:collect');
  expect(kinds.findIndex((k) => k === 'stage:train:')).toBeGreaterThan(firstEpoch);
  await shoot(page, '95-run-epoch-log');

  // The version: the signed Δ NLL beside each weight; a negative one is a clipped 0, said so.
  await page.getByTestId('run-result').getByTestId('version-link').click();
  const weights = page.getByTestId('indicator-weights');
  await expect(weights).toContainText('signed Δ NLL');
  await expect(weights).toContainText('clipped to 0');
  await weights.locator('summary', { hasText: 'Table' }).click();
  const rows = weights.getByTestId('weights-table').locator('tbody tr');
  await expect(rows).toHaveCount(16);
  const cells = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({ kind: tr.getAttribute('data-kind'), weight: tr.children[1].textContent, delta: tr.children[3].textContent ?? '', note: tr.children[4].textContent })),
  );
  for (const c of cells) {
    if (c.kind === 'reference') continue;
    expect(c.delta).toMatch(/^[+−±]\d/);
    if (c.delta.startsWith('−')) {
      expect(c).toMatchObject({ kind: 'clipped', weight: '0% (clipped)', note: 'negative: shuffling this input improved the loss; weight clipped to 0' });
    }
  }
  const clipped = cells.filter((c) => c.kind === 'clipped').length;
  await expect(weights.getByTestId('weights-clipped')).toHaveCount(clipped ? 1 : 0);
  await expect(weights.getByTestId('weights-chart').locator('.recharts-cartesian-axis-tick-value', { hasText: '(clipped)' })).toHaveCount(clipped);
  await expect(page.getByTestId('lineage')).toContainText('started: manual · admin');
  await shoot(page, '96-version-signed-importance');
  await weights.screenshot({ path: 'test-results/screenshots/96b-indicator-weights.png' });

  // The runs list says the origin once, and at 768 px the table reflows inside its card.
  await page.setViewportSize({ width: 768, height: 1000 });
  await page.goto('/training');
  const table = page.getByTestId('runs-table');
  const row = table.locator('tbody tr').first();
  await expect(row.getByTestId('run-origin')).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} · manual · admin$/);
  const card = table.locator('xpath=ancestor::div[contains(@class,"card")][1]');
  const [cardBox, resultBox] = [await card.boundingBox(), await row.locator('td').last().boundingBox()];
  expect(resultBox!.x + resultBox!.width).toBeLessThanOrEqual(cardBox!.x + cardBox!.width);
  await expect(row.locator('td').last()).toContainText(`v1`);
  await expect(row.locator('td').last()).toBeInViewport();
  await shoot(page, '97-training-768');
});
