import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createApiKey, importPlantedCandles, login, shoot, trainAndWait, type Auth } from './helpers';
import { plantedSignalCandles, toCsv } from '../server/market/synthetic';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES } from '../server/market/indicators';

/**
 * The Drift page on real data: a logreg champion trained on calm hourly bars; the engineer edits the model's drift
 * policy on the page (dataset drift at 30 % of inputs, retrain on dataset drift on the latest 3,000 bars); a check
 * over the last 24 h of requests says "not enough data (n = 0 < minimum 200)"; the market then changes regime
 * (3,000 bars at 3× the volatility appended to the same dataset over REST) and a check over the dataset's latest 500
 * bars says drift — statistic bars with the threshold line, an indicator's histogram, the class mix, the drift share
 * over time, the report history — and starts a drift-triggered retraining (v2). Predictions of both versions for
 * bars of the new regime (with their timestamps) resolve into outcomes (the outcome job, run with the CLI as the
 * 5-minute cron would), so live accuracy vs promised and the A/B on outcomes are drawn; a check over the requests
 * now has a verdict and a current class mix, and its retraining is held back by the cool-down. An older report opens
 * from the history. An analyst sees it all with the controls disabled and the reason. Screenshots at 1360 and 768 px.
 */

const DATASET = 'drift-planted';
const SYMBOL = 'XAUUSD';
const MODEL = 'e2e-drift';
const ENGINEER = { username: 'e2e-drift-eng', password: 'drift-eng-pass-1' };
const ANALYST = { username: 'e2e-drift-ana', password: 'drift-ana-pass-1' };
const H = 3_600_000;
const CALM = 3000;
/** Bars of the new regime predicted by each version (they all have the label horizon's bars after them). */
const PREDICTED = { from: 100, count: 240 };

type Json = Record<string, unknown>;

async function trpc<T>(request: APIRequestContext, auth: Auth, path: string, input: Json, method: 'get' | 'post' = 'post'): Promise<T> {
  const r =
    method === 'post'
      ? await request.post(`/api/trpc/${path}`, { headers: auth, data: input })
      : await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: auth });
  expect(r.status(), await r.text()).toBe(200);
  return ((await r.json()) as { result: { data: T } }).result.data;
}

/** The calm bars and the same kind of planted signal at 3× the log-returns after them (server/drift/loop.test.ts). */
function regimeChange() {
  const calm = plantedSignalCandles(CALM, 3);
  const last = calm[calm.length - 1];
  const base = plantedSignalCandles(3000, 3);
  const k = (x: number) => last.close * Math.exp(3 * Math.log(x / base[0].open));
  const storm = base.map((c, i) => ({ ts: last.ts + (i + 1) * H, open: k(c.open), high: k(c.high), low: k(c.low), close: k(c.close), volume: c.volume }));
  return { calm, storm };
}

/** The outcome job now (what the worker's 5-minute cron runs), with the CLI on the e2e server's database. */
async function runOutcomeJob() {
  const env = { ...process.env, DATA_DIR: process.env.SO_E2E_DATA_DIR!, DATABASE_URL: process.env.SO_E2E_DATABASE_URL ?? '', LOG_LEVEL: 'warn' };
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'server/bin/cli.ts', 'outcomes', '--json'], { env, timeout: 120_000 });
  return JSON.parse(stdout) as { collected: { scanned: number }; resolved: { resolved: number; pending: number } };
}

async function signInAs(page: Page, who: { username: string; password: string }) {
  await page.context().clearCookies();
  await login(page, who.username, who.password);
}

async function at768(page: Page, name: string) {
  await page.setViewportSize({ width: 768, height: 1000 });
  await shoot(page, name);
  await page.setViewportSize({ width: 1360, height: 860 });
}

