import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, adminProcedure } from '../init';
import { readiness } from '../../monitoring/health';
import { listWorkers } from '../../jobs/heartbeat';
import { QUEUES, producerBossFor } from '../../jobs/queue';
import { listAudit, recordAudit } from '../../auth/audit';
import { config } from '../../config';
import { notFound } from '../../errors';

export const systemRouter = router({
  ready: viewerProcedure.query(({ ctx }) => readiness(ctx.db)),
  workers: viewerProcedure.query(({ ctx }) => listWorkers(ctx.db, config().WORKER_STALE_SECONDS)),
  audit: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) => listAudit(ctx.db, input)),

  /** Enqueues the built-in `system.ping` job; a worker answers it. */
  ping: engineerProcedure
    .input(z.object({ message: z.string().max(200).optional(), sleepMs: z.number().int().min(0).max(10_000).optional() }).default({}))
    .output(z.object({ jobId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const boss = await producerBossFor(ctx.db);
      const jobId = await boss.send(QUEUES.ping, input);
      if (!jobId) throw new Error('the queue refused the job');
      await recordAudit(ctx.db, { actor: ctx.actor, action: 'system.ping', target: jobId });
      return { jobId };
    }),

  pingResult: engineerProcedure.input(z.object({ jobId: z.uuid() })).query(async ({ ctx, input }) => {
    const boss = await producerBossFor(ctx.db);
    const job = await boss.getJobById<Record<string, unknown>>(QUEUES.ping, input.jobId, { includeArchive: true });
    if (!job) throw notFound(`No ping job ${input.jobId}.`);
    return { id: job.id, state: job.state, output: (job.output ?? null) as Record<string, unknown> | null, createdOn: job.createdOn, completedOn: job.completedOn ?? null };
  }),
});
