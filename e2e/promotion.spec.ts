import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { createApiKey, importPlantedCandles, login, shoot, trainAndWait, type Auth } from './helpers';

/**
 * The Promotion page end to end, as an engineer: a logreg champion (trained over REST) and an MLP challenger of the
 * same model (trained from the Training page, picking the existing model name), the default policy giving the
 * challenger 10 %. On the page the challenger's slider is dragged to 25 % (the champion's follows to 75 %, the preview
 * shows the new split); a change made meanwhile by someone else makes Apply answer 409 ("changed by someone else —
 * reloaded"); applied again with a comment, 400 requests to the web app's POST /predict follow the split within
 * binomial bounds and the live share panel shows exactly what they got. The history shows who and why; "roll back
 * to this" restores the earlier split; a canary with too little traffic rolls itself back with its failing figure;
 * a shadow's agreement is drawn; the policy is edited. An analyst sees all of it read-only. Screenshots at 1360 and
 * 768 px.
 */

const DATASET = 'promotion-planted';
const MODEL = 'e2e-promotion';
const ENGINEER = { username: 'e2e-promo-eng', password: 'promo-eng-pass-1' };
const ANALYST = { username: 'e2e-promo-ana', password: 'promo-ana-pass-1' };
const N = 400;

type Json = Record<string, unknown>;

async function trpcPost(request: APIRequestContext, auth: Auth, path: string, input: Json) {
  const r = await request.post(`/api/trpc/${path}`, { headers: auth, data: input });
  expect(r.status(), await r.text()).toBe(200);
  return ((await r.json()) as { result: { data: Json } }).result.data;
}

async function trpcGet<T>(request: APIRequestContext, auth: Auth, path: string, input: Json): Promise<T> {
  const r = await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: auth });
  expect(r.status(), await r.text()).toBe(200);
  return ((await r.json()) as { result: { data: T } }).result.data;
}

/** The split the web app's in-process engine serves now (GET /model/info): "v1 75 · v2 25". */
async function servedSplit(request: APIRequestContext, auth: Auth) {
  const r = await request.get('/model/info', { headers: auth });
  const info = (await r.json()) as { models: { name: string; split: { version: string; percent: number }[] }[] };
  return (info.models.find((m) => m.name === MODEL)?.split ?? []).map((s) => `${s.version} ${s.percent}`).join(' · ');
}

/**
 * `n` predictions with distinct routing keys, 25 at a time; returns how many each version answered. Only the RSI is
 * sent (the planted signal is RSI mean reversion): the rest is imputed from the symbol's history, so the inputs stay
 * in the range the models were trained on and their answers vary.
 */
async function predict(request: APIRequestContext, auth: Auth, n: number, prefix: string) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, async (_, j) => {
        const k = i + j;
        const r = await request.post('/predict', {
          headers: auth,
          data: { symbol: 'EURUSD', model: MODEL, routing_key: `${prefix}-${k}`, indicators: { rsi_value: 10 + ((k * 7) % 80) } },
        });
        expect(r.status(), await r.text()).toBe(200);
        return ((await r.json()) as { model_version: string }).model_version;
      }),
    );
    for (const v of batch) counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

/**
 * Drags a range input's thumb with the mouse to about `value`, then sets it exactly with the arrow keys (the thumb
 * lands within a percent or two of where the pointer is released).
 */
async function dragSlider(page: Page, slider: Locator, value: number) {
  const box = (await slider.boundingBox())!;
  const thumb = 16; // Chromium's range thumb
  const x = (v: number) => box.x + thumb / 2 + ((box.width - thumb) * v) / 100;
  const y = box.y + box.height / 2;
  await page.mouse.move(x(Number(await slider.inputValue())), y);
  await page.mouse.down();
  await page.mouse.move(x(value), y, { steps: 10 });
  await page.mouse.up();
  const got = Number(await slider.inputValue());
  expect(Math.abs(got - value), `the drag moved the thumb to ${got}`).toBeLessThanOrEqual(5);
  for (let i = 0; i < Math.abs(value - got); i++) await slider.press(got < value ? 'ArrowRight' : 'ArrowLeft');
  await expect(slider).toHaveValue(String(value));
}

async function signInAs(page: Page, who: { username: string; password: string }) {
  await page.context().clearCookies();
  await login(page, who.username, who.password);
}

