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
}
