'use client';
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';

/** Sends the built-in `system.ping` job and shows which worker answered: proof that the queue path works. */
export function PingButton() {
  const trpc = useTRPC();
  const [jobId, setJobId] = useState<string | null>(null);
  const ping = useMutation(trpc.system.ping.mutationOptions({ onSuccess: (r) => setJobId(r.jobId) }));
  const result = useQuery({
    ...trpc.system.pingResult.queryOptions({ jobId: jobId ?? '00000000-0000-0000-0000-000000000000' }),
    enabled: !!jobId,
    refetchInterval: (q) => (q.state.data && ['completed', 'failed', 'cancelled'].includes(q.state.data.state) ? false : 500),
  });
  const out = result.data?.output as { workerId?: string } | null | undefined;
  return (
    <div style={{ marginTop: 12 }}>
      <button type="button" onClick={() => ping.mutate({ message: 'hello from the dashboard' })} disabled={ping.isPending}>
        Send a test job
      </button>
      {jobId ? (
        <span className="muted" style={{ marginLeft: 10 }} data-testid="ping-result">
          {result.data?.state === 'completed' ? `answered by ${out?.workerId}` : `job ${result.data?.state ?? 'queued'}…`}
        </span>
      ) : null}
      {ping.error ? <div className="error">{ping.error.message}</div> : null}
    </div>
  );
}
