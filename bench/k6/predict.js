/**
 * The trading team's load profile as a k6 script — the same profile `npm run loadtest` runs in Node (bench/loadtest.ts).
 * For machines with k6 (https://k6.io); it was not run on this project's machines, which have no k6 binary.
 *
 *   k6 run -e BASE_URL=http://localhost:8080 -e SIGNALOPS_API_KEY=$KEY bench/k6/predict.js
 *   k6 run -e SHORT=1 …                          # the CI version: five 5-s stages
 *
 * Each virtual user: GET /health, POST /predict (all 16 indicators of a EURUSD H1 bar, the RSI nudged per request so
 * that every request is a cache miss), sleep 1 s. Ramps from 1 to 10, 20, 30, 40, 50 VUs over five 1-minute stages.
 * Thresholds: p95 < 500 ms, < 1 % failed requests, > 99 % of checks passing. handleSummary writes the summary JSON.
 */
import http from 'k6/http';
import { check, sleep } from 'k6';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080';
const KEY = __ENV.SIGNALOPS_API_KEY;
const SYMBOL = __ENV.SYMBOL || 'EURUSD';
const STAGE = __ENV.SHORT ? '5s' : '1m';

export const options = {
  stages: [10, 20, 30, 40, 50].map((target) => ({ duration: STAGE, target })),
  thresholds: {
    http_req_duration: ['p(95)<500'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const INDICATORS = {
  adx_value: 24.3,
  rsi_value: 45.2,
  ema_12: 1.0851,
  ema_21: 1.0857,
  ema_50: 1.0869,
  vwap: 1.0853,
  atr_value: 0.0011,
  bollinger_upper: 1.0893,
  bollinger_lower: 1.0811,
  stoch_k: 38.5,
  stoch_d: 41.2,
  macd_line: -0.0004,
  macd_signal: -0.0002,
  volume_ma: 1200,
  price_change_pct: -0.05,
  volatility: 0.0012,
};

export function setup() {
  if (!KEY) throw new Error('set SIGNALOPS_API_KEY (an API key with the predict scope)');
}

export default function () {
  const auth = { headers: { Authorization: `Bearer ${KEY}` } };
  const health = http.get(`${BASE_URL}/health`, { ...auth, tags: { name: 'health' } });
  check(health, { 'health: status is 200': (r) => r.status === 200 });

  const k = (__VU * 1000 + __ITER) % 100000; // distinct per VU and iteration
  const body = JSON.stringify({ symbol: SYMBOL, indicators: { ...INDICATORS, rsi_value: Number((INDICATORS.rsi_value + k * 1e-4).toFixed(4)) } });
  const res = http.post(`${BASE_URL}/predict`, body, { headers: { ...auth.headers, 'Content-Type': 'application/json' }, tags: { name: 'predict' } });
  let pred = null;
  try {
    pred = res.json('prediction');
  } catch (err) {
    void err; // not JSON: the checks below fail
    pred = null;
  }
  check(res, {
    'predict: status is 200': (r) => r.status === 200,
    'predict: prediction.direction present': () => !!pred && ['BUY', 'HOLD', 'SELL'].includes(pred.direction),
    'predict: confidence in 0–100': () => !!pred && typeof pred.confidence === 'number' && pred.confidence >= 0 && pred.confidence <= 100,
  });
  sleep(1);
}

export function handleSummary(data) {
  return {
    'loadtest-summary.json': JSON.stringify(data, null, 2),
    stdout: `\nk6: ${Object.entries(data.metrics)
      .filter(([, m]) => m.thresholds)
      .map(([name, m]) => `${name} ${Object.entries(m.thresholds).map(([t, v]) => `${t} ${v.ok ? 'ok' : 'FAILED'}`).join(', ')}`)
      .join('; ')}\n`,
  };
}
