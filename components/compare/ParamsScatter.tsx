'use client';
import { useId, useState } from 'react';
import { ResponsiveContainer, ScatterChart, Scatter, XAxis, YAxis, ZAxis, Tooltip, CartesianGrid, ErrorBar } from 'recharts';
import { num } from '@/components/charts/format';
import type { ParamsScatterData } from './types';
import styles from './Compare.module.css';

/** A compared version to mark on the scatter in its colour. */
export interface ScatterMark {
  model: string;
  version: number;
  name: string;
  color: string;
}

const VERSION_AXIS = '(version number)';

type Point = ParamsScatterData['points'][number];

/**
 * MLflow-style parameter view: every version of a model as a point, one training parameter (picked) on x, test
 * macro-F1 with its bootstrap interval on y. The compared versions are marked in their colours.
 */
export function ParamsScatter({ scatters, marks }: { scatters: ParamsScatterData[]; marks: ScatterMark[] }) {
  const id = useId();
  const [modelIdx, setModelIdx] = useState(0);
  const s = scatters[modelIdx];
  const varying = s.params.filter((p) => p.distinct > 1);
  const options = [...varying.map((p) => p.key), VERSION_AXIS, ...s.params.filter((p) => p.distinct <= 1).map((p) => p.key)];
  const [picked, setPicked] = useState<string | null>(null);
  const key = picked && options.includes(picked) ? picked : (varying[0]?.key ?? VERSION_AXIS);
  const kind = key === VERSION_AXIS ? 'number' : (s.params.find((p) => p.key === key)?.kind ?? 'category');
  const xOf = (p: Point) => (key === VERSION_AXIS ? p.version : (p.params[key] ?? null));
  const scored = s.points.filter((p) => p.macroF1 != null && xOf(p) != null);
  // Categories (architecture, label kind, …) sit at 0, 1, 2, … on a number axis whose ticks name them.
  const categories = kind === 'category' ? [...new Set(scored.map((p) => String(xOf(p))))].sort() : [];
  const row = (p: Point) => ({
    x: kind === 'number' ? Number(xOf(p)) : categories.indexOf(String(xOf(p))),
    value: String(xOf(p)),
    y: p.macroF1 as number,
    err: p.macroF1CI ? [(p.macroF1 as number) - p.macroF1CI.lower, p.macroF1CI.upper - (p.macroF1 as number)] : [0, 0],
    label: p.label,
    status: p.status,
    ci: p.macroF1CI,
    modelType: p.modelType,
  });
  const here = marks.filter((m) => m.model === s.model);
  const marked = (p: Point) => here.find((m) => m.version === p.version);
  const rest = scored.filter((p) => !marked(p)).map(row);
  const constant = !varying.length;
  return (
    <div data-testid="params-scatter">
      <div className="chart-controls">
        {scatters.length > 1 ? (
          <label className={styles.inline} htmlFor={`${id}-model`}>
            Model
            <select id={`${id}-model`} value={modelIdx} onChange={(e) => setModelIdx(Number(e.target.value))}>
              {scatters.map((m, i) => (
                <option key={m.model} value={i}>
                  {m.model}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className={styles.inline} htmlFor={`${id}-param`}>
          Parameter
          <select id={`${id}-param`} value={key} onChange={(e) => setPicked(e.target.value)}>
            {options.map((o) => (
              <option key={o} value={o}>
                {o}
                {varying.some((p) => p.key === o) ? ' (varies)' : ''}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          {s.points.length} version{s.points.length === 1 ? '' : 's'} of {s.model}
          {constant ? ' · all trained with the same parameters' : ` · ${varying.length} parameter${varying.length === 1 ? '' : 's'} vary`}
        </span>
      </div>
      {scored.length ? (
        <ul className={styles.legend} data-testid="scatter-legend">
          {rest.length ? (
            <li>
              <span className={styles.dot} style={{ background: '#64748b' }} aria-hidden />
              other versions
            </li>
          ) : null}
          {here
            .filter((m) => scored.some((q) => q.version === m.version))
            .map((m) => (
              <li key={m.name}>
                <span className={styles.dot} style={{ background: m.color }} aria-hidden />
                {m.name}
              </li>
            ))}
        </ul>
      ) : null}
      {scored.length ? (
        <ResponsiveContainer width="100%" height={280}>
          <ScatterChart margin={{ top: 10, right: 20, bottom: 18, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            {kind === 'number' ? (
              <XAxis type="number" dataKey="x" name={key} domain={['auto', 'auto']} fontSize={11} allowDecimals={key !== VERSION_AXIS} label={{ value: key, position: 'insideBottom', offset: -10, fontSize: 11 }} />
            ) : (
              <XAxis
                type="number"
                dataKey="x"
                name={key}
                domain={[-0.5, categories.length - 0.5]}
                ticks={categories.map((_, i) => i)}
                tickFormatter={(i: number) => categories[i] ?? ''}
                fontSize={11}
                label={{ value: key, position: 'insideBottom', offset: -10, fontSize: 11 }}
              />
            )}
            <YAxis type="number" dataKey="y" name="test macro-F1" domain={['auto', 'auto']} width={48} fontSize={11} tickFormatter={(v: number) => v.toFixed(2)} />
            <ZAxis range={[70, 70]} />
            <Tooltip
              cursor={false}
              content={({ payload }) => {
                const d = payload?.[0]?.payload as ReturnType<typeof row> | undefined;
                return d ? (
                  <div className={styles.tooltip}>
                    <strong>
                      {s.model} {d.label}
                    </strong>{' '}
                    ({d.modelType}, {d.status})<br />
                    {key}: {d.value}
                    <br />
                    macro-F1 {num(d.y)}
                    {d.ci ? ` (95% CI ${num(d.ci.lower)} … ${num(d.ci.upper)})` : ''}
                  </div>
                ) : null;
              }}
            />
            {rest.length ? (
              <Scatter name="other versions" data={rest} fill="#64748b" isAnimationActive={false}>
                <ErrorBar dataKey="err" direction="y" width={6} stroke="#94a3b8" />
              </Scatter>
            ) : null}
            {here.map((m) => {
              const p = scored.find((q) => q.version === m.version);
              return p ? (
                <Scatter key={m.name} name={m.name} data={[row(p)]} fill={m.color} isAnimationActive={false}>
                  <ErrorBar dataKey="err" direction="y" width={6} stroke={m.color} />
                </Scatter>
              ) : null;
            })}
          </ScatterChart>
        </ResponsiveContainer>
      ) : (
        <p className="muted">No version of {s.model} has a test macro-F1 and a value for {key}.</p>
      )}
      <p className="muted small" style={{ margin: '4px 0 0' }}>
        Each point is a version of {s.model}: the chosen training parameter against its test macro-F1, with the 95% bootstrap interval. Versions tested on
        different data or dates are not paired here: read the paired differences above for that.
      </p>
    </div>
  );
}
