/**
 * Next.js calls register() once when the web server process starts. Warm the inference engine up then (load the
 * servable versions, LISTEN for changes), so the first prediction does not pay for it. Migrations are not run here:
 * `npm start` applies them before it starts the web process.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || !process.env.DATABASE_URL) return;
  const { servingContext } = await import('./server/serving/instance');
  servingContext().catch((e: unknown) => {
    console.error(JSON.stringify({ level: 'warn', msg: 'inference engine warm-up failed; it starts on the first request', err: String(e) }));
  });
  // The web process evaluates alert rules too (an advisory lock makes it once across processes), so "no live
  // worker" fires even when every worker is gone.
  const [{ startAlertLoop }, { appDb }, { childLogger }] = await Promise.all([import('./server/monitoring/alerts/loop'), import('./server/db/app'), import('./server/log')]);
  startAlertLoop(appDb().db, childLogger({ component: 'alerts' })).catch((e: unknown) => {
    console.error(JSON.stringify({ level: 'warn', msg: 'alert evaluation did not start in the web process', err: String(e) }));
  });
}
