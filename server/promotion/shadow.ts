/**
 * What a shadow version would have answered, from `shadow_rollups` (every replica): agreement with the primary
 * (same direction) with a Wilson 95 % interval, confidence difference, both class mixes and the shadow's latency,
 * in total and per step of the range.
 */
import { z } from 'zod';
import type { Db, DbLike } from '../db/client';
import { LATENCY_BUCKETS_MS, quantile } from '../monitoring/histogram';
import { RANGES, rangePlan, type RangeName } from '../monitoring/query';

export const ZShadowSummaryRequest = z.strictObject({
  model: z.string().min(1).max(200),
  range: z.enum(Object.keys(RANGES) as [RangeName, ...RangeName[]]).default('1h'),
});

/** Wilson score interval of a proportion (95 %). */
export function wilson(k: number, n: number, z95 = 1.959964): [number, number] | null {
  if (n <= 0) return null;
  const p = k / n;
  const d = 1 + (z95 * z95) / n;
  const c = (p + (z95 * z95) / (2 * n)) / d;
  const h = (z95 * Math.sqrt((p * (1 - p)) / n + (z95 * z95) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

const cls = (a: number[]) => ({ SELL: a[0] ?? 0, HOLD: a[1] ?? 0, BUY: a[2] ?? 0 });
const add = (a: number[], b: number[]) => a.map((x, i) => x + (b[i] ?? 0));

export async function shadowSummary(db: DbLike, input: z.input<typeof ZShadowSummaryRequest>, now = Date.now()) {
  const req = ZShadowSummaryRequest.parse(input);
  const plan = rangePlan(req.range);
  const from = now - plan.seconds * 1000;
  const r = await (db as Db).$client.query(
    `select (floor(extract(epoch from bucket_start) / $3) * $3 * 1000)::float8 as t, version, primary_version,
       sum(requests)::int as requests, sum(agree)::int as agree, sum(errors)::int as errors,
       sum(confidence_diff_sum)::float8 as cds, sum(confidence_abs_diff_sum)::float8 as cads, sum(latency_sum_ms)::float8 as lat,
       so_int_array_sum(latency_hist) as latency_hist, so_int_array_sum(classes) as classes, so_int_array_sum(primary_classes) as primary_classes
     from shadow_rollups
     where model_name = $1 and bucket_start >= to_timestamp($2 / 1000.0)
     group by 1, 2, 3 order by 2, 3, 1`,
    [req.model, from, plan.stepSeconds],
  );
  type Acc = { version: number; primaryVersion: number; requests: number; agree: number; errors: number; cds: number; cads: number; lat: number; hist: number[]; classes: number[]; primary: number[]; points: { t: number; requests: number; agreement: number | null; meanConfidenceDiff: number | null }[] };
  const pairs = new Map<string, Acc>();
  for (const x of r.rows) {
    const key = `${x.version}|${x.primary_version}`;
    let a = pairs.get(key);
    if (!a) pairs.set(key, (a = { version: Number(x.version), primaryVersion: Number(x.primary_version), requests: 0, agree: 0, errors: 0, cds: 0, cads: 0, lat: 0, hist: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0), classes: [0, 0, 0], primary: [0, 0, 0], points: [] }));
    const n = Number(x.requests);
    const ok = n - Number(x.errors);
    a.requests += n;
    a.agree += Number(x.agree);
    a.errors += Number(x.errors);
    a.cds += Number(x.cds);
    a.cads += Number(x.cads);
    a.lat += Number(x.lat);
    a.hist = add(a.hist, (x.latency_hist as number[]).map(Number));
    a.classes = add(a.classes, (x.classes as number[]).map(Number));
    a.primary = add(a.primary, (x.primary_classes as number[]).map(Number));
    a.points.push({ t: Number(x.t), requests: n, agreement: ok > 0 ? Number(x.agree) / ok : null, meanConfidenceDiff: ok > 0 ? Number(x.cds) / ok : null });
  }
  return {
    model: req.model,
    from,
    to: now,
    stepSeconds: plan.stepSeconds,
    pairs: [...pairs.values()].map((a) => {
      const ok = a.requests - a.errors;
      return {
        version: a.version,
        primaryVersion: a.primaryVersion,
        requests: a.requests,
        errors: a.errors,
        agreement: ok > 0 ? a.agree / ok : null,
        agreementCi: wilson(a.agree, ok),
        meanConfidenceDiff: ok > 0 ? a.cds / ok : null,
        meanAbsConfidenceDiff: ok > 0 ? a.cads / ok : null,
        avgLatencyMs: ok > 0 ? a.lat / ok : null,
        p95LatencyMs: quantile(a.hist, LATENCY_BUCKETS_MS, 0.95),
        classes: cls(a.classes),
        primaryClasses: cls(a.primary),
        points: a.points,
      };
    }),
  };
}
