import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { bootEmbeddedPostgres, type EmbeddedServer } from './embedded-server';

/**
 * Vitest global setup: one real PostgreSQL server for the whole run — the one in DATABASE_URL when set, otherwise an
 * embedded one in a temporary directory (removed afterwards). Each test file then gets a fresh database of its own
 * (see test-db.ts).
 */
let server: EmbeddedServer | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
  }
}

export async function setup(project: TestProject) {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const dir = path.join(os.tmpdir(), `signalops-test-pg-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
    server = await bootEmbeddedPostgres({ dir, password: crypto.randomBytes(16).toString('hex'), persistent: false });
    url = server.url;
  }
  project.provide('pgServerUrl', url);
}

export async function teardown() {
  await server?.stop();
}
