'use client';
import { useRef, useState } from 'react';
import { useRouter } from 'next/navigation';

interface ImportReport {
  dataset: string;
  read: number;
  inserted: number;
  skipped: number;
  first: string | null;
  last: string | null;
  errors: { line: number; reason: string }[];
  errorCount?: number;
  format?: string;
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
 * (XMLHttpRequest upload events), then shows the import report.
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

  const pick = (f: File | undefined | null) => {
    if (!f) return;
    setFile(f);
    setReport(null);
    setError(null);
    if (!dataset) setDataset(nameFromFile(f.name));
  };

  const submit = () => {
    if (!file) return setError('Choose a CSV file first.');
    const q = new URLSearchParams({ dataset, fileName: file.name });
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
      let body: { error?: { message: string } } & Partial<ImportReport>;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        return setError(`The server answered ${xhr.status} without a report.`);
      }
      if (xhr.status >= 400) return setError(body.error?.message ?? `Import failed (${xhr.status}).`);
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
          submit();
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
          <div className="progress">
            <div style={{ width: `${Math.round((progress ?? 0) * 100)}%` }} />
          </div>
          <div className="muted" style={{ fontSize: 12, marginTop: 4 }}>
            {phase === 'uploading' ? `Uploading… ${Math.round((progress ?? 0) * 100)}%` : 'Importing: parsing, checking and storing rows…'}
          </div>
        </div>
      ) : null}
      {error ? (
        <div className="error" role="alert">
          {error}
        </div>
      ) : null}
      {report ? <ImportReportView report={report} /> : null}
    </div>
  );
}

export function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <div className="notice" data-testid="import-report">
      <strong>{report.dataset}</strong>: read {report.read.toLocaleString()} rows, inserted {report.inserted.toLocaleString()}, skipped{' '}
      {report.skipped.toLocaleString()}
      {report.first ? ` · ${report.first.slice(0, 16).replace('T', ' ')} → ${report.last?.slice(0, 16).replace('T', ' ')}` : ''}
      {report.format ? ` · format ${report.format}` : ''}
      {report.errors.length ? (
        <details style={{ marginTop: 6 }}>
          <summary>
            {report.errorCount ?? report.errors.length} problem{(report.errorCount ?? report.errors.length) === 1 ? '' : 's'}
          </summary>
          <ul style={{ margin: '6px 0 0', paddingLeft: 18 }}>
            {report.errors.slice(0, 50).map((e) => (
              <li key={`${e.line}-${e.reason}`}>
                line {e.line}: {e.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