test('an engineer gives the challenger 25 % with the sliders, traffic follows, and the history rolls it back', async ({ page, request }) => {
  test.setTimeout(600_000);
  await login(page);
  const auth = await createApiKey(page, 'e2e-promotion', ['predict', 'read', 'train', 'admin']);
  for (const u of [
    { ...ENGINEER, role: 'engineer' },
    { ...ANALYST, role: 'analyst' },
  ])
    await trpcPost(request, auth, 'users.create', u);

  // v1: a logreg over REST. The model's first version that passes the gate becomes champion with 100 %.
  await importPlantedCandles(request, auth, DATASET, { bars: 4000, seed: 3 });
  const v1 = await trainAndWait(request, auth, { dataset: DATASET, modelType: 'logreg', modelName: MODEL, epochs: 10, seed: 7 });
  expect(v1, 'the planted signal passes the gate').toMatchObject({ model: MODEL, version: 1, status: 'candidate' });

  // v2: another architecture of the same model, from the Training page — the form offers the existing model name.
  await signInAs(page, ENGINEER);
  await page.goto(`/training?dataset=${DATASET}`);
  const form = page.getByTestId('train-form');
  await expect(form.locator(`datalist#train-model-names option[value="${MODEL}"]`)).toHaveCount(1);
  await form.getByLabel('Model type').selectOption('mlp');
  await form.getByLabel('Model name').fill(MODEL);
  await expect(form.getByTestId('train-target')).toContainText(`Adds v2 to the existing model ${MODEL} (versions so far: logreg) — a mlp version of it`);
  await form.getByLabel('Hidden width').fill('16');
  await form.getByLabel('Epochs').fill('10');
  await form.getByLabel('Seed').fill('8');
  await form.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page).toHaveURL(/\/training\/[0-9a-f-]{36}$/);
  const runId = page.url().split('/').pop()!;
  await expect
    .poll(async () => (await trpcGet<{ status: string }>(request, auth, 'training.get', { id: runId })).status, { timeout: 200_000, intervals: [1000] })
    .toMatch(/succeeded|failed|cancelled/);
  const run2 = await trpcGet<{ status: string; error: string | null; result: Json | null }>(request, auth, 'training.get', { id: runId });
  expect(run2.status, run2.error ?? '').toBe('succeeded');
  expect(run2.result, 'the MLP passes the gate too').toMatchObject({ model: MODEL, version: 2, status: 'candidate' });

  // The Promotion page lists the model: the default policy gave the new version 10 % from the champion.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Promotion', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Promotion' })).toBeVisible();
  const row = page.getByTestId('promotion-overview').locator(`tr[data-model="${MODEL}"]`);
  await expect(row).toContainText('v1 90 % · v2 10 %');
  await shoot(page, 'promotion-01-overview');
  await row.getByRole('link', { name: MODEL }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Promotion · ${MODEL}` })).toBeVisible();

  const versions = page.getByTestId('versions-panel');
  await expect(versions.locator('li[data-version="1"]')).toContainText('champion');
  await expect(versions.locator('li[data-version="1"]')).toContainText('logreg');
  await expect(versions.locator('li[data-version="2"]')).toContainText('mlp');
  await expect(versions.locator('li[data-version="2"]').getByTestId('version-traffic')).toHaveText('10 %');

  // Drag the challenger's slider to 25 %: the champion's follows (the total stays 100) and the preview shows it.
  const traffic = page.getByTestId('traffic-panel');
  const s1 = traffic.getByRole('slider', { name: /^v1\b/ });
  const s2 = traffic.getByRole('slider', { name: /^v2\b/ });
  await expect(s1).toHaveValue('90');
  await expect(s2).toHaveValue('10');
  await dragSlider(page, s2, 25);
  await expect(s1).toHaveValue('75');
  await expect(s2).toHaveAttribute('aria-valuetext', '25 % of traffic (now 10 %)');
  await expect(traffic.getByTestId('split-preview-text')).toContainText('New split: v1 75 % · v2 25 %');
  await expect(traffic.getByTestId('split-preview').locator('div[role="img"]')).toHaveAttribute('aria-label', /now v1 90 % · v2 10 %; after Apply v1 75 % · v2 25 %/);
  await expect(traffic.getByTestId('configured-split')).toHaveText('v1 90 % · v2 10 %');
  const apply = traffic.getByRole('button', { name: 'Apply' });
  await expect(apply).toBeDisabled(); // no comment yet
  await expect(traffic.getByTestId('apply-reason')).toContainText('Say why in the comment');
  await shoot(page, 'promotion-02-sliders-preview');

  // Meanwhile someone else changes the model (an API key names v2 the challenger): Apply is refused as stale (409
  // with the current state), the page says so and reloads — the draft is dropped.
  await trpcPost(request, auth, 'promotion.setAlias', { model: MODEL, alias: 'challenger', version: 2, comment: 'mark the MLP as the challenger' });
  const revision = (await trpcGet<{ revision: number }>(request, auth, 'promotion.state', { model: MODEL })).revision;
  await traffic.getByLabel('Comment (why)').fill('MLP challenger on a quarter of traffic');
  await apply.click();
  await expect(traffic.getByTestId('traffic-outcome')).toContainText('Changed by someone else — reloaded');
  await expect(traffic).toContainText(`revision ${revision}`);
  await expect(s2).toHaveValue('10');
  await expect(versions.locator('li[data-version="2"]')).toContainText('challenger');

  // Again, with the keyboard this time (focus the slider, arrow keys), and Apply with the comment.
  await s2.focus();
  for (let i = 0; i < 15; i++) await s2.press('ArrowRight');
  await expect(s2).toHaveValue('25');
  await expect(s1).toHaveValue('75');
  await traffic.getByLabel('Comment (why)').fill('MLP challenger on a quarter of traffic');
  await apply.click();
  await expect(traffic.getByTestId('traffic-outcome')).toHaveAttribute('data-kind', 'ok');
  await expect(traffic.getByTestId('configured-split')).toHaveText('v1 75 % · v2 25 %');
  await expect(traffic).toContainText(`revision ${revision + 1}`);

  // Serving follows: the web app's engine reloads on the change (LISTEN/NOTIFY), then 400 requests with distinct
  // routing keys (each key hashes to a uniform point, so the count is Binomial(400, 0.25): mean 100, sd √75 ≈ 8.7).
  // Bound: within ±4.5 sd of 25 %, i.e. 61…139 answers from v2 (a false failure about once in 150,000 runs).
  await expect.poll(() => servedSplit(request, auth), { timeout: 30_000 }).toBe('v1 75 · v2 25');
  const counts = await predict(request, auth, N, 'acct');
  const k2 = counts.v2 ?? 0;
  const sd = Math.sqrt(N * 0.25 * 0.75);
  expect(Object.keys(counts).sort()).toEqual(['v1', 'v2']);
  expect(k2, `v2 answered ${k2} of ${N}`).toBeGreaterThanOrEqual(Math.ceil(N * 0.25 - 4.5 * sd));
  expect(k2, `v2 answered ${k2} of ${N}`).toBeLessThanOrEqual(Math.floor(N * 0.25 + 4.5 * sd));

  // The live share follows: the panel shows exactly the share v2 answered (the roll-ups land ~10 s later).
  const share = page.getByTestId('live-share');
  const v2row = share.getByTestId('share-table').locator('tr[data-version="2"]');
  await expect(v2row.locator('td').nth(3)).toHaveText(String(k2), { timeout: 60_000 });
  await expect(v2row.locator('td').nth(1)).toHaveText('25%');
  await expect(v2row.locator('td').nth(2)).toHaveText(`${((k2 / N) * 100).toFixed(1)}%`);
  await expect(share.getByTestId('chart-share').locator('.recharts-bar-rectangle')).toHaveCount(4);

  // The history: the change with who and why, newest first; the API key's alias change before it.
  const history = page.getByTestId('history');
  const newest = history.getByTestId('history-entry').first();
  await expect(newest).toHaveAttribute('data-action', 'split');
  await expect(newest.getByTestId('history-comment')).toHaveText('MLP challenger on a quarter of traffic');
  await expect(newest.getByTestId('history-actor')).toHaveText(ENGINEER.username);
  await expect(newest).toContainText('split: v1 90 % · v2 10 % → v1 75 % · v2 25 %');
  const aliasEntry = history.locator('[data-testid="history-entry"][data-action="alias.set"]');
  await expect(aliasEntry.getByTestId('history-actor')).toHaveText('key e2e-promotion');
  await expect(history.locator('[data-testid="history-entry"][data-action="new_version"]')).toHaveCount(2);
  await shoot(page, 'promotion-03-applied-live-share');

  // Roll back to the state after the alias change: 90/10 again, recorded as a rollback; serving follows.
  await aliasEntry.getByRole('button', { name: /^Roll back to this/ }).click();
  await aliasEntry.getByLabel('Why roll back?').fill('back to 10 % while we look at the MLP live');
  await aliasEntry.getByRole('button', { name: /^Roll back to #\d+$/ }).click();
  await expect(history.getByTestId('rollback-done')).toContainText('Rolled back');
  await expect(traffic.getByTestId('configured-split')).toHaveText('v1 90 % · v2 10 %');
  await expect(s2).toHaveValue('10');
  await expect(history.getByTestId('history-entry').first()).toHaveAttribute('data-action', 'rollback');
  await expect(history.getByTestId('history-entry').first().getByTestId('history-comment')).toHaveText('back to 10 % while we look at the MLP live');
  await expect.poll(() => servedSplit(request, auth), { timeout: 30_000 }).toBe('v1 90 · v2 10');

  // A canary of v2 whose first step gets no traffic: the workers check it after 20 s, min_requests fails, and with a
  // threshold of 1 it rolls itself back to the champion at 100 %, with the failing figure recorded.
  const canary = page.getByTestId('canary-panel');
  await canary.getByLabel("other settings than the policy's").check();
  await canary.getByLabel('Steps (% of traffic)').fill('10, 100');
  await canary.getByLabel('Interval (s)').fill('20');
  await canary.getByLabel('Failed checks before rollback').fill('1');
  await canary.getByLabel('Comment (why)').fill('step the MLP up');
  await canary.getByRole('button', { name: 'Start canary' }).click();
  await expect(canary.getByTestId('canary-progress')).toHaveAttribute('data-status', 'running');
  await expect(canary.getByTestId('canary-step')).toContainText('1 of 2 — 10 %');
  await expect(canary.getByTestId('canary-next')).toHaveText(/^in \d+ s \(/);
  await expect(canary.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(traffic.getByTestId('traffic-reason')).toContainText('A canary of v2 is running and owns the split');
  await shoot(page, 'promotion-04-canary-running');
  await expect(canary.getByTestId('canary-progress')).toHaveAttribute('data-status', 'rolled_back', { timeout: 90_000 });
  await expect(canary.getByTestId('canary-end')).toContainText('rolled back after 1 failed check');
  await expect(canary.getByTestId('canary-checks').locator('tr[data-check="min_requests"]')).toHaveAttribute('data-passed', 'false');
  await expect(canary.getByTestId('canary-checks').locator('tr[data-check="min_requests"]')).toContainText('0 requests');
  await expect(traffic.getByTestId('configured-split')).toHaveText('v1 100 %');
  await expect(history.getByTestId('history-entry').first()).toHaveAttribute('data-action', 'canary.rollback');
  await expect(history.getByTestId('history-entry').first()).toContainText('automatic: canary.rollback');
  await expect(history.locator('[data-testid="history-entry"][data-action="canary.start"]').getByTestId('history-actor')).toHaveText(ENGINEER.username);

  // A shadow: v2 mirrors every request; after some traffic its agreement with v1 is drawn.
  const shadow = page.getByTestId('shadow-panel');
  await shadow.getByLabel('Shadow version').selectOption('2');
  await shadow.getByLabel('Comment (why)').fill('mirror the MLP before it gets traffic again');
  await shadow.getByRole('button', { name: 'Start shadow' }).click();
  await expect(shadow.getByTestId('shadow-outcome')).toHaveAttribute('data-kind', 'ok');
  await expect(versions.locator('li[data-version="2"]')).toContainText('shadow');
  const mirrored = await predict(request, auth, 60, 'shadow');
  expect(mirrored).toEqual({ v1: 60 }); // a shadow's answers are never returned
  const pair = shadow.locator('[data-testid="shadow-pair"][data-version="2"]');
  await expect(pair.getByTestId('chart-agreement')).toHaveAttribute('data-points', /^[1-9]\d*$/, { timeout: 60_000 });
  await expect(pair.getByTestId('shadow-figures')).toContainText(/\d+\.\d%/);
  await expect(pair.getByTestId('chart-shadow-classes').locator('.recharts-bar-rectangle').first()).toBeAttached();

  // The new-version policy: a fixed 25 % from now on.
  const policy = page.getByTestId('policy-panel');
  await expect(policy.getByTestId('policy-now')).toContainText('fixed: a new version gets 10 % from the champion');
  await policy.getByLabel('Share from the champion (%)').fill('25');
  await policy.getByLabel('Comment (why)').fill('the trading team wants 25 % for new versions');
  await policy.getByRole('button', { name: 'Save policy' }).click();
  await expect(policy.getByTestId('policy-now')).toContainText('fixed: a new version gets 25 % from the champion');
  await expect(history.getByTestId('history-entry').first()).toHaveAttribute('data-action', 'policy');

  await shoot(page, 'promotion-05-model-1360');
  await page.setViewportSize({ width: 768, height: 1000 });
  await expect(traffic.getByTestId('configured-split')).toHaveText('v1 100 %');
  await shoot(page, 'promotion-06-model-768');
  await page.setViewportSize({ width: 1360, height: 860 });

  // An analyst reads everything and changes nothing: the controls are disabled or absent, with the reason.
  await signInAs(page, ANALYST);
  await page.goto(`/promotion/${MODEL}`);
  await expect(page.getByTestId('traffic-panel').getByRole('slider', { name: /^v1\b/ })).toBeDisabled();
  await expect(page.getByTestId('traffic-reason')).toContainText('Analysts read the promotion state; engineers and admins change it.');
  await expect(page.getByRole('button', { name: 'Apply' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Roll back to this/ })).toHaveCount(0);
  await expect(page.getByTestId('history').getByTestId('history-entry')).not.toHaveCount(0);
  await shoot(page, 'promotion-07-analyst');
});

