import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { login, shoot } from './helpers';
import { plantedSignalCandles, toCsv } from '../server/market/synthetic';

/**
 * The Compare page with real versions: a dataset with something to learn is imported and three versions of one model
 * are trained over REST (an LSTM, a GRU challenger and a logreg, all on the same bars). From the Models page two are
 * ticked and compared: every part of the page draws data — the metric table with intervals, the paired difference on
 * the shared test bars (with its forest plots), overlaid learning, equity and reliability curves, confusion matrices and
 * indicator weights side by side, the lineage diff and the parameter scatter — at 1360 and 768 px. "Compare with…" on a
 * version page opens the same page for another pair.
 */

const DATASET = 'compare-planted';
const MODEL = 'e2e-compare';

type Json = Record<string, unknown>;

async function trainVersion(request: APIRequestContext, auth: Record<string, string>, params: Json) {
  const start = await request.post('/api/v1/train', {
    headers: auth,
    data: { dataset: DATASET, modelName: MODEL, window: 12, epochs: 5, patience: 0, batchSize: 64, ...params },
  });
  expect(start.status(), await start.text()).toBe(202);
  const id = ((await start.json()) as { run: { id: string } }).run.id;
  const get = async () => {
    const r = await request.get(`/api/trpc/training.get?input=${encodeURIComponent(JSON.stringify({ id }))}`, { headers: auth });
    return ((await r.json()) as { result: { data: { status: string; error: string | null; result: Json | null } } }).result.data;
  };
  await expect.poll(async () => (await get()).status, { timeout: 200_000, intervals: [1000] }).toMatch(/succeeded|failed|cancelled/);
  const run = await get();
  expect(run.status, run.error ?? '').toBe('succeeded');
  return run.result!.version as number;
}

/** Every `d` attribute of the located SVG paths has drawing commands with numbers. */
async function expectDrawn(paths: Locator, count: number) {
  await expect(paths).toHaveCount(count);
  for (const d of await paths.evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))) expect(d).toMatch(/^M[\d.-]+[, ][\d.-]+.*L/);
}

async function expectEveryChart(page: Page, versions: number) {
  // Metric table: every version's accuracy with an interval.
  const metrics = page.getByTestId('compare-metrics');
  await expect(metrics.locator('td[data-metric="Test accuracy"]')).toHaveCount(versions);
  for (const cell of await metrics.locator('td[data-metric="Test accuracy"], td[data-metric="Macro-F1"]').all()) await expect(cell).toContainText(/95% CI \S+ … \S+/);

  // Paired difference on the shared bars, with both forest plots (a point and an error bar each).
  const paired = page.getByTestId('paired-differences');
  await expect(paired.locator('tr[data-available="yes"]')).toHaveCount((versions * (versions - 1)) / 2);
  await expect(paired.locator('tr[data-available="yes"]').first()).toContainText(/pp.*95% CI/s);
  await expect(paired.locator('.recharts-scatter-symbol')).toHaveCount(versions === 2 ? 2 : 6);
  await expect(paired.locator('.recharts-errorBar').first()).toBeAttached();

  // Learning curves: validation and training per version, loss and accuracy.
  await expectDrawn(page.getByTestId('compare-curves').locator('path.recharts-line-curve'), versions * 4);
  // Confusion matrices side by side, 3 × 3 cells each with counts.
  const matrices = page.getByTestId('compare-confusion').getByTestId('confusion-matrix');
  await expect(matrices).toHaveCount(versions);
  for (const m of await matrices.all()) await expect(m.locator('tbody td strong')).toHaveCount(9);
  // Equity curves and reliability diagrams overlaid: one line per version.
  await expectDrawn(page.getByTestId('compare-equity').locator('path.recharts-line-curve'), versions);
  await expectDrawn(page.getByTestId('compare-reliability').locator('path.recharts-line-curve'), versions);
  await expect(page.getByTestId('compare-reliability').locator('.recharts-legend-item')).toHaveCount(versions);
  // Indicator weights: a bar per indicator and version (an indicator clipped to 0 draws none).
  const bars = await page.getByTestId('compare-weights').locator('.recharts-bar-rectangle path').count();
  expect(bars).toBeGreaterThan(16);
  await expect(page.getByTestId('compare-weights').locator('.recharts-legend-item')).toHaveCount(versions);
}

