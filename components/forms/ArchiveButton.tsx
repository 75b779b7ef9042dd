'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { ErrorAlert } from '@/components/ui/ErrorAlert';

/** Archives a version after a confirmation: it stays in the registry (metrics, lineage) but never gets traffic. */
export function ArchiveButton({ model, version }: { model: string; version: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const archive = useMutation(trpc.registry.archive.mutationOptions({ onSuccess: () => router.refresh() }));
  if (!confirming) {
    return (
      <button type="button" onClick={() => setConfirming(true)}>
        Archive
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label="Confirm archive">
      <span>
        Archive {model} v{version}? It keeps its metrics and lineage but is never given traffic.
      </span>
      <button type="button" className="danger" disabled={archive.isPending} onClick={() => archive.mutate({ model, version })}>
        {archive.isPending ? 'Archiving…' : 'Archive it'}
      </button>
      <button type="button" onClick={() => setConfirming(false)} disabled={archive.isPending}>
        Keep
      </button>
      <ErrorAlert error={archive.error} inline />
    </div>
  );
}
