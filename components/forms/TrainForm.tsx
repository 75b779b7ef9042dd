'use client';
import { useEffect, useState, type ReactNode } from 'react';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import type { TrainRequest } from '@/components/charts/types';
import { errorInfo, errorText } from './trpcError';

export interface DatasetChoice {
  name: string;
  timeframe: string;
  rowCount: number;
}

type Field = Exclude<keyof TrainRequest, 'gate' | 'force' | 'dataset' | 'modelType' | 'modelName' | 'labelKind' | 'classWeights' | 'recentBars'>;
// The form edits these three; further (optional) gate fields keep their server defaults.
type GateField = 'minAccuracy' | 'minMacroF1' | 'minWinRate';

const PREFERRED_DATASET = 'demo-sp500-daily';
/** The last dataset chosen on this browser (the URL's ?dataset= wins: it can be shared and survives a reload). */
export const DATASET_STORAGE_KEY = 'signalops.train.dataset';

/** The dataset the form starts with: the URL's, else the preferred demo, else the first. */
export function initialDatasetOf(datasets: readonly { name: string }[], fromUrl: string | null | undefined): string {
  if (fromUrl && datasets.some((d) => d.name === fromUrl)) return fromUrl;
  return datasets.find((d) => d.name === PREFERRED_DATASET)?.name ?? datasets[0]?.name ?? '';
}

function NumberField({ label, value, onChange, min, max, step, hint }: { label: string; value: string; onChange: (v: string) => void; min?: number; max?: number; step?: number | 'any'; hint?: ReactNode }) {
  return (
    <label title={typeof hint === 'string' ? hint : undefined}>
      {label}
      <input type="number" inputMode="decimal" value={value} onChange={(e) => onChange(e.target.value)} min={min} max={max} step={step ?? 1} required className="num" />
    </label>
  );
}

/**
 * Start a training run: dataset, model, window, label rule and the usual knobs, with the rest under "Advanced".
 * A CONFLICT (the model already has an active run) offers to cancel that run and start this one (force).
 */
