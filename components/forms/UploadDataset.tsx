'use client';
import { useRef, useState } from 'react';
import { useRouter } from 'next/navigation';
import { dateTime, int } from '@/components/charts/format';
import { MAPPING_FIELDS, forWebUser, guessMapping, mappingProblem, mappingSpec, type MappingChoice, type MappingKey, type MappingProblem } from './columnMapping';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

interface ImportReport {
  dataset: string;
  read: number;
  inserted: number;
  skipped: number;
  first: string | null;
  last: string | null;
  errors: { line?: number; bar?: number; field?: string; reason: string }[];
  errorCount?: number;
  format?: string;
  /** Valid rows already stored with the same values, and rows stored with other values (kept). */
  existing?: number;
  conflicts?: number;
}

const nameFromFile = (f: string) =>
  f
    .replace(/\.[^.]+$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .toLowerCase()
    .slice(0, 64);

/**
 * Upload a candle file: picker or drag-and-drop; the file streams to POST /api/v1/datasets with a progress bar
 * (XMLHttpRequest upload events), then shows the import report. When the server does not recognise the columns, it
 * answers with the file's header: the user maps them (time, open, high, low, close, volume) and the upload is retried
 * with that mapping (`map=`, the same spec as the CLI's --map).
 */
export function UploadDataset() {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [dataset, setDataset] = useState('');
  const [symbol, setSymbol] = useState('');
  const [timeframe, setTimeframe] = useState('');
  const [strict, setStrict] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'importing'>('idle');
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState<MappingProblem | null>(null);
  const [choice, setChoice] = useState<MappingChoice | null>(null);
  const [mapError, setMapError] = useState<{ field: MappingKey; message: string } | null>(null);

  const pick = (f: File | undefined | null) => {
    if (!f) return;
    setFile(f);
    setReport(null);
    setError(null);
    setProblem(null);
    setChoice(null);
    setMapError(null);
    if (!dataset) setDataset(nameFromFile(f.name));
  };

  const submit = (map?: string) => {
    if (!file) return setError('Choose a CSV file first.');
    const q = new URLSearchParams({ dataset, fileName: file.name });
    if (map) q.set('map', map);
    if (symbol) q.set('symbol', symbol);
    if (timeframe) q.set('timeframe', timeframe);
    if (strict) q.set('strict', 'true');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/datasets?${q}`);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) setProgress(e.loaded / e.total);
      if (e.loaded === e.total) setPhase('importing');
    };
    xhr.onload = () => {
      setPhase('idle');
      setProgress(null);
      let body: { error?: { message: string; field?: string; details?: Record<string, unknown> } } & Partial<ImportReport>;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        return setError(`The server answered ${xhr.status} without a report.`);
      }
      if (xhr.status >= 400) {
        const p = mappingProblem(body.error);
        if (p) {
          const sameHeader = problem && problem.header.join('\u0000') === p.header.join('\u0000');
          setProblem(p);
          if (!sameHeader || !choice) setChoice(guessMapping(p.header));
          return setError(
            map
              ? `That mapping did not fit the file: ${forWebUser(body.error?.message ?? '')}`
              : "This file's columns were not recognised. Choose which column holds each value below, then import again.",
          );
        }
        return setError(forWebUser(body.error?.message ?? `Import failed (${xhr.status}).`));
      }
      setProblem(null);
      setReport(body as ImportReport);
      router.refresh();
    };
    xhr.onerror = () => {
      setPhase('idle');
      setError('The upload failed (network error).');
    };
    setError(null);
    setReport(null);
    setPhase('uploading');
    setProgress(0);
    xhr.send(file);
  };

  /** The chosen mapping as a `map` spec, or null (and the field named) when it is incomplete. */
  const mappingSpecOrNull = (): string | null => {
    if (!problem || !choice) return null;
    const r = mappingSpec(choice, problem.header);
    if (!r.ok) {
      setMapError({ field: r.field, message: r.message });
      return null;
    }
    setMapError(null);
    return r.spec;
  };

  return (
    <div className="card" data-testid="upload-dataset">
      <h2>Import candles</h2>
      <div
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          pick(e.dataTransfer.files[0]);
        }}
        onClick={() => input.current?.click()}
        role="button"
        tabIndex={0}
      >
        {file ? (
          <span>
            <strong>{file.name}</strong> · {(file.size / 1024).toFixed(0)} KiB
          </span>
        ) : (
          <span>Drop a CSV here, or click to choose one — MetaTrader, CryptoDataDownload/Binance, Yahoo Finance.</span>
        )}
        <input ref={input} type="file" accept=".csv,.txt,text/csv" hidden data-testid="file-input" onChange={(e) => pick(e.target.files?.[0])} />
      </div>
      <form
        className="form-row"
        style={{ marginTop: 12 }}
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem || !choice) return submit();
          const spec = mappingSpecOrNull();
          if (spec) submit(spec);
        }}
      >
        <label>
          Dataset
          <input name="dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} placeholder="eurusd-h1" required />
        </label>
        <label>
          Symbol (optional)
          <input name="symbol" value={symbol} onChange={(e) => setSymbol(e.target.value)} placeholder="from the file" />
        </label>
        <label>
          Timeframe (optional)
          <input name="timeframe" value={timeframe} onChange={(e) => setTimeframe(e.target.value)} placeholder="detected" size={8} />
        </label>
        <div className="checks">
          <label>
            <input type="checkbox" checked={strict} onChange={(e) => setStrict(e.target.checked)} /> strict (reject the file on any bad row)
          </label>
        </div>
        <button className="primary" type="submit" disabled={phase !== 'idle' || !file}>
          Import
        </button>
      </form>
      {phase !== 'idle' ? (
        <div style={{ marginTop: 12 }} data-testid="upload-progress">
          <div
            className="progress"
            role="progressbar"
            aria-label={phase === 'uploading' ? 'Upload progress' : 'Import progress'}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={phase === 'uploading' ? Math.round((progress ?? 0) * 100) : undefined}
          >
            <div style={{ width: `${Math.round((progress ?? 0) * 100)}%` }} />
          </div>
          <div className="muted" style={{ fontSize: 12, marginTop: 4 }}>
            {phase === 'uploading' ? `Uploading… ${Math.round((progress ?? 0) * 100)}%` : 'Importing: parsing, checking and storing rows…'}
          </div>
        </div>
      ) : null}
      <ErrorAlert error={error} />
      {problem && choice ? (
        <form
          className="stack column-mapping"
          style={{ marginTop: 12, gap: 8 }}
          data-testid="column-mapping"
          aria-label="Column mapping"
          onSubmit={(e) => {
            e.preventDefault();
            const spec = mappingSpecOrNull();
            if (spec) submit(spec);
          }}
        >
          <p className="muted small" style={{ margin: 0 }}>
            Columns in <strong>{file?.name}</strong>: {problem.header.map((h, i) => `${i + 1}. ${h || '(unnamed)'}`).join(' · ')}
          </p>
          <div className="form-row">
            {MAPPING_FIELDS.map((f) => (
              <label key={f.key}>
                {f.label}
                <select
                  name={`map-${f.key}`}
                  value={choice[f.key] ?? ''}
                  aria-invalid={mapError?.field === f.key || problem.field === f.key || undefined}
                  onChange={(e) => {
                    setMapError(null);
                    setChoice({ ...choice, [f.key]: e.target.value === '' ? null : Number(e.target.value) });
                  }}
                >
                  <option value="">{f.required ? '— choose a column —' : '— none —'}</option>
                  {problem.header.map((h, i) => (
                    <option key={i} value={i}>
                      {h || `column ${i + 1}`}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          <ErrorAlert error={mapError} testId="mapping-error" />
          <div className="form-row">
            <button className="primary" type="submit" disabled={phase !== 'idle' || !file}>
              Import with this mapping
            </button>
          </div>
        </form>
      ) : null}
      {report ? <ImportReportView report={report} /> : null}
    </div>
  );
}

export function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <div className="notice" data-testid="import-report">
      <strong>{report.dataset}</strong>: read {int(report.read)} rows, inserted {int(report.inserted)}, skipped {int(report.skipped)}
      {report.existing ? ` (${int(report.existing)} already stored)` : ''}
      {report.conflicts ? ` (${int(report.conflicts)} conflicting with stored bars: stored kept)` : ''}
      {report.first ? ` · ${dateTime(report.first)} → ${dateTime(report.last)} UTC` : ''}
      {report.format ? ` · format ${report.format}` : ''}
      {report.errors.length ? (
        <details style={{ marginTop: 6 }}>
          <summary>
            {report.errorCount ?? report.errors.length} problem{(report.errorCount ?? report.errors.length) === 1 ? '' : 's'}
          </summary>
          <ul style={{ margin: '6px 0 0', paddingLeft: 18 }}>
            {report.errors.slice(0, 50).map((e) => (
              <li key={`${e.line ?? e.field}-${e.reason}`}>
                {e.field ?? `line ${e.line}`}: {e.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
