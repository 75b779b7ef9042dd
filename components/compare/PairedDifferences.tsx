'use client';
import { ResponsiveContainer, ScatterChart, Scatter, XAxis, YAxis, Tooltip, CartesianGrid, ReferenceLine, ErrorBar } from 'recharts';
import { dateOnly, int, num, pct, signed, signedPct } from '@/components/charts/format';
import type { ComparedPair, ComparedVersion } from './types';
import styles from './Compare.module.css';

type Available = Extract<ComparedPair, { available: true }>;
type Diff = Available['accuracy']['diff'];

const pp = (v: number | null | undefined) => (v == null ? '—' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v * 100).toFixed(1)} pp`);

function reading(d: Diff, what: string, b: string, a: string): { text: string; tone: 'pos' | 'neg' | null } {
  if (d.lower > 0) return { text: `${b} better on ${what}`, tone: 'pos' };
  if (d.upper < 0) return { text: `${a} better on ${what}`, tone: 'neg' };
  return { text: `no clear difference in ${what}`, tone: null };
}

function DiffCell({ s, f, show, what, a, b }: { s: Available['accuracy']; f: (v: number) => string; show: (v: number) => string; what: string; a: string; b: string }) {
  const d = s.diff;
  const r = reading(d, what, b, a);
  return (
    <td>
      <strong className={r.tone ? styles[r.tone] : undefined}>{f(d.estimate)}</strong>
      <span className={styles.ci}>
        {Math.round(d.level * 100)}% CI {f(d.lower)} … {f(d.upper)}
      </span>
      <span className={styles.ci}>
        {r.text} ({b} {show(s.b)}, {a} {show(s.a)} on these bars)
      </span>
    </td>
  );
}

/** A forest plot: each pair's difference (B − A) with its paired interval, against 0. */
function Forest({ rows, field, title, f }: { rows: { pair: string; p: Available }[]; field: 'accuracy' | 'macroF1'; title: string; f: (v: number) => string }) {
  const data = rows.map(({ pair, p }) => {
    const d = p[field].diff;
    return { pair, diff: d.estimate, err: [d.estimate - d.lower, d.upper - d.estimate], lower: d.lower, upper: d.upper };
  });
  // A symmetric axis around 0 with round ticks (1, 2, 2.5 or 5 × a power of ten at its ends).
  const span = Math.max(0.01, ...data.map((d) => Math.max(Math.abs(d.lower), Math.abs(d.upper)))) * 1.05;
  const unit = 10 ** Math.floor(Math.log10(span));
  const top = [1, 2, 2.5, 5, 10].map((m) => m * unit).find((t) => t >= span) ?? 10 * unit;
  return (
    <div className={styles.forest}>
      <div className="pane-title">{title}</div>
      <ResponsiveContainer width="100%" height={Math.max(110, 46 * data.length + 50)}>
        <ScatterChart margin={{ top: 8, right: 20, bottom: 8, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis type="number" dataKey="diff" domain={[-top, top]} ticks={[-top, -top / 2, 0, top / 2, top]} tickFormatter={f} fontSize={11} />
          {/* Top to bottom in the table's order. */}
          <YAxis type="category" dataKey="pair" width={64} fontSize={11} allowDuplicatedCategory={false} reversed />
          <ReferenceLine x={0} stroke="#94a3b8" />
          <Tooltip
            cursor={false}
            content={({ payload }) => {
              const d = payload?.[0]?.payload as (typeof data)[number] | undefined;
              return d ? (
                <div className={styles.tooltip}>
                  {d.pair}: {f(d.diff)} (95% CI {f(d.lower)} … {f(d.upper)})
                </div>
              ) : null;
            }}
          />
          <Scatter data={data} fill="#1c2430" isAnimationActive={false}>
            <ErrorBar dataKey="err" direction="x" width={8} stroke="#1c2430" strokeWidth={1.6} />
          </Scatter>
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

/**
 * Every pair of compared versions, later-picked minus earlier-picked (B − A): on the test bars they share, the
 * difference in accuracy and macro-F1 with a paired moving-block bootstrap interval — or why there is no paired figure.
 */
export function PairedDifferences({ versions, pairs }: { versions: ComparedVersion[]; pairs: ComparedPair[] }) {
  const name = (i: number) => `${versions[i].key} (${versions[i].model} ${versions[i].label})`;
  const available = pairs.filter((p): p is Available => p.available).map((p) => ({ pair: `${versions[p.b].key} − ${versions[p.a].key}`, p }));
  return (
    <div data-testid="paired-differences">
      <div className="table-wrap" role="region" aria-label="Paired differences between the compared versions" tabIndex={0}>
        <table className={`${styles.table} ${styles.paired}`}>
          <thead>
            <tr>
              <th scope="col">Pair</th>
              <th scope="col">Shared test samples</th>
              <th scope="col">Accuracy difference</th>
              <th scope="col">Macro-F1 difference</th>
            </tr>
          </thead>
          <tbody>
            {pairs.map((p) => {
              const a = versions[p.a].key;
              const b = versions[p.b].key;
              return (
                <tr key={`${p.a}-${p.b}`} data-pair={`${b}-${a}`} data-available={p.available ? 'yes' : 'no'}>
                  <th scope="row">
                    {b} − {a}
                    <span className={styles.ci}>
                      {name(p.b)} vs {name(p.a)}
                    </span>
                  </th>
                  {p.available ? (
                    <>
                      <td>
                        <strong>{int(p.shared)}</strong>
                        <span className={styles.ci}>
                          {dateOnly(p.from)} → {dateOnly(p.to)} · blocks of {p.blockLength} · {int(p.accuracy.diff.resamples)} resamples
                        </span>
                      </td>
                      <DiffCell s={p.accuracy} f={pp} show={(v) => pct(v)} what="accuracy" a={a} b={b} />
                      <DiffCell s={p.macroF1} f={(v) => signed(v)} show={(v) => num(v)} what="macro-F1" a={a} b={b} />
                    </>
                  ) : (
                    <td colSpan={3} className={styles.unavailable}>
                      <strong>Paired difference unavailable</strong>
                      {p.shared ? ` (${int(p.shared)} bars in common)` : ''}: {p.reason}.
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {available.length ? (
        <div className={styles.forestGrid}>
          <Forest rows={available} field="accuracy" title="Accuracy difference (B − A), 95% CI" f={(v) => signedPct(v, Math.abs(v) > 0 && Math.abs(v) < 0.1 ? 1 : 0)} />
          <Forest rows={available} field="macroF1" title="Macro-F1 difference (B − A), 95% CI" f={(v) => signed(v, Math.abs(v) > 0 && Math.abs(v) < 0.1 ? 3 : 2)} />
        </div>
      ) : null}
      <p className="muted small" style={{ margin: '6px 0 0' }}>
        On the test bars both versions were scored on (same bar time, identical true label), each resample draws blocks of consecutive shared bars once and
        scores both versions on it, so what the bars have in common cancels. An interval entirely above 0 means the later version is better at 95 %; one containing
        0 means this test cannot tell them apart.
        {pairs.length > 1 ? ` Each interval is 95 % on its own: with ${pairs.length} pairs, one of them excluding 0 by chance alone is more likely than 5 %.` : ''}
      </p>
    </div>
  );
}