export function TrainForm({ datasets, defaults, modelTypes }: { datasets: DatasetChoice[]; defaults: TrainRequest; modelTypes: readonly string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const search = useSearchParams();
  const urlDataset = search.get('dataset');
  const [dataset, setDatasetState] = useState(() => initialDatasetOf(datasets, urlDataset));
  // Keep the choice: in the URL (reload, back, share) and in localStorage (the next visit without ?dataset=).
  const setDataset = (name: string) => {
    setDatasetState(name);
    try {
      window.localStorage.setItem(DATASET_STORAGE_KEY, name);
    } catch {
      /* storage disabled: the URL still keeps it */
    }
    const url = new URL(window.location.href);
    url.searchParams.set('dataset', name);
    window.history.replaceState(window.history.state, '', url);
  };
  useEffect(() => {
    if (urlDataset && datasets.some((d) => d.name === urlDataset)) return;
    let stored: string | null = null;
    try {
      stored = window.localStorage.getItem(DATASET_STORAGE_KEY);
    } catch {
      /* storage disabled */
    }
    if (stored && stored !== dataset && datasets.some((d) => d.name === stored)) setDatasetState(stored);
    // Once, on mount: later changes go through setDataset.
  }, []);
  const [modelType, setModelType] = useState<string>(defaults.modelType);
  const [modelName, setModelName] = useState('');
  const [labelKind, setLabelKind] = useState<'atr' | 'pct'>(defaults.labelKind);
  const [classWeights, setClassWeights] = useState<'balanced' | 'none'>(defaults.classWeights);
  const [force, setForce] = useState(false);
  const [nums, setNums] = useState<Record<Field, string>>({
    units: String(defaults.units),
    window: String(defaults.window),
    horizon: String(defaults.horizon),
    k: String(defaults.k),
    threshold: String(+(defaults.threshold * 100).toFixed(4)), // shown in %
    epochs: String(defaults.epochs),
    batchSize: String(defaults.batchSize),
    learningRate: String(defaults.learningRate),
    patience: String(defaults.patience),
    seed: String(defaults.seed),
    costBps: String(defaults.costBps),
  });
  const [gate, setGate] = useState<Record<GateField, string>>({
    minAccuracy: String(+(defaults.gate.minAccuracy * 100).toFixed(2)), // %
    minMacroF1: String(defaults.gate.minMacroF1),
    minWinRate: String(+(defaults.gate.minWinRate * 100).toFixed(2)), // %
  });
  const set = (k: Field) => (v: string) => setNums((s) => ({ ...s, [k]: v }));
  const setG = (k: GateField) => (v: string) => setGate((s) => ({ ...s, [k]: v }));

  const start = useMutation(trpc.training.start.mutationOptions({ onSuccess: (run) => router.push(`/training/${run.id}`) }));
  // Existing model names, to train another version of one — of any architecture (e.g. a GRU challenger for an LSTM champion).
  const existing = useQuery(trpc.registry.list.queryOptions(undefined, { staleTime: 30_000 })).data ?? [];
  const typedName = modelName.trim();
  const target = existing.find((m) => m.name === (typedName || `${dataset}-${modelType}`.toLowerCase()));
  const targetTypes = target ? [...new Set(target.versions.map((v) => v.modelType))] : [];

  const request = (forced: boolean): TrainRequest => ({
    dataset,
    modelType: modelType as TrainRequest['modelType'],
    ...(modelName.trim() ? { modelName: modelName.trim() } : {}),
    units: Number(nums.units),
    window: Number(nums.window),
    horizon: Number(nums.horizon),
    labelKind,
    k: Number(nums.k),
    threshold: Number(nums.threshold) / 100,
    epochs: Number(nums.epochs),
    batchSize: Number(nums.batchSize),
    learningRate: Number(nums.learningRate),
    patience: Number(nums.patience),
    seed: Number(nums.seed),
    classWeights,
    costBps: Number(nums.costBps),
    gate: { minAccuracy: Number(gate.minAccuracy) / 100, minMacroF1: Number(gate.minMacroF1), minWinRate: Number(gate.minWinRate) / 100 },
    force: forced,
  });

  const info = start.error ? errorInfo(start.error) : null;
  const conflictRun = info?.code === 'CONFLICT' && typeof info.details?.runId === 'string' ? info.details.runId : null;
  // The same data, parameters and code as an existing version: training again would register a copy of it.
  const duplicateOf = info?.code === 'CONFLICT' && typeof info.details?.duplicateOf === 'string' ? info.details.duplicateOf : null;
  const usesUnits = modelType !== 'logreg';
  const h = nums.horizon || '?';

  if (!datasets.length) {
    return (
      <div className="card" data-testid="train-form">
        <h2>Train a model</h2>
        <p className="muted">
          There is no dataset to train on. <Link href="/data">Import candles</Link> first.
        </p>
      </div>
    );
  }

  return (
    <div className="card" data-testid="train-form">
      <h2>Train a model</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate(request(force));
        }}
        className="stack"
        style={{ gap: 12 }}
      >
        <div className="form-row">
          <label>
            Dataset
            <select name="dataset" value={dataset} onChange={(e) => setDataset(e.target.value)}>
              {datasets.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name} ({d.timeframe}, {d.rowCount.toLocaleString('en')} bars)
                </option>
              ))}
            </select>
          </label>
          <label>
            Model type
            <select name="modelType" value={modelType} onChange={(e) => setModelType(e.target.value)}>
              {modelTypes.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Model name
            <input name="modelName" value={modelName} onChange={(e) => setModelName(e.target.value)} placeholder={`${dataset}-${modelType}`.toLowerCase()} size={24} list="train-model-names" autoComplete="off" />
            <datalist id="train-model-names">
              {existing.map((m) => (
                <option key={m.name} value={m.name}>
                  {`${[...new Set(m.versions.map((v) => v.modelType))].join(', ') || 'no version'} · ${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`}
                </option>
              ))}
            </datalist>
          </label>
          {usesUnits ? <NumberField label={modelType === 'mlp' ? 'Hidden width' : 'Units'} value={nums.units} onChange={set('units')} min={4} max={512} /> : null}
          <NumberField label="Window T (bars)" value={nums.window} onChange={set('window')} min={1} max={256} />
        </div>
        <div className="form-row">
          <NumberField label="Label horizon (bars)" value={nums.horizon} onChange={set('horizon')} min={1} max={500} />
          <label>
            Label threshold
            <select name="labelKind" value={labelKind} onChange={(e) => setLabelKind(e.target.value as 'atr' | 'pct')}>
              <option value="atr">k × ATR</option>
              <option value="pct">fixed %</option>
            </select>
          </label>
          {labelKind === 'atr' ? (
            <NumberField label="k" value={nums.k} onChange={set('k')} min={0.01} max={20} step="any" />
          ) : (
            <NumberField label="Threshold (%)" value={nums.threshold} onChange={set('threshold')} min={0.001} max={100} step="any" />
          )}
          <NumberField label="Epochs" value={nums.epochs} onChange={set('epochs')} min={1} max={500} />
          <NumberField label="Batch size" value={nums.batchSize} onChange={set('batchSize')} min={8} max={4096} />
          <NumberField label="Learning rate" value={nums.learningRate} onChange={set('learningRate')} min={0.000001} max={1} step="any" />
          <NumberField label="Patience" value={nums.patience} onChange={set('patience')} min={0} max={100} hint="epochs without a better validation loss before stopping (0 = never stop early)" />
          <NumberField label="Seed" value={nums.seed} onChange={set('seed')} min={0} max={2 ** 31 - 1} />
        </div>
        {target ? (
          <p className="muted hint" data-testid="train-target">
            Adds v{Math.max(0, ...target.versions.map((v) => v.version)) + 1} to the existing model <strong>{target.name}</strong>
            {targetTypes.length ? ` (versions so far: ${targetTypes.join(', ')})` : ''}
            {targetTypes.length && !targetTypes.includes(modelType) ? ` — a ${modelType} version of it, e.g. a challenger to compare and split traffic with on the Promotion page.` : '.'}
          </p>
        ) : typedName && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(typedName) ? (
          <p className="muted hint" data-testid="train-target">
            Creates the new model <strong>{typedName}</strong>. Pick an existing name (the list) to add a version of any model type to that model.
          </p>
        ) : null}
        <p className="muted hint">
          {labelKind === 'atr'
            ? `BUY when the close ${h} bars ahead is more than ${nums.k || '?'} × ATR above today's close, SELL when more than ${nums.k || '?'} × ATR below, HOLD otherwise.`
            : `BUY when the ${h}-bar forward return exceeds +${nums.threshold || '?'}%, SELL below −${nums.threshold || '?'}%, HOLD otherwise.`}{' '}
          Early stopping watches the validation loss and restores the best epoch&apos;s weights.
        </p>
        <details className="advanced">
          <summary>Advanced: class weights, costs, gate thresholds, force</summary>
          <div className="form-row" style={{ marginTop: 10 }}>
            <label>
              Class weights
              <select name="classWeights" value={classWeights} onChange={(e) => setClassWeights(e.target.value as 'balanced' | 'none')}>
                <option value="balanced">balanced (inverse frequency)</option>
                <option value="none">none</option>
              </select>
            </label>
            <NumberField label="Backtest cost (bps per side)" value={nums.costBps} onChange={set('costBps')} min={0} max={1000} step="any" />
            <NumberField label="Gate: min accuracy (%)" value={gate.minAccuracy} onChange={setG('minAccuracy')} min={0} max={100} step="any" />
            <NumberField label="Gate: min macro-F1 (0–1)" value={gate.minMacroF1} onChange={setG('minMacroF1')} min={0} max={1} step="any" />
            <NumberField label="Gate: min win rate (%)" value={gate.minWinRate} onChange={setG('minWinRate')} min={0} max={100} step="any" />
          </div>
          <div className="checks" style={{ marginTop: 10 }}>
            <label>
              <input type="checkbox" name="force" checked={force} onChange={(e) => setForce(e.target.checked)} /> force: cancel the model&apos;s active run, if any, and start this one
            </label>
          </div>
          <p className="muted hint">
            Whatever the thresholds, the gate also requires beating the majority-class and prior-matched random baselines on test macro-F1 with the 95% bootstrap
            interval of the difference above zero. A version that fails is registered as <em>rejected</em>.
          </p>
        </details>
        <div className="form-row">
          <button className="primary" type="submit" disabled={start.isPending || !dataset}>
            {start.isPending ? 'Starting…' : 'Train'}
          </button>
        </div>
      </form>
      {start.error ? (
        <div className="error" role="alert" data-testid="train-error">
          {conflictRun ? <strong>This model is already training. </strong> : null}
          {duplicateOf ? <strong>Nothing new to learn. </strong> : null}
          {errorText(start.error)}
          {conflictRun ? (
            <div className="form-row" style={{ marginTop: 8, alignItems: 'center' }}>
              <Link href={`/training/${conflictRun}`}>Watch the active run</Link>
              <button type="button" className="danger" disabled={start.isPending} onClick={() => start.mutate(request(true))}>
                Cancel it and start
              </button>
            </div>
          ) : null}
          {duplicateOf ? (
            <div className="form-row" style={{ marginTop: 8, alignItems: 'center' }}>
              <button type="button" disabled={start.isPending} onClick={() => start.mutate(request(true))}>
                Train an identical {duplicateOf} anyway
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
