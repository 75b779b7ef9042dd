import { test, expect, type APIRequestContext } from '@playwright/test';
import { createApiKey, importPlantedCandles, login, shoot, trainAndWait, type Auth } from './helpers';

/**
 * The Metrics page after real traffic: a dataset with something to learn is imported and two logreg versions are
 * trained over REST with an API key, the split is set 50/50, predictions go to the web app's `/predict`, and the page
 * draws non-empty charts from the roll-ups (throughput per version, latency, actual vs configured share, class mix,
 * confidence, symbols), the process table and the training panel — at 1360 and 768 px.
 */

const DATASET = 'metrics-planted';
const MODEL = 'metrics-logreg';
const SENT = 60;

async function trainVersion(request: APIRequestContext, auth: Auth, seed: number) {
  const result = await trainAndWait(request, auth, { dataset: DATASET, modelType: 'logreg', modelName: MODEL, epochs: 10, seed }, 150_000);
  expect(result, 'the planted signal passes the gate').toMatchObject({ model: MODEL, status: 'candidate' });
  return result.version;
}

test('after predictions, the Metrics page shows live charts, the A/B share, processes and training', async ({ page, request }) => {
  test.setTimeout(420_000);
  // Hydration mismatches (React #418 text, #419/#423/#425) on any load of the page: recorded throughout, checked below.
  const hydration: string[] = [];
  const isHydration = (m: string) => /#41[89]\b|#42[35]\b|hydrat/i.test(m);
  page.on('pageerror', (e) => {
    if (isHydration(`${e.message}\n${e.stack ?? ''}`)) hydration.push(`${page.url()} pageerror: ${e.message}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && isHydration(m.text())) hydration.push(`${page.url()} console: ${m.text()}`);
  });
  await login(page);

  // Before any traffic of this model: an honest empty state saying what produces roll-ups.
  await page.goto(`/metrics?range=15m&model=${MODEL}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Metrics' })).toBeVisible();
  await expect(page.getByTestId('empty-state')).toContainText(`No roll-ups in the last 15 min for ${MODEL}`);
  await expect(page.getByTestId('empty-state')).toContainText('POST /predict');

  // An API key for the trading app (predict, read, train).
  const auth = await createApiKey(page, 'e2e-metrics', ['predict', 'read', 'train']);

  // Data with a real (planted) signal, and two versions that pass the gate.
  await importPlantedCandles(request, auth, DATASET, { bars: 4000, seed: 3 });
  expect(await trainVersion(request, auth, 7)).toBe(1);
  expect(await trainVersion(request, auth, 8)).toBe(2);
  const split = await request.post('/api/trpc/promotion.setSplit', {
    headers: auth,
    data: { model: MODEL, comment: 'A/B 50/50', split: [{ version: 1, percent: 50 }, { version: 2, percent: 50 }] },
  });
  expect(split.status(), await split.text()).toBe(200);

  // Traffic to the web app's /predict: both versions, some repeated inputs (cache hits), partial indicators (imputed).
  const served = new Set<string>();
  for (let i = 0; i < SENT; i++) {
    const r = await request.post('/predict', {
      headers: auth,
      data: { symbol: 'EURUSD', model: MODEL, routing_key: `acct-${i}`, indicators: { rsi_value: 30 + (i % 20), macd_line: 0.001, ema_12: 1.0851, atr_value: 0.0011, volume_ma: 1200 } },
    });
    expect(r.status(), await r.text()).toBe(200);
    served.add(((await r.json()) as { model_version: string }).model_version);
  }
  expect([...served].sort()).toEqual(['v1', 'v2']);

  // The page: this model's figures, live (it polls every 5 s; roll-ups land ~10 s after the traffic).
  await page.goto(`/metrics?range=15m&model=${MODEL}`);
  await expect(page.getByTestId('stat-requests').locator('.value')).toHaveText(String(SENT), { timeout: 60_000 });
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
  await expect(page.getByTestId('metrics-updated')).toHaveText(/^updated \d{2}:\d{2}:\d{2} UTC/);

  // Throughput: one stacked area per version, with drawn paths.
  const throughput = page.getByTestId('chart-throughput');
  await expect(throughput).toHaveAttribute('data-points', /^[1-9]\d*$/);
  await expect(throughput.locator('.recharts-legend-item')).toHaveText([`${MODEL}@v1`, `${MODEL}@v2`]);
  for (const d of await throughput.locator('path.recharts-area-area').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))) expect(d).toMatch(/\d/);
  await expect(throughput.locator('div[role="img"]')).toHaveAttribute('aria-label', new RegExp(`${SENT} requests in the range`));

  // Latency p50/p95/p99 lines (a single step with traffic is drawn as dots).
  const latency = page.getByTestId('chart-latency');
  await expect(latency.locator('.recharts-legend-item')).toHaveText(['p50', 'p95', 'p99']);
  await expect(latency).toHaveAttribute('data-points', /^[1-9]\d*$/);
  await expect(latency.locator('circle.recharts-line-dot, path.recharts-line-curve[d*="L"]').first()).toBeAttached();
  await latency.getByRole('combobox', { name: /^Latency of/ }).selectOption(`${MODEL}@v2`);
  await expect(latency.locator('h3')).toContainText(`Latency of ${MODEL}@v2`);

  // The A/B check: actual beside configured (50 % each), bars drawn for both versions.
  const share = page.getByTestId('chart-share');
  await expect(share.locator('div[role="img"]')).toHaveAttribute('aria-label', new RegExp(`${MODEL}@v1 actual \\d+\\.\\d% vs configured 50%; ${MODEL}@v2 actual \\d+\\.\\d% vs configured 50%`));
  await expect(share.locator('.recharts-bar-rectangle')).toHaveCount(4);
  await expect(share.locator('.recharts-legend-item')).toHaveText(['actual', 'configured']);

  // Class mix, confidence, symbols, rates: data drawn.
  await expect(page.getByTestId('chart-classes').locator('.recharts-bar-rectangle').first()).toBeAttached();
  await expect(page.getByTestId('chart-confidence')).toHaveAttribute('data-points', /^([1-9]|10)$/);
  await expect(page.getByTestId('chart-symbols').locator('div[role="img"]')).toHaveAttribute('aria-label', `Top symbols, requests in the range: EURUSD ${SENT}`);
  for (const id of ['chart-errors', 'chart-cache', 'chart-batch', 'chart-imputed']) await expect(page.getByTestId(id)).toHaveAttribute('data-points', /^[1-9]\d*$/);
  await expect(page.getByTestId('stat-cache')).toContainText(/\d+\.\d% imputed/);

  // Processes: the web process that answered, live; training: the two runs; workers.
  const procs = page.getByTestId('processes-table');
  await expect(procs.locator('tbody tr[data-stale="false"]').first()).toBeVisible({ timeout: 30_000 });
  const succeeded = page.getByTestId('runs-by-status').locator('tr[data-status="succeeded"] td');
  await expect.poll(async () => Number(await succeeded.nth(1).textContent())).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('workers-summary')).toContainText(/[1-9]\d* live/);
  await latency.getByRole('combobox', { name: /^Latency of/ }).selectOption('');
  await shoot(page, '60-metrics-1360');

  // 768 px: one column, nothing overflows.
  await page.setViewportSize({ width: 768, height: 1000 });
  await expect(page.getByTestId('stat-requests').locator('.value')).toHaveText(String(SENT));
  await shoot(page, '61-metrics-768');

  // A longer range reads the same traffic (24 h: 15-min steps), and every model shows when the filter is cleared.
  await page.setViewportSize({ width: 1360, height: 860 });
  await page.getByRole('radio', { name: '24 h' }).click();
  await expect(page).toHaveURL(/range=24h/);
  await expect(page.getByTestId('stat-requests').locator('.value')).toHaveText(String(SENT));
  await page.getByRole('combobox', { name: /^Model/ }).selectOption('');
  await expect(page.getByTestId('chart-throughput').locator('.recharts-legend-item').filter({ hasText: `${MODEL}@v1` })).toHaveCount(1);
  await shoot(page, '62-metrics-24h-all-models');

  // A few more full loads (a clock-dependent text mismatches only when the server's render and the browser's
  // hydration fall in different seconds): "updated …" appears once hydrated; no hydration error on any load.
  for (let i = 0; i < 4; i++) {
    await page.reload();
    await expect(page.getByTestId('metrics-updated')).toHaveText(/^updated \d{2}:\d{2}:\d{2} UTC/);
  }
  expect(hydration, 'no hydration error on /metrics').toEqual([]);

  // The same traffic through the web process's own /metrics (what Prometheus scrapes; the page shares the path):
  // no credential → 401; a read key → the exposition with this model's counter; Accept: application/json → today's
  // dashboard shape across all replicas.
  expect((await request.get('/metrics', { headers: { accept: 'text/plain' } })).status()).toBe(401);
  const scrape = await request.get('/metrics', { headers: { ...auth, accept: 'text/plain' } });
  expect(scrape.status(), await scrape.text()).toBe(200);
  expect(scrape.headers()['content-type']).toMatch(/^text\/plain/);
  const text = await scrape.text();
  expect(text).toMatch(new RegExp(`signalops_predictions_total\\{[^}]*model="${MODEL}"[^}]*status="200"[^}]*\\} [1-9]`));
  expect(text).toContain('# TYPE signalops_prediction_duration_seconds histogram');
  const json = await request.get('/metrics', { headers: { ...auth, accept: 'application/json' } });
  expect(json.status()).toBe(200);
  expect(await json.json()).toMatchObject({ total_predictions: expect.any(Number), error_rate: expect.any(Number), low_confidence_rate: expect.any(Number) });
});
