import { describe, it, expect, beforeAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { logger } from '../log';
import { PredictionLogWriter, type PredictionLogEntry } from './prediction-log';
import type { Db } from '../db/client';

const entry = (i: number): PredictionLogEntry => ({
  at: Date.now(),
  modelName: 'm',
  versionId: '00000000-0000-0000-0000-000000000001',
  version: 1,
  symbol: `S${i}`,
  barTime: i % 2 ? Date.now() : null,
  inputHash: `h${i}`,
  direction: 'BUY',
  confidence: 61.5,
  probabilities: [0.1, 0.3, 0.6],
  latencyMs: 1.25,
  cacheHit: i % 3 === 0,
  imputed: i % 2 ? ['rsi_value', 'adx_value'] : [],
  stepsReal: 30,
  features: Array.from({ length: 16 }, (_, k) => k + i),
});

describe('prediction log writer', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
  });
  const count = async () => Number((await db.execute(sql`select count(*)::int as n from prediction_log`)).rows[0].n);

  it('writes entries in batches with every field', async () => {
    const w = new PredictionLogWriter(db, logger(), 'test', { maxBuffer: 1000, flushMs: 60_000, batchSize: 7 });
    for (let i = 0; i < 20; i++) w.push(entry(i));
    await w.stop();
    expect(w.stats).toMatchObject({ written: 20, overflow: 0, failedWrites: 0 });
    expect(await count()).toBe(20);
    const [row] = (await db.execute(sql`select * from prediction_log where symbol = 'S1'`)).rows as Record<string, unknown>[];
    expect(row).toMatchObject({ model_name: 'm', version: 1, direction: 'BUY', cache_hit: false, imputed: ['rsi_value', 'adx_value'], steps_real: 30, served_by: 'test' });
    expect((row.features as number[]).length).toBe(16);
  });

  it('is bounded: when the buffer is full, new entries are counted as overflow and push never blocks', async () => {
    const w = new PredictionLogWriter(db, logger(), 'test', { maxBuffer: 5, flushMs: 60_000, batchSize: 100 });
    for (let i = 0; i < 12; i++) w.push(entry(100 + i));
    expect(w.pending).toBe(5);
    expect(w.stats.overflow).toBe(7);
    await w.stop();
    expect(w.stats.written).toBe(5);
  });
});