test('two versions side by side: every chart of the Compare page draws data; "compare with…" opens another pair', async ({ page, request }) => {
  test.setTimeout(600_000);
  await login(page);

  // An API key for training over REST (read + train).
  await page.goto('/settings');
  const keys = page.getByTestId('api-keys');
  await keys.getByLabel('Name', { exact: true }).fill('e2e-compare');
  for (const s of ['read', 'train']) await keys.getByRole('checkbox', { name: s }).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-api-key').locator('code');
  await expect(shown).toContainText('so_');
  const auth = { authorization: `Bearer ${(await shown.textContent())!.trim()}` };

  // Before there is anything to compare: the page says how to pick versions.
  await page.goto('/compare');
  await expect(page.getByRole('heading', { level: 1, name: 'Compare versions' })).toBeVisible();

  // Data with a planted signal; an LSTM, a GRU challenger and a logreg as versions of one model, on the same bars.
  const csv = toCsv(plantedSignalCandles(3000, 5), 'mt-comma');
  const imp = await request.post(`/api/v1/datasets?dataset=${DATASET}&symbol=EURUSD&timeframe=1h`, { headers: { ...auth, 'content-type': 'text/csv' }, data: csv });
  expect(imp.status(), await imp.text()).toBe(200);
  expect(await trainVersion(request, auth, { modelType: 'lstm', units: 8, seed: 7 })).toBe(1);
  expect(await trainVersion(request, auth, { modelType: 'gru', units: 8, seed: 8 })).toBe(2);
  expect(await trainVersion(request, auth, { modelType: 'logreg', window: 16, epochs: 8, seed: 9 })).toBe(3);

  // The Models page: tick v1 and v2, "Compare selected".
  await page.goto('/models');
  const card = page.getByTestId(`model-${MODEL}`);
  const compareButton = page.getByTestId('compare-selected').getByRole('button', { name: /Compare selected/ });
  await expect(compareButton).toBeDisabled();
  await card.getByRole('checkbox', { name: `Compare ${MODEL} v1` }).check();
  await expect(compareButton).toBeDisabled();
  await card.getByRole('checkbox', { name: `Compare ${MODEL} v2` }).check();
  await expect(compareButton).toBeEnabled();
  await expect(compareButton).toHaveText('Compare selected (2)');
  await compareButton.click();
  await expect(page).toHaveURL(new RegExp(`/compare\\?v=${MODEL}%40v1&v=${MODEL}%40v2$`));
  await expect(page.getByTestId('compare-page')).toBeVisible();
  await expect(page.getByTestId('compare-metrics').locator('thead')).toContainText(`A · ${MODEL} v1`);
  await expect(page.getByTestId('compare-metrics').locator('thead')).toContainText(`B · ${MODEL} v2`);
  await expect(page.getByTestId('compare-metrics').locator('thead')).toContainText('lstm');
  await expect(page.getByTestId('compare-metrics').locator('thead')).toContainText('gru');
  await expectEveryChart(page, 2);
  // Same window and label rule on the same bars: every test sample is shared.
  await expect(page.getByTestId('paired-differences').locator('tr[data-available="yes"] td').first()).toHaveText(/^\d[\d,]+/);

  // Lineage diff: the architecture and seed differ, the dataset does not; "only what differs" hides the rest.
  const diff = page.getByTestId('lineage-diff');
  await expect(diff.locator('tr[data-key="modelType"]')).toHaveAttribute('data-differs', 'yes');
  await expect(diff.locator('tr[data-key="seed"]')).toHaveAttribute('data-differs', 'yes');
  await expect(diff.locator('tr[data-key="dataset"]')).toHaveAttribute('data-differs', 'no');
  const rowsAll = await diff.locator('tbody tr[data-key]').count();
  await diff.getByRole('checkbox', { name: 'only what differs' }).check();
  await expect(diff.locator('tr[data-key="dataset"]')).toHaveCount(0);
  expect(await diff.locator('tbody tr[data-key]').count()).toBeLessThan(rowsAll);
  await diff.getByRole('checkbox', { name: 'only what differs' }).uncheck();

  // Parameters against macro-F1: all three versions, two of them marked as compared; another parameter on x.
  const scatter = page.getByTestId('params-scatter');
  await expect(scatter.locator('.recharts-scatter-symbol')).toHaveCount(3);
  await expect(scatter.getByTestId('scatter-legend').locator('li')).toHaveText(['other versions', `A · ${MODEL} v1`, `B · ${MODEL} v2`]);
  await scatter.getByRole('combobox', { name: 'Parameter' }).selectOption('window');
  await expect(scatter.locator('.recharts-label').filter({ hasText: 'window' })).toHaveCount(1);
  await expect(scatter.locator('.recharts-scatter-symbol')).toHaveCount(3);
  await scatter.getByRole('combobox', { name: 'Parameter' }).selectOption('modelType');

  // The three architectures are named on the axis.
  await expect(scatter.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value')).toHaveText(['gru', 'logreg', 'lstm']);

  await page.mouse.move(0, 0); // no tooltip in the screenshots
  await shoot(page, 'compare');
  await page.setViewportSize({ width: 768, height: 1000 });
  await expect(page.getByTestId('compare-curves').locator('path.recharts-line-curve')).toHaveCount(8);
  await page.mouse.move(0, 0);
  await shoot(page, 'compare-768');
  await page.setViewportSize({ width: 1360, height: 860 });

  // "Compare with…" on the logreg's page: the logreg (A, another window) against the LSTM (B).
  await page.goto(`/models/${MODEL}/v3`);
  const withForm = page.getByTestId('compare-with');
  await withForm.getByRole('combobox', { name: 'Compare with…' }).selectOption(`${MODEL}@v1`);
  await withForm.getByRole('button', { name: 'Compare' }).click();
  await expect(page).toHaveURL(new RegExp(`/compare\\?v=${MODEL}%40v3&v=${MODEL}%40v1$`));
  await expect(page.getByTestId('compare-metrics').locator('thead')).toContainText(`A · ${MODEL} v3`);
  // A longer window drops the logreg's first test windows: fewer shared samples than the LSTM's test part, still paired.
  await expectEveryChart(page, 2);
  await expect(page.getByTestId('lineage-diff').locator('tr[data-key="window"]')).toHaveAttribute('data-differs', 'yes');

  // Adding the third version from the page itself: three pairs.
  const selection = page.getByTestId('compare-selection');
  await selection.getByRole('combobox', { name: 'Add' }).selectOption(`${MODEL}@v2`);
  await selection.getByRole('button', { name: 'Add to comparison' }).click();
  await expect(page).toHaveURL(new RegExp(`v=${MODEL}%40v2$`));
  await expectEveryChart(page, 3);
  await page.mouse.move(0, 0);
  await shoot(page, 'compare-three');

  // A reference to a version that does not exist: the page names it.
  await page.goto(`/compare?v=${MODEL}@v1&v=${MODEL}@v9`);
  await expect(page.getByTestId('compare-error')).toContainText(`Model '${MODEL}' has no version v9.`);
});
