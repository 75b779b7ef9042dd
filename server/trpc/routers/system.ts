import { z } from 'zod';
import { router, viewerProcedure, engineerProcedure, adminProcedure, type Assert, type SameShape } from '../init';
import { readiness, type Readiness } from '../../monitoring/health';
import { listWorkers, type WorkerInfo } from '../../jobs/heartbeat';
import { QUEUES, producerBossFor } from '../../jobs/queue';
import { auditFacets, listAudit, recordAudit, ZAuditRequest } from '../../auth/audit';
import { config } from '../../config';
import { notFound } from '../../errors';
import type { AuditDetails } from '../../../drizzle/schema/shapes';

// Response schemas (Date objects here, ISO strings over HTTP).

export const ZWorker = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  startedAt: z.date(),
  lastSeenAt: z.date(),
  currentJob: z.string().nullable(),
  stoppedAt: z.date().nullable(),
  ageSeconds: z.number(),
  state: z.enum(['alive', 'stale', 'stopped']),
});
type _Worker = Assert<SameShape<z.output<typeof ZWorker>, WorkerInfo>>;

export const ZReadinessResponse = z.object({
  ready: z.boolean(),
  version: z.string(),
  checkedAt: z.string(),
  database: z.object({ ok: z.boolean(), latencyMs: z.number().nullable(), error: z.string().optional() }),
  migrations: z.object({ ok: z.boolean(), expected: z.number().int(), applied: z.number().int() }),
  workers: z.object({ ok: z.boolean(), alive: z.number().int(), staleAfterSeconds: z.number(), list: z.array(ZWorker) }),
  tensorflow: z.object({ ok: z.boolean(), backend: z.string().nullable(), version: z.string().nullable(), error: z.string().optional() }),
  problems: z.array(z.string()),
});
type _Readiness = Assert<SameShape<z.output<typeof ZReadinessResponse>, Readiness>>;

export const ZAuditResponse = z.array(
  z.object({ id: z.number().int(), at: z.date(), actor: z.string(), action: z.string(), target: z.string().nullable(),
    details: z.custom<AuditDetails>().nullable(),
    outcome: z.enum(['ok', 'denied', 'failed']),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    requestId: z.string().nullable(),
  }),
);
type _Audit = Assert<SameShape<z.output<typeof ZAuditResponse>, Awaited<ReturnType<typeof listAudit>>>>;

export const ZPingResultResponse = z.object({
  id: z.string(),
  state: z.enum(['created', 'retry', 'active', 'completed', 'cancelled', 'failed']),
  /** What the worker answered (pg-boss keeps the job's output as JSON). */
  output: z.custom<Record<string, unknown>>().nullable(),
  createdOn: z.date(),
  completedOn: z.date().nullable(),
});

export const systemRouter = router({
  ready: viewerProcedure.output(ZReadinessResponse).query(({ ctx }) => readiness(ctx.db)),
  workers: viewerProcedure.output(z.array(ZWorker)).query(({ ctx }) => listWorkers(ctx.db, config().WORKER_STALE_SECONDS)),
  /** Newest first, filtered; the next page is `before: <last id>` (keyset paging, at most AUDIT_PAGE_MAX rows a page). */
  audit: adminProcedure.input(ZAuditRequest).output(ZAuditResponse).query(({ ctx, input }) => listAudit(ctx.db, input)),
  /** The actors and actions on record, for filter menus. */
  auditFacets: adminProcedure.output(z.object({ actors: z.array(z.string()), actions: z.array(z.string()) })).query(({ ctx }) => auditFacets(ctx.db)),

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

  pingResult: engineerProcedure
    .input(z.object({ jobId: z.uuid() }))
    .output(ZPingResultResponse)
    .query(async ({ ctx, input }) => {
      const boss = await producerBossFor(ctx.db);
      const job = await boss.getJobById<Record<string, unknown>>(QUEUES.ping, input.jobId, { includeArchive: true });
      if (!job) throw notFound(`No ping job ${input.jobId}.`);
      return { id: job.id, state: job.state, output: (job.output ?? null) as Record<string, unknown> | null, createdOn: job.createdOn, completedOn: job.completedOn ?? null };
    }),
});
