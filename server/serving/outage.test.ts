import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { createTestDb } from '../db/test-db';
import { openDb, type DbHandle } from '../db/client';
import { waitFor } from '../testing/processes';
import { forwarder } from '../testing/tcp-forwarder';
import { PredictionLogWriter, predictionLogDroppedTotal, type PredictionLogEntry } from './prediction-log';
import { SymbolHistory } from './history';

/**
 * The prediction log and the symbol history while the database is unreachable, on a real PostgreSQL behind a real
 * TCP hop: the test's database, reached through a local forwarder that — "down" — accepts each connection and closes
 * it at once (node-postgres: "Connection terminated unexpectedly", as when PostgreSQL restarts), counting attempts.
 */

/** A pino logger whose lines (parsed) land in `lines`. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

const entry = (i: number): PredictionLogEntry => ({
  at: Date.now(),
  modelName: 'm',
  versionId: '00000000-0000-0000-0000-000000000001',
  version: 1,
  symbol: `S${i}`,
  barTime: null,
  inputHash: `h${i}`,
  direction: 'BUY',
  confidence: 61.5,
  probabilities: [0.1, 0.3, 0.6],
  latencyMs: 1.25,
  cacheHit: false,
  imputed: [],
  stepsReal: 30,
  features: Array.from({ length: 16 }, (_, k) => k + i),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serving during a database outage (prediction log, symbol history)', () => {
  let direct: DbHandle;
  let via: DbHandle;
  let fwd: Awaited<ReturnType<typeof forwarder>>;

  beforeAll(async () => {
    direct = await createTestDb();
    const u = new URL(direct.url);
    fwd = await forwarder(u.hostname, Number(u.port || 5432));
    u.hostname = '127.0.0.1';
    u.port = String(fwd.port);
    via = openDb(u.toString(), { max: 3 });
  });
  afterAll(async () => {
    await via?.close();
    await fwd?.close();
  });
  const logRows = async () => Number((await direct.db.execute(sql`select count(*)::int as n from prediction_log`)).rows[0].n);

  it('prediction log: keeps entries through an outage (within the bound, overflow counted), backs off, logs once, writes them after', async () => {
    const { log, lines } = capturingLogger();
    const w = new PredictionLogWriter(via.db, log, 'outage-test', { maxBuffer: 300, flushMs: 20, batchSize: 50 });
    for (let i = 0; i < 20; i++) w.push(entry(i));
    await waitFor(async () => w.stats.written === 20, 10_000, 'written before the outage');
    const droppedBefore = predictionLogDroppedTotal();

    fwd.takeDown();
    // 100 entries over 2 s with a flush timer every 20 ms: ~100 flushes without backoff.
    for (let i = 0; i < 100; i++) {
      w.push(entry(1000 + i));
      await sleep(20);
    }
    expect(w.waitingForDatabase).toBe(true);
    expect(w.stats).toMatchObject({ written: 20, overflow: 0, failedWrites: 0 });
    expect(w.pending).toBe(100);
    // Backoff 250 ms, 500 ms, 1 s, 2 s …: a handful of attempts in 2 s, not one per 20 ms tick.
    expect(fwd.attemptsWhileDown).toBeGreaterThan(0);
    expect(fwd.attemptsWhileDown).toBeLessThan(15);
    const warned = lines.filter((l) => /prediction log/.test(String(l.msg)));
    expect(warned.map((l) => l.msg)).toEqual(['prediction log: the database is unavailable; entries are kept (up to the buffer limit) and writes retried with backoff']);

    // The buffer's bound holds during the outage: 250 more, 50 beyond maxBuffer = 300 are dropped and counted.
    for (let i = 0; i < 250; i++) w.push(entry(2000 + i));
    expect(w.pending).toBe(300);
    expect(w.stats.overflow).toBe(50);
    expect(predictionLogDroppedTotal() - droppedBefore).toBe(50);

    fwd.bringUp();
    await waitFor(async () => w.pending === 0 && w.stats.written === 320, 20_000, 'entries kept through the outage written');
    expect(await logRows()).toBe(320);
    expect(w.waitingForDatabase).toBe(false);
    const msgs = lines.filter((l) => /prediction log/.test(String(l.msg)));
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toMatchObject({ level: 30, kept: 300, dropped: 50, msg: 'prediction log: the database is reachable again; entries kept through the outage are being written' });
    expect(w.dropped).toBe(50);
    expect(predictionLogDroppedTotal() - droppedBefore).toBe(50);
    await w.stop();
    expect(JSON.stringify(lines)).not.toMatch(/params|insert into|select /i);
  }, 60_000);

  it('prediction log: stopping while the database is still unreachable drops what is buffered, counted', async () => {
    const { log } = capturingLogger();
    const w = new PredictionLogWriter(via.db, log, 'outage-test', { maxBuffer: 300, flushMs: 20, batchSize: 50 });
    fwd.takeDown();
    try {
      for (let i = 0; i < 7; i++) w.push(entry(5000 + i));
      await sleep(100);
      const before = predictionLogDroppedTotal();
      await w.stop();
      expect(w.stats).toMatchObject({ written: 0, failedWrites: 7 });
      expect(predictionLogDroppedTotal() - before).toBe(7);
    } finally {
      fwd.bringUp();
    }
  }, 30_000);

  it('symbol history: a failed load backs off (not one load per request) and logs once; snapshots are kept and written after', async () => {
    const { log, lines } = capturingLogger();
    const h = new SymbolHistory(via.db, log, { maxPerSymbol: 600, refreshMs: 50, flushMs: 20, maxPending: 1000 });
    const f = () => Float64Array.from({ length: 16 }, (_, k) => k + 0.5);
    expect(await h.rows('EURUSD')).toEqual([]);
    h.record('EURUSD', Date.UTC(2026, 0, 1), f());
    await h.flush();
    await sleep(60);
    await h.rows('EURUSD'); // a refresh: loads the snapshot just written
    await waitFor(async () => (await h.rows('EURUSD')).length === 1 && h.stats.loadFailures === 0 && h.stats.loads >= 2, 5000, 'loaded');
    const loadsBefore = h.stats.loads;

    fwd.takeDown();
    // 200 requests over 2 s, each recording its bar; refreshMs is 50 ms, so without backoff: a load per request.
    for (let i = 1; i <= 200; i++) {
      const rows = await h.rows('EURUSD');
      expect(rows.length).toBeGreaterThanOrEqual(1); // served from memory throughout
      h.record('EURUSD', Date.UTC(2026, 0, 1) + i * 3_600_000, f());
      await sleep(10);
    }
    // Backoff 1 s, 2 s: at most a few loads during those 2 s.
    expect(h.stats.loads - loadsBefore).toBeLessThanOrEqual(4);
    expect(h.stats.loadFailures).toBeGreaterThan(0);
    expect(lines.filter((l) => /loading symbol history failed/.test(String(l.msg)))).toHaveLength(1);
    expect(lines.filter((l) => /writing symbol snapshots failed/.test(String(l.msg)))).toHaveLength(1);
    expect(h.dropped).toBe(0);
    expect((await h.rows('EURUSD')).length).toBe(201);

    fwd.bringUp();
    await waitFor(async () => {
      await h.rows('EURUSD');
      return lines.some((l) => l.msg === 'symbol history loads again') && lines.some((l) => l.msg === 'symbol snapshots are written again');
    }, 40_000, 'loads and writes again');
    await h.stop();
    const n = Number((await direct.db.execute(sql`select count(*)::int as n from symbol_snapshots where symbol = 'EURUSD'`)).rows[0].n);
    expect(n).toBe(201);
    expect(lines.filter((l) => Number(l.level) >= 40)).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toMatch(/params|insert into|select /i);
  }, 90_000);
});
