/**
 * Live performance per version from stored outcomes (aggregated in PostgreSQL: per day × predicted × realised), next
 * to what the version promised on its test part; and A/B on outcomes with an always-valid test, so a team may look
 * every day without inflating false positives.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbLike } from '../db/client';
import { perClassFromConfusion } from '../ml/metrics';
import { createRng, type Rng } from '../ml/random';
import { notFound } from '../errors';
import { zInt4 } from '../validation';

const Z95 = 1.959963984540054;

/** Wilson score interval (95 %) of k successes in n. */
export function wilsonInterval(k: number, n: number): [number, number] | null {
  if (n <= 0) return null;
  const p = k / n;
  const d = 1 + (Z95 * Z95) / n;
  const c = (p + (Z95 * Z95) / (2 * n)) / d;
  const h = (Z95 * Math.sqrt((p * (1 - p)) / n + (Z95 * Z95) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

const macroF1Of = (m: number[][]) => {
  const s = perClassFromConfusion(m);
  return s.reduce((a, x) => a + x.f1, 0) / s.length;
};

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const L = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > L);
  return k - 1;
}

/**
 * 95 % interval of macro-F1 from a confusion matrix by the Poisson bootstrap over its cells (each outcome counted
 * once, outcomes treated as independent — bars h apart overlap less than test windows do, but read it as approximate).
 */
export function macroF1CountsInterval(m: number[][], resamples = 500, seed = 7): [number, number] | null {
  const n = m.flat().reduce((a, b) => a + b, 0);
  if (n < 10) return null;
  const rng = createRng(seed, 11);
  const vals: number[] = [];
  for (let r = 0; r < resamples; r++) vals.push(macroF1Of(m.map((row) => row.map((c) => poisson(rng, c)))));
  vals.sort((a, b) => a - b);
  return [vals[Math.floor(0.025 * (vals.length - 1))], vals[Math.ceil(0.975 * (vals.length - 1))]];
}

/** Mean and 95 % normal interval from n, Σx, Σx². */
function meanInterval(n: number, s: number, s2: number): { value: number | null; ci: [number, number] | null } {
  if (n <= 0) return { value: null, ci: null };
  const mean = s / n;
  if (n < 2) return { value: mean, ci: null };
  const v = Math.max(0, (s2 - n * mean * mean) / (n - 1));
  const h = Z95 * Math.sqrt(v / n);
  return { value: mean, ci: [mean - h, mean + h] };
}

interface Cell {
  version: number;
  shadow: boolean;
  day: number;
  predicted: number;
  realised: number;
  n: number;
  trades: number;
  wins: number;
  ret: number;
  ret2: number;
}

async function cells(db: DbLike, model: string, fromMs: number | null): Promise<Cell[]> {
  const r = await db.execute(sql`
    select version, bool_or(shadow) as shadow, (extract(epoch from date_trunc('day', bar_ts)) * 1000)::float8 as day, predicted, realised,
      count(*)::int as n, count(return_after_costs)::int as trades, count(*) filter (where return_after_costs > 0)::int as wins,
      coalesce(sum(return_after_costs), 0)::float8 as ret, coalesce(sum(return_after_costs * return_after_costs), 0)::float8 as ret2
    from prediction_outcomes
    where model_name = ${model} and realised is not null and (${fromMs}::float8 is null or bar_ts >= to_timestamp(${fromMs}::float8 / 1000))
    group by version, day, predicted, realised order by version, day`);
  return (r.rows as Record<string, unknown>[]).map((x) => ({
    version: Number(x.version),
    shadow: Boolean(x.shadow),
    day: Number(x.day),
    predicted: Number(x.predicted),
    realised: Number(x.realised),
    n: Number(x.n),
    trades: Number(x.trades),
    wins: Number(x.wins),
    ret: Number(x.ret),
    ret2: Number(x.ret2),
  }));
}

interface Acc {
  m: number[][];
  trades: number;
  wins: number;
  ret: number;
  ret2: number;
}
const emptyAcc = (): Acc => ({ m: [[0, 0, 0], [0, 0, 0], [0, 0, 0]], trades: 0, wins: 0, ret: 0, ret2: 0 });
function addCell(a: Acc, c: Cell) {
  a.m[c.realised][c.predicted] += c.n;
  a.trades += c.trades;
  a.wins += c.wins;
  a.ret += c.ret;
  a.ret2 += c.ret2;
}
function figuresOf(a: Acc) {
  const n = a.m.flat().reduce((x, y) => x + y, 0);
  const correct = a.m[0][0] + a.m[1][1] + a.m[2][2];
  return {
    n,
    accuracy: n ? correct / n : null,
    accuracyCi: wilsonInterval(correct, n),
    macroF1: n ? macroF1Of(a.m) : null,
    trades: a.trades,
    winRate: a.trades ? a.wins / a.trades : null,
    winRateCi: wilsonInterval(a.wins, a.trades),
    meanReturn: meanInterval(a.trades, a.ret, a.ret2),
  };
}

export const ZLiveRequest = z.strictObject({ model: z.string().min(1).max(200), days: z.number().int().min(1).max(3650).optional() });

/** Live figures per version (cumulative and per day) next to the test-part figures each version promised. */
export async function livePerformance(db: DbLike, input: z.input<typeof ZLiveRequest>, now = Date.now()) {
  const req = ZLiveRequest.parse(input);
  const promised = await db.execute(sql`
    select v.version, v.model_type, v.metrics->'accuracy' as accuracy, v.metrics->'macroF1' as macro_f1, v.metrics->'backtest'->'winRate' as win_rate
    from model_versions v join models m on m.id = v.model_id where m.name = ${req.model} order by v.version`);
  if (!promised.rows.length) {
    const exists = await db.execute(sql`select 1 from models where name = ${req.model}`);
    if (!exists.rows.length) throw notFound(`No model named '${req.model}'.`);
  }
  const rows = await cells(db, req.model, req.days ? now - req.days * 86_400_000 : null);
  const pending = await db.execute(sql`select version, count(*)::int as n from prediction_outcomes where model_name = ${req.model} and resolved_at is null group by version`);
  const pendingOf = new Map((pending.rows as { version: number; n: number }[]).map((x) => [Number(x.version), Number(x.n)]));
  const byVersion = new Map<number, Cell[]>();
  for (const c of rows) (byVersion.get(c.version) ?? byVersion.set(c.version, []).get(c.version)!).push(c);
  const num = (v: unknown) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  return {
    model: req.model,
    versions: (promised.rows as Record<string, unknown>[]).map((p) => {
      const version = Number(p.version);
      const cs = byVersion.get(version) ?? [];
      const total = emptyAcc();
      const days = new Map<number, Acc>();
      for (const c of cs) {
        addCell(total, c);
        addCell(days.get(c.day) ?? days.set(c.day, emptyAcc()).get(c.day)!, c);
      }
      const cum = emptyAcc();
      const daily = [...days.entries()]
        .sort(([a], [b]) => a - b)
        .map(([day, a]) => {
          for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cum.m[i][j] += a.m[i][j];
          cum.trades += a.trades;
          cum.wins += a.wins;
          cum.ret += a.ret;
          cum.ret2 += a.ret2;
          const d = figuresOf(a);
          const c = figuresOf(cum);
          return { day, n: d.n, accuracy: d.accuracy, winRate: d.winRate, cumN: c.n, cumAccuracy: c.accuracy, cumAccuracyCi: c.accuracyCi, cumMacroF1: c.macroF1, cumReturn: cum.ret };
        });
      const f = figuresOf(total);
      return {
        version,
        modelType: String(p.model_type),
        shadow: cs.some((c) => c.shadow),
        pending: pendingOf.get(version) ?? 0,
        ...f,
        macroF1Ci: macroF1CountsInterval(total.m),
        confusion: total.m,
        promised: { accuracy: num(p.accuracy), macroF1: num(p.macro_f1), winRate: num(p.win_rate) },
        daily,
      };
    }),
  };
}

// --- A/B on outcomes: mSPRT ------------------------------------------------------------------------------------------

/**
 * Mixture sequential probability ratio test (Johari, Pekelis & Walsh 2017) for a difference of means with a normal
 * mixing distribution N(0, τ²): Λ = √(V / (V + τ²)) · exp(τ² d² / (2 V (V + τ²))), V the variance of the difference
 * estimate d. The always-valid p-value is min(1, 1/Λ), taken as a running minimum over looks: looking every day
 * keeps the false-positive rate at α.
 */
export function msprt(d: number, v: number, tau2: number): number {
  if (!(v > 0)) return 1;
  const lam = Math.sqrt(v / (v + tau2)) * Math.exp((tau2 * d * d) / (2 * v * (v + tau2)));
  return Math.min(1, 1 / lam);
}

/** Outcomes needed in total (both arms, at today's ratio) for p ≤ α at the current difference and variances; null when d = 0. */
export function outcomesNeeded(d: number, varA: number, nA: number, varB: number, nB: number, tau2: number, alpha: number): number | null {
  if (!d || !(nA > 0 && nB > 0)) return null;
  const vAt = (k: number) => varA / (nA * k) + varB / (nB * k);
  if (msprt(d, vAt(1), tau2) <= alpha) return 0;
  let lo = 1;
  let hi = 2;
  while (msprt(d, vAt(hi), tau2) > alpha) {
    hi *= 2;
    if (hi > 1e9) return null;
  }
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (msprt(d, vAt(mid), tau2) <= alpha) hi = mid;
    else lo = mid;
  }
  return Math.ceil((hi - 1) * (nA + nB));
}

