'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { errorText } from './trpcError';
import { ConfirmButton } from './ConfirmButton';

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
      <ConfirmButton
        label="Cancel run"
        buttonClassName="danger"
        groupLabel="Confirm cancelling the run"
        question="Cancel this run? No version will be registered from it."
        confirmLabel="Yes, cancel run"
        keepLabel="Keep running"
        pendingLabel="Cancelling…"
        pending={cancel.isPending}
        error={cancel.error ? errorText(cancel.error) : null}
        onConfirm={() => cancel.mutateAsync({ id })}
      />
    </span>
  );
}
