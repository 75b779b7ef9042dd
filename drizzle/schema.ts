// The whole database schema. One file per domain under ./schema; this file is what drizzle-kit and the app import.
export * from './schema/auth';
export * from './schema/jobs';
export * from './schema/market';
export * from './schema/registry';
export * from './schema/serving';
export * from './schema/monitoring';
export * from './schema/promotion';
export * from './schema/outcomes';
export * from './schema/drift';