test('the Drift page: not enough data, then a regime change is drift with real charts, outcomes and the A/B', async ({ page, request }) => {
  test.setTimeout(600_000);
  await login(page);
  const auth = await createApiKey(page, 'e2e-drift', ['predict', 'read', 'train', 'admin']);
  for (const u of [
    { ...ENGINEER, role: 'engineer' },
    { ...ANALYST, role: 'analyst' },
  ])
    await trpc(request, auth, 'users.create', u);

  // v1 on the calm bars: the model's first version that passes the gate becomes champion.
  const { calm, storm } = regimeChange();
  await importPlantedCandles(request, auth, DATASET, { bars: CALM, seed: 3, symbol: SYMBOL });
  const v1 = await trainAndWait(request, auth, { dataset: DATASET, modelType: 'logreg', modelName: MODEL, window: 8, epochs: 8, seed: 7 });
  expect(v1, 'the planted signal passes the gate').toMatchObject({ model: MODEL, version: 1, status: 'candidate' });

  // The Drift page lists the model; no check yet.
  await signInAs(page, ENGINEER);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Drift', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Drift' })).toBeVisible();
  const row = page.getByTestId('drift-overview').locator(`tr[data-model="${MODEL}"]`);
  await expect(row).toContainText('no check yet');
  await expect(row).toContainText('v1');
  await shoot(page, 'drift-01-overview');
  await row.getByRole('link', { name: MODEL }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Drift · ${MODEL}` })).toBeVisible();
  await expect(page.getByTestId('verdict-empty')).toContainText('No drift report yet. The daily check runs at 00:00 UTC');
  await expect(page.getByTestId('drift-info')).toContainText('n / τ independent values');
  // No served prediction yet: the honest empty states of live accuracy and the A/B (one version).
  await expect(page.getByTestId('live-empty')).toContainText('No resolved outcome yet: no served prediction of this model has been logged');
  await expect(page.getByTestId('ab-empty')).toContainText(`${MODEL} has one so far`);

  // The engineer sets the model's drift policy on the page.
  const policy = page.getByTestId('drift-policy');
  await expect(policy.getByTestId('drift-policy-now')).toContainText('dataset drift when ≥ 50 % of inputs drift');
  await policy.getByLabel('Dataset drift: inputs drifted (%)').fill('30');
  await policy.getByRole('radio', { name: 'on dataset drift' }).check();
  await policy.getByLabel('Training bars (latest N)').fill('3000');
  await policy.getByRole('button', { name: 'Save drift policy' }).click();
  await expect(policy.getByTestId('drift-policy-outcome')).toContainText('Saved:');
  await expect(policy.getByTestId('drift-policy-now')).toContainText('dataset drift when ≥ 30 % of inputs drift');
  await expect(policy.getByTestId('drift-policy-now')).toContainText('retrain on dataset drift (cool-down 24 h, at most 1 a day, on the latest 3,000 bars)');
  const stored = await trpc<{ thresholds: { datasetShare: number }; retrain: { on: string; trainingBars: number } }>(request, auth, 'drift.policy', { model: MODEL }, 'get');
  expect(stored).toMatchObject({ thresholds: { datasetShare: 0.3 }, retrain: { on: 'dataset_drift', trainingBars: 3000 } });

  // A check over the last 24 h of requests: nothing was served — "not enough data", never a verdict.
  const run = page.getByTestId('run-panel');
  await run.getByRole('radio', { name: /requests of the last/ }).check();
  await expect(run.getByLabel('Hours', { exact: true })).toHaveValue('24');
  await run.getByRole('button', { name: 'Run drift check now' }).click();
  await expect(run.getByTestId('run-outcome')).toContainText('not enough data (n = 0 < minimum 200) in the last 24 h of requests: no verdict');
  const verdict = page.getByTestId('verdict-panel');
  await expect(verdict).toHaveAttribute('data-status', 'insufficient_data');
  await expect(verdict.getByTestId('verdict-badge')).toHaveText('not enough data');
  await expect(verdict.getByTestId('check-dataset')).toContainText('no verdict — 0 samples, minimum 200');
  await expect(page.getByTestId('indicators-empty')).toContainText('not enough data, no verdict');
  await expect(page.getByTestId('drift-share-empty')).toContainText('No report with a verdict yet (1 without one: not enough data)');
  await expect(page.getByTestId('chart-histogram').locator('div[role="img"]')).toHaveAttribute('aria-label', /current 0; PSI — \(no current values\)/);
  await shoot(page, 'drift-02-not-enough-data');

  // The market changes regime: the trading app appends 3,000 bars at 3× the volatility to the same dataset.
  const append = await request.post(`/api/v1/datasets?dataset=${DATASET}&symbol=${SYMBOL}&timeframe=1h`, { headers: { ...auth, 'content-type': 'text/csv' }, data: toCsv(storm, 'mt-comma') });
  expect(append.status(), await append.text()).toBe(200);
  expect(((await append.json()) as { inserted: number }).inserted).toBe(storm.length);

  // A check over the dataset's latest 500 bars: dataset drift, and the policy starts a retraining run.
  await run.getByRole('radio', { name: /latest bars of a dataset/ }).check();
  await expect(run.getByRole('combobox', { name: 'Dataset' })).toHaveValue(DATASET);
  await expect(run.getByLabel('Bars', { exact: true })).toHaveValue('500');
  await run.getByRole('button', { name: 'Run drift check now' }).click();
  await expect(run.getByTestId('run-outcome')).toContainText(/Report #\d+: drift — \d+ of 15 inputs drifted \(.*atr_rel.*\): dataset drift/);
  await expect(run.getByTestId('run-outcome')).toContainText(`Retraining: dataset drift in report #`);
  await expect(run.getByTestId('run-outcome')).toContainText(`retraining ${MODEL} on ${DATASET} (the latest 3000 bars)`);
  const runHref = await run.getByTestId('run-outcome').getByRole('link', { name: 'open the run' }).getAttribute('href');
  expect(runHref).toMatch(/^\/training\/[0-9a-f-]{36}$/);
  await expect(verdict).toHaveAttribute('data-status', 'drift');
  await expect(verdict.getByTestId('verdict-badge')).toHaveText('drift');
  await expect(verdict.getByTestId('check-dataset')).toContainText(/yes — \d+ of 15 inputs \(\d+%\); drift at ≥ 30%/);
  await expect(verdict.getByTestId('verdict-window')).toContainText(`latest 500 bars of ${DATASET}`);
  await expect(verdict.getByTestId('check-retraining')).toContainText('dataset drift in report #');

  // Per-indicator statistic bars (one per input) with the threshold line (Wasserstein: the reference has > 1,000 rows).
  const stats = page.getByTestId('chart-indicator-stats');
  await expect(stats.locator('.recharts-bar-rectangle')).toHaveCount(15);
  await expect(stats.locator('.recharts-reference-line')).toHaveCount(1);
  await expect(stats.getByText('threshold 0.100', { exact: true })).toBeVisible();
  await expect(stats.locator('div[role="img"]')).toHaveAttribute('aria-label', /inputs drifted \(threshold 0\.100\): .*atr_rel/);
  const table = page.getByTestId('indicators-table');
  await expect(table.locator('tr[data-indicator="atr_rel"]')).toHaveAttribute('data-drifted', 'true');
  await expect(table.locator('tr[data-indicator="atr_rel"]')).toContainText('Wasserstein');
  // Open an indicator's histogram: reference vs current over the training deciles.
  await table.getByRole('button', { name: 'Histogram of atr_rel' }).click();
  const histogram = page.getByTestId('chart-histogram');
  await expect(histogram.getByRole('heading', { name: /Histogram of atr_rel/ })).toBeVisible();
  // Ten deciles of the reference (about 10 % each) beside the current shares (empty bins draw no bar).
  await expect.poll(() => histogram.locator('.recharts-bar-rectangle').count()).toBeGreaterThanOrEqual(10);
  await expect(histogram.locator('div[role="img"]')).toHaveAttribute('aria-label', /PSI \d\.\d{3} \(drift\)/);
  await expect(page.getByTestId('histogram-panel').getByLabel('Indicator')).toHaveValue('atr_rel');
  // The class mix: the test-part reference (a dataset window has no served answers — said so).
  const mix = page.getByTestId('chart-class-mix');
  await expect(mix.locator('.recharts-bar-rectangle')).toHaveCount(3);
  await expect(page.getByTestId('class-mix-note')).toContainText('A dataset window has no served answers');
  // The drift share over time and the report history: two reports, the first without a verdict.
  const share = page.getByTestId('chart-drift-share');
  await expect(share).toHaveAttribute('data-points', '1');
  await expect(share.locator('div[role="img"]')).toHaveAttribute('aria-label', /2 reports, 1 with a verdict; latest \d+\.\d %; dataset drift at ≥ 30\.0 %/);
  await expect(share.locator('.recharts-line-dot')).toHaveCount(1);
  const history = page.getByTestId('report-history');
  await expect(history.locator('tbody tr')).toHaveCount(2);
  await expect(history.locator('tbody tr').first()).toContainText('drift');
  await expect(history.locator('tbody tr').nth(1)).toContainText('not enough data');
  await shoot(page, 'drift-03-dataset-drift');
  await at768(page, 'drift-03-dataset-drift-768');

  // The drift-triggered run trains v2 (the model's new-version policy gives it 10 %).
  const runId = runHref!.split('/').pop()!;
  await expect
    .poll(async () => (await trpc<{ status: string }>(request, auth, 'training.get', { id: runId }, 'get')).status, { timeout: 200_000, intervals: [1000] })
    .toMatch(/succeeded|failed|cancelled/);
  const retrained = await trpc<{ status: string; trigger: string; error: string | null; result: Json | null }>(request, auth, 'training.get', { id: runId }, 'get');
  expect(retrained.status, retrained.error ?? '').toBe('succeeded');
  expect(retrained).toMatchObject({ trigger: 'drift', result: { model: MODEL, version: 2, status: 'candidate' } });

  // Predictions of both versions for bars of the new regime, with their timestamps (a bar's close) and indicators.
  const all = [...calm, ...storm];
  const f = computeFeatures(all);
  const bars = Array.from({ length: PREDICTED.count }, (_, i) => CALM + PREDICTED.from + i);
  for (const version of ['v1', 'v2'])
    for (let i = 0; i < bars.length; i += 24)
      await Promise.all(
        bars.slice(i, i + 24).map(async (j) => {
          expect(f.valid[j]).toBe(1);
          const indicators = Object.fromEntries(FEATURE_NAMES.map((n, k) => [n, f.values[j * FEATURE_COUNT + k]]));
          const r = await request.post('/predict', { headers: auth, data: { symbol: SYMBOL, model: MODEL, model_version: version, timestamp: all[j].ts + H, indicators } });
          expect(r.status(), await r.text()).toBe(200);
          expect(((await r.json()) as { model_version: string }).model_version).toBe(version);
        }),
      );
  // Their bars 12 steps later are in the dataset already: the outcome job resolves every one (run again should the
  // worker's own run have held the lock at that moment).
  const resolvedOf = async () => (await trpc<{ versions: { version: number; n: number }[] }>(request, auth, 'outcomes.live', { model: MODEL }, 'get')).versions.map((v) => `v${v.version} ${v.n}`).join(', ');
  await expect
    .poll(
      async () => {
        await runOutcomeJob();
        return resolvedOf();
      },
      { timeout: 180_000, intervals: [1000] },
    )
    .toBe(`v1 ${PREDICTED.count}, v2 ${PREDICTED.count}`);

  // Live accuracy vs promised per version, with its interval over time, and the A/B on outcomes.
  await page.reload();
  const live = page.getByTestId('live-panel');
  for (const v of [1, 2]) await expect(live.getByTestId('live-table').locator(`tr[data-version="${v}"] td`).nth(1)).toHaveText(String(PREDICTED.count));
  const acc = live.getByTestId('chart-live-accuracy');
  await expect(acc.getByRole('heading', { name: /Live accuracy of v1 vs promised/ })).toBeVisible();
  await expect(acc.locator('div[role="img"]')).toHaveAttribute('aria-label', new RegExp(`over ${PREDICTED.count} outcomes \\(95 % interval \\d+\\.\\d% to \\d+\\.\\d%\\); promised \\d+\\.\\d% on the test part`));
  expect(Number(await acc.getAttribute('data-points'))).toBeGreaterThanOrEqual(10); // 240 hourly bars: 10–11 bar days
  await expect(acc.locator('.recharts-area-area')).toHaveCount(1);
  await expect(acc.locator('.recharts-reference-line')).toHaveCount(1);
  await expect(acc.getByText(/^promised \d+\.\d%$/)).toBeVisible();
  const ab = page.getByTestId('ab-panel');
  await expect(ab.getByLabel('A (baseline)')).toHaveValue('1');
  await expect(ab.getByLabel('B (challenger)')).toHaveValue('2');
  await expect(ab.getByTestId('ab-verdict')).toContainText(/not significant yet: about [\d,]+ more outcomes at the current difference|not significant yet \(no difference so far\)|v2 is (better|worse) than v1 on accuracy \(always-valid p = /);
  await expect(ab.getByTestId('ab-verdict')).not.toContainText('not enough outcomes');
  const pv = ab.getByTestId('chart-ab-pvalue');
  expect(Number(await pv.getAttribute('data-points'))).toBeGreaterThanOrEqual(10);
  await expect(pv.getByText('α 0.05', { exact: true })).toBeVisible();
  await shoot(page, 'drift-04-outcomes');
  await at768(page, 'drift-04-outcomes-768');

  // A check over the requests now: 480 logged requests and v1's answered class mix (once the roll-ups land).
  await expect
    .poll(async () => (await trpc<{ totals: { requests: number } }>(request, auth, 'monitoring.series', { range: '15m', model: MODEL }, 'get')).totals.requests, { timeout: 60_000 })
    .toBeGreaterThanOrEqual(2 * PREDICTED.count);
  await run.getByRole('radio', { name: /requests of the last/ }).check();
  await run.getByRole('button', { name: 'Run drift check now' }).click();
  await expect(run.getByTestId('run-outcome')).toContainText(/Report #\d+: (drift|no drift) — \d+ of 15 inputs drifted/);
  await expect(run.getByTestId('run-outcome')).toContainText(/Retraining: (dataset drift, but the cool-down of 24 h has not passed since run|no drift the policy retrains on)/);
  await expect(verdict.getByTestId('check-prediction')).toContainText(/class mix Jensen–Shannon \d\.\d{3}, drift at ≥ 0\.10/);
  // Live-accuracy drift counts outcomes of bars inside the window: these bars are of 2020, not of the last 24 h.
  await expect(verdict.getByTestId('check-accuracy')).toContainText('0 outcomes (needs 100)');
  await expect(mix.locator('div[role="img"]')).toHaveAttribute('aria-label', new RegExp(`; current SELL \\d+\\.\\d %, HOLD \\d+\\.\\d %, BUY \\d+\\.\\d % of ${PREDICTED.count}; Jensen–Shannon`));
  await expect(mix.getByText(`current (${PREDICTED.count} answered)`)).toBeVisible();
  await expect(history.locator('tbody tr')).toHaveCount(3);
  await expect(share).toHaveAttribute('data-points', '2');

  // An older report opens from the history (and stays in the URL).
  await history.getByRole('button', { name: /^Open report #\d+$/ }).last().click();
  await expect(verdict.getByRole('heading', { name: /^Report #\d+$/ })).toBeVisible();
  await expect(verdict).toHaveAttribute('data-status', 'insufficient_data');
  await expect(verdict.getByTestId('verdict-summary')).toContainText('not enough data (n = 0 < minimum 200)');
  await expect(page).toHaveURL(/\?report=\d+$/);
  await expect(history.locator('tr[aria-current="true"]')).toContainText('not enough data');
  await shoot(page, 'drift-05-older-report');
  await verdict.getByRole('button', { name: 'Back to the latest report' }).click();
  await expect(verdict.getByRole('heading', { name: 'Latest verdict' })).toBeVisible();

  // An analyst reads everything; every control is disabled, with the reason next to it.
  await signInAs(page, ANALYST);
  await page.goto(`/drift/${MODEL}`);
  await expect(page.getByRole('heading', { level: 1, name: `Drift · ${MODEL}` })).toBeVisible();
  await expect(page.getByText('you are signed in as an analyst: read only')).toBeVisible();
  await expect(page.getByTestId('run-panel').getByRole('button', { name: 'Run drift check now' })).toBeDisabled();
  await expect(page.getByTestId('run-read-only')).toHaveText('Analysts read drift reports; engineers and admins run checks and change the drift policy.');
  await expect(page.getByTestId('drift-policy').getByRole('button', { name: 'Save drift policy' })).toBeDisabled();
  await expect(page.getByTestId('drift-policy').getByLabel('Dataset drift: inputs drifted (%)')).toBeDisabled();
  await expect(page.getByTestId('policy-read-only')).toBeVisible();
  await expect(page.getByTestId('chart-indicator-stats').locator('.recharts-bar-rectangle')).toHaveCount(15);
  await expect(page.getByTestId('chart-live-accuracy')).toBeVisible();
  await shoot(page, 'drift-06-analyst');
  await at768(page, 'drift-06-analyst-768');
});
