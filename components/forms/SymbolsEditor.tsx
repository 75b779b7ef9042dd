'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Badge } from '@/components/ui/Badge';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

/**
 * Which symbols a model serves. Serving answers a symbol only from a model that serves it: by default the symbols
 * its versions were trained on; an engineer may add symbols or let the model serve any symbol.
 */
export function SymbolsEditor({ modelName, symbols, anySymbol, canEdit }: { modelName: string; symbols: string[]; anySymbol: boolean; canEdit: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [text, setText] = useState(symbols.join(', '));
  const [any, setAny] = useState(anySymbol);
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.promotion.setSymbols.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        router.refresh();
      },
    }),
  );
  const list = text
    .split(/[\s,]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const dirty = list.join() !== symbols.join() || any !== anySymbol;
  return (
    <div className="schedule" data-testid={`symbols-${modelName}`}>
      <div className="schedule-status">
        <span className="pane-title" style={{ margin: 0 }}>
          Serves
        </span>{' '}
        {symbols.length ? symbols.map((s) => <Badge key={s}>{s}</Badge>) : <span className="muted">no symbol yet</span>}
        {anySymbol ? (
          <>
            {' '}
            <Badge tone="warn">any symbol</Badge>
          </>
        ) : null}
      </div>
      {canEdit ? (
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            setSaved(false);
            save.mutate({ model: modelName, symbols: list, anySymbol: any });
          }}
        >
          <label>
            Symbols
            <input aria-label={`Symbols served by ${modelName}`} className="mono" value={text} onChange={(e) => setText(e.target.value)} size={28} placeholder="EURUSD, GBPUSD" />
          </label>
          <div className="checks">
            <label>
              <input type="checkbox" checked={any} onChange={(e) => setAny(e.target.checked)} /> any symbol
            </label>
          </div>
          <button type="submit" className="primary" disabled={save.isPending || !dirty}>
            Save symbols
          </button>
          <span className="muted hint">A request for a symbol no model serves gets a 404; a new model never takes over a symbol another model already answers.</span>
        </form>
      ) : null}
      <ErrorAlert error={save.error} />
      {saved && !save.error && !dirty ? <span className="muted hint">Saved.</span> : null}
    </div>
  );
}