export const ZOutcomeAbRequest = z.strictObject({
  model: z.string().min(1).max(200),
  a: zInt4(1),
  b: zInt4(1),
  metric: z.enum(['accuracy', 'return']).default('accuracy'),
  alpha: z.number().gt(0).max(0.2).default(0.05),
  /** Mixing variance τ² of the effect (default: a 5-point accuracy difference, or 10 bp of return per trade). */
  tau: z.number().positive().optional(),
});

/** B vs A on outcomes, looked at once per day (cumulative), with the always-valid p-value and a verdict. */
export async function outcomeAb(db: DbLike, input: z.input<typeof ZOutcomeAbRequest>) {
  const req = ZOutcomeAbRequest.parse(input);
  const tau = req.tau ?? (req.metric === 'accuracy' ? 0.05 : 0.001);
  const rows = await cells(db, req.model, null);
  type Arm = { n: number; s: number; s2: number };
  const arms = { a: new Map<number, Arm>(), b: new Map<number, Arm>() };
  for (const c of rows) {
    const side = c.version === req.a ? arms.a : c.version === req.b ? arms.b : null;
    if (!side) continue;
    const x = side.get(c.day) ?? side.set(c.day, { n: 0, s: 0, s2: 0 }).get(c.day)!;
    if (req.metric === 'accuracy') {
      const ok = c.predicted === c.realised ? c.n : 0;
      x.n += c.n;
      x.s += ok;
      x.s2 += ok;
    } else {
      x.n += c.trades;
      x.s += c.ret;
      x.s2 += c.ret2;
    }
  }
  const days = [...new Set([...arms.a.keys(), ...arms.b.keys()])].sort((p, q) => p - q);
  const ca: Arm = { n: 0, s: 0, s2: 0 };
  const cb: Arm = { n: 0, s: 0, s2: 0 };
  let pMin = 1;
  const looks = [];
  const variance = (x: Arm) => (x.n > 1 ? Math.max((x.s2 - (x.s * x.s) / x.n) / (x.n - 1), 1e-12) : NaN);
  for (const day of days) {
    for (const [arm, acc] of [[arms.a, ca], [arms.b, cb]] as const) {
      const x = arm.get(day);
      if (x) {
        acc.n += x.n;
        acc.s += x.s;
        acc.s2 += x.s2;
      }
    }
    if (ca.n < 2 || cb.n < 2) continue;
    const d = cb.s / cb.n - ca.s / ca.n;
    const v = variance(ca) / ca.n + variance(cb) / cb.n;
    pMin = Math.min(pMin, msprt(d, v, tau * tau));
    looks.push({ day, nA: ca.n, nB: cb.n, difference: d, pValue: pMin });
  }
  const last = looks.at(-1) ?? null;
  const d = last?.difference ?? null;
  const significant = pMin <= req.alpha;
  const more = last && d !== null && !significant ? outcomesNeeded(d, variance(ca), ca.n, variance(cb), cb.n, tau * tau, req.alpha) : null;
  const unit = req.metric === 'accuracy' ? 'accuracy' : 'return per trade';
  const verdict = !last
    ? `not enough outcomes yet (v${req.a}: ${ca.n}, v${req.b}: ${cb.n})`
    : significant
      ? `v${req.b} is ${d! > 0 ? 'better' : 'worse'} than v${req.a} on ${unit} (always-valid p = ${pMin.toPrecision(2)} ≤ ${req.alpha})`
      : `not significant yet${more !== null ? `: about ${more.toLocaleString('en')} more outcomes at the current difference` : ' (no difference so far)'}`;
  return { model: req.model, a: req.a, b: req.b, metric: req.metric, alpha: req.alpha, tau, nA: ca.n, nB: cb.n, difference: d, pValue: last ? pMin : null, significant, outcomesNeeded: more, verdict, looks };
}

/** Resolved outcomes of a version whose prediction bar lies in [from, to): count and correct (canary checks). */
export async function outcomesInWindow(db: DbLike, model: string, version: number, from: number, to: number): Promise<{ n: number; correct: number }> {
  const r = await db.execute(sql`
    select count(*)::int as n, count(*) filter (where predicted = realised)::int as correct from prediction_outcomes
    where model_name = ${model} and version = ${version} and realised is not null
      and bar_ts >= to_timestamp(${from}::float8 / 1000) and bar_ts < to_timestamp(${to}::float8 / 1000)`);
  const x = r.rows[0] as { n: number; correct: number };
  return { n: Number(x.n), correct: Number(x.correct) };
}
