'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_trpc/client';
import { errorText } from './trpcError';

/** Cancels a queued or running run (a running one stops at its next epoch boundary or stage). */
export function CancelRunButton({ id }: { id: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const cancel = useMutation(
    trpc.training.cancel.mutationOptions({
      onSettled: () => qc.invalidateQueries({ queryKey: trpc.training.get.queryKey({ id }) }),
    }),
  );
  return (
    <span className="inline-action">
      <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate({ id })}>
        {cancel.isPending ? 'Cancelling…' : 'Cancel run'}
      </button>
      {cancel.error ? (
        <span className="error" role="alert">
          {errorText(cancel.error)}
        </span>
      ) : null}
    </span>
  );
}
