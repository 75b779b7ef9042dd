import Link from 'next/link';
import type { ReactNode } from 'react';
import type { Lineage, VersionRow } from './types';
import { dateOnly, dateTime, duration, int, runOrigin } from './format';

type Part = { n: number | null; from: string | null; to: string | null } | undefined;

const partText = (p: Part) => (p ? `${int(p.n)} windows, ${dateOnly(p.from)} → ${dateOnly(p.to)}` : '—');

function Row({ k, children }: { k: string; children: ReactNode }) {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td>{children}</td>
    </tr>
  );
}

function labelRule(rule: unknown): string {
  const r = rule as { kind?: string; horizon?: number; k?: number; threshold?: number } | null;
  if (!r?.kind) return '—';
  return r.kind === 'atr' ? `${r.horizon} bars ahead, ±${r.k} × ATR` : `${r.horizon} bars ahead, ±${((r.threshold ?? 0) * 100).toFixed(2)}%`;
}

const STAGE_ORDER = ['collect data', 'features', 'labels and samples', 'train', 'evaluate', 'indicator weights', 'gate', 'register', 'clean up'];
const stageIndex = (name: string) => {
  const i = STAGE_ORDER.indexOf(name);
  return i < 0 ? STAGE_ORDER.length : i;
};

/** Every training parameter, in the order of the Training form, as text. */
function paramList(p: Lineage['params'] | undefined): [string, string][] {
  if (!p) return [];
  const out: [string, string | number | undefined][] = [
    ['modelType', p.modelType],
    ['modelName', p.modelName],
    ['units', p.modelType === 'logreg' ? undefined : p.units],
    ['window', p.window],
    ['horizon', p.horizon],
    ['labelKind', p.labelKind],
    p.labelKind === 'atr' ? ['k', p.k] : ['threshold', `${+(p.threshold * 100).toFixed(4)}%`],
    ['epochs', p.epochs],
    ['batchSize', p.batchSize],
    ['learningRate', p.learningRate],
    ['patience', p.patience],
    ['seed', p.seed],
    ['classWeights', p.classWeights],
    ['costBps', p.costBps],
    ['gate.minAccuracy', p.gate ? `${+(p.gate.minAccuracy * 100).toFixed(2)}%` : undefined],
    ['gate.minMacroF1', p.gate?.minMacroF1],
    ['gate.minWinRate', p.gate ? `${+(p.gate.minWinRate * 100).toFixed(2)}%` : undefined],
  ];
  return out.filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null).map(([k, v]) => [k, String(v)]);
}

/** Where a version comes from: dataset snapshot, parameters, seed, code, TensorFlow.js backend, durations, run, who. */
export function LineageTable({ v, lineage }: { v: VersionRow; lineage: Lineage }) {
  const snap = lineage.dataset;
  const ds = snap?.dataset;
  const parts = snap?.parts;
  const tf = lineage.tensorflow;
  const a = v.artifact;
  const params = paramList(lineage.params);
  const durations = Object.entries(lineage.durationsMs ?? {}).sort(([a], [b]) => stageIndex(a) - stageIndex(b));
  const total = durations.reduce((s, [, ms]) => s + ms, 0);
  return (
    <div className="table-wrap">
      <table className="kv" data-testid="lineage-table">
        <tbody>
          <Row k="Dataset">
            {ds ? (
              <>
                <Link href={`/data/${encodeURIComponent(ds.name)}`}>{ds.name}</Link> · {ds.symbol} · {ds.timeframe}
              </>
            ) : (
              '—'
            )}
          </Row>
          <Row k="Content hash">
            <span className="mono break">{ds?.contentHash ?? '—'}</span>
          </Row>
          <Row k="Candles">
            {int(snap?.candles.count)} bars, {dateTime(snap?.candles.from)} → {dateTime(snap?.candles.to)} UTC · snapshot hash <span className="mono break">{snap?.candles.hash ?? '—'}</span>
          </Row>
          <Row k="Splits">
            train {partText(parts?.train)} · validation {partText(parts?.val)} · test {partText(parts?.test)}
            {snap?.params ? ` · purge gap ${snap.params.purge} bars, warm-up ${snap.params.warmupBars} bars` : ''}
          </Row>
          <Row k="Samples">
            window T = {snap?.params?.window ?? a?.window ?? '—'} · label {labelRule(snap?.params?.label ?? a?.labelRule)} · {snap?.features?.names.length ?? '—'} indicators →{' '}
            {a?.featureOrder.length ?? snap?.features?.inputNames.length ?? '—'} inputs ({a?.inputTransform ?? snap?.features?.transform ?? '—'})
          </Row>
          <Row k="Parameters">
            <span className="params">
              {params.map(([k, val]) => (
                <span key={k} className="param">
                  <span className="muted">{k}</span> {val}
                </span>
              ))}
            </span>
          </Row>
          <Row k="Seed">{lineage.seed}</Row>
          <Row k="Code">
            SignalOps {lineage.code?.app ?? '—'} · commit <span className="mono">{lineage.code?.commit ? lineage.code.commit.slice(0, 12) : 'unknown (not a git checkout)'}</span>
          </Row>
          <Row k="TensorFlow.js">
            {tf ? (
              <>
                {tf.backend} backend · tfjs {tf.version}
                {tf.simd != null ? ` · SIMD ${tf.simd ? 'on' : 'off'}` : ''}
                {tf.threads != null ? ` · ${tf.threads} thread${tf.threads === 1 ? '' : 's'}` : ''}
                {tf.kernelPatches != null ? ` · kernel patches ${tf.kernelPatches ? 'on' : 'off'}` : ''}
              </>
            ) : (
              '—'
            )}
          </Row>
          <Row k="Durations">
            <span className="params">
              {durations.map(([k, ms]) => (
                <span key={k} className="param">
                  <span className="muted">{k}</span> {duration(ms)}
                </span>
              ))}
              <span className="param">
                <span className="muted">total</span> {duration(total)}
              </span>
            </span>
          </Row>
          <Row k="Run">
            {lineage.runId ? (
              <Link href={`/training/${lineage.runId}`} className="mono">
                {lineage.runId.slice(0, 8)}
              </Link>
            ) : (
              '—'
            )}{' '}
            · started: {runOrigin(lineage.trigger, lineage.startedBy)} · worker <span className="mono">{lineage.worker?.host ?? '—'}</span>
          </Row>
          <Row k="Artifact">
            {a ? (
              <>
                {a.format} · {(a.sizeBytes / 1024).toFixed(1)} KiB · temperature {a.temperature?.toFixed(3) ?? '—'} · sha256 <span className="mono break">{a.sha256}</span>
              </>
            ) : (
              'missing'
            )}
          </Row>
        </tbody>
      </table>
    </div>
  );
}
