/**
 * The one place the client reads the server: the router's type. In the repo this is the live `AppRouter`; the
 * published package (`npm run client:pack`) replaces this module with a structural copy written by router-dts.ts,
 * so consumers need no server, drizzle, pg or zod types.
 */
export type { AppRouter } from '../server/trpc/root';
