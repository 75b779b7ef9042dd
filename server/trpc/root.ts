import { router, createCallerFactory } from './init';
import { authRouter } from './routers/auth';
import { usersRouter } from './routers/users';
import { apiKeysRouter } from './routers/apiKeys';
import { systemRouter } from './routers/system';
import { dataRouter } from './routers/data';
import { trainingRouter } from './routers/training';
import { registryRouter } from './routers/registry';
import { inferenceRouter } from './routers/inference';
import { promotionRouter } from './routers/promotion';
import { alertsRouter } from './routers/alerts';
import { monitoringRouter } from './routers/monitoring';
import { outcomesRouter } from './routers/outcomes';
import { driftRouter } from './routers/drift';

/** The whole API. Each domain has a router in ./routers; procedures are one-liners over domain functions. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  apiKeys: apiKeysRouter,
  system: systemRouter,
  data: dataRouter,
  training: trainingRouter,
  registry: registryRouter,
  inference: inferenceRouter,
  promotion: promotionRouter,
  alerts: alertsRouter,
  monitoring: monitoringRouter,
  outcomes: outcomesRouter,
  drift: driftRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
