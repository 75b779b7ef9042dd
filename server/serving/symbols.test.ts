/**
 * Issue 8, defect 2: a symbol is answered only by a model that serves it, and missing indicators are never filled
 * with another market's price levels. Two real models, trained on the same kind of series at two price scales
 * (BTC-like ≈ 29,000 and EUR/USD-like ≈ 1.08).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDb } from '../db/test-db';
import { importCandles } from '../market/import';
import { plantedSignalCandles, toCsv } from '../market/synthetic';
import { startRun } from '../training/runs';
import { executeRun } from '../training/pipeline';
import { closeProducerBosses } from '../jobs/queue';
import { logger } from '../log';
import { InferenceEngine, engineOptionsFromEnv } from './engine';
import { setModelSymbols, setSymbolDefault } from '../promotion/traffic';
import { applyNewVersionPolicy } from '../promotion/actions';
import type { Db } from '../db/client';
import type { TrainRequestInput } from '../training/params';
import { userCaller, apiKeyCaller } from '../trpc/test-helpers';

const log = logger().child({ test: 'symbols' });

describe('routing by symbol and scale-free imputation', () => {
  let db: Db;
  let url: string;
  let engine: InferenceEngine;
  const train = async (dataset: string, modelName: string) => {
    const r = await startRun(db, { dataset, modelName, modelType: 'lstm', units: 16, window: 16, epochs: 6, batchSize: 64, patience: 3, seed: 7 } as TrainRequestInput, 'user:t', { enqueue: false });
    const out = await executeRun(db, r.id, { workerId: 'test', log, onRegistered: (v) => applyNewVersionPolicy(db, v) });
    if (out.status !== 'succeeded') throw new Error(out.error);
    expect(out.version!.status).toBe('candidate');
  };
  const scaled = (k: number, seed: number) => plantedSignalCandles(3000, seed).map((c) => ({ ...c, open: c.open * k, high: c.high * k, low: c.low * k, close: c.close * k }));

  beforeAll(async () => {
    ({ db, url } = await createTestDb());
    const base = plantedSignalCandles(1, 3)[0].close;
    await importCandles(db, { source: Buffer.from(toCsv(scaled(29_000 / base, 3), 'mt-comma')), dataset: 'btc-h1', symbol: 'BTCUSDT', actor: 'test' });
    await importCandles(db, { source: Buffer.from(toCsv(scaled(1.08 / base, 5), 'mt-comma')), dataset: 'eur-h1', symbol: 'EURUSD', actor: 'test' });
    await train('btc-h1', 'btc');
    await train('eur-h1', 'eur');
    engine = await new InferenceEngine(db, url, log, engineOptionsFromEnv({})).start();
  }, 240_000);
  afterAll(async () => {
    await engine?.stop();
    await closeProducerBosses();
  });

  it('a request without `model` goes to the model that serves its symbol', async () => {
    const eur = await engine.predict({ symbol: 'EURUSD', indicators: { rsi_value: 45.2, ema_12: 1.0851 } });
    expect(eur.model).toBe('eur');
    const btc = await engine.predict({ symbol: 'btcusdt', indicators: { rsi_value: 45.2 } });
    expect(btc.model).toBe('btc');
    expect(engine.info()).toMatchObject({ symbols: { BTCUSDT: 'btc', EURUSD: 'eur' }, any_symbol_model: null });
  });

  it('no model for the symbol → 404 naming it and listing the served symbols; a named model must serve it', async () => {
    const e = await engine.predict({ symbol: 'GBPUSD', indicators: { rsi_value: 50 } }).catch((x) => x);
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/No model serves GBPUSD; served symbols: BTCUSDT \(btc\), EURUSD \(eur\)/);
    const wrong = await engine.predict({ symbol: 'EURUSD', model: 'btc', indicators: { rsi_value: 50 } }).catch((x) => x);
    expect(wrong.status).toBe(404);
    expect(wrong.message).toMatch(/Model 'btc' does not serve EURUSD \(it serves BTCUSDT\)/);
  });

  it('an engineer adds a symbol, marks a model as serving any symbol, and picks the default when several serve one', async () => {
    await setModelSymbols(db, { model: 'btc', symbols: ['BTCUSDT', 'EURUSD'] }, 'user:t');
    await engine.reload('test');
    // The incumbent keeps EURUSD until someone moves it.
    expect((await engine.predict({ symbol: 'EURUSD', indicators: { rsi_value: 50 } })).model).toBe('eur');
    expect((await engine.predict({ symbol: 'EURUSD', model: 'btc', indicators: { rsi_value: 50 } })).model).toBe('btc');
    await setSymbolDefault(db, { symbol: 'eurusd', model: 'btc' }, 'user:t');
    await engine.reload('test');
    expect((await engine.predict({ symbol: 'EURUSD', indicators: { rsi_value: 50 } })).model).toBe('btc');
    await expect(setSymbolDefault(db, { symbol: 'GBPUSD', model: 'eur' }, 'user:t')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(setModelSymbols(db, { model: 'eur', symbols: [] }, 'user:t')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await setModelSymbols(db, { model: 'eur', anySymbol: true }, 'user:t');
    await engine.reload('test');
    expect((await engine.predict({ symbol: 'GBPUSD', indicators: { rsi_value: 50 } })).model).toBe('eur');
    expect(engine.info().any_symbol_model).toBe('eur');
  });

  it('missing indicators are imputed in the scale-free input space: the answer does not depend on the price level', async () => {
    // A symbol with no history: every missing indicator is unknown. Today's payload with EUR/USD's ema_12 and with
    // BTC's must give the same model input (every price-relative input takes its training median).
    const ask = (ema_12: number) => engine.predict({ symbol: 'NEWSYM', model: 'eur', indicators: { rsi_value: 45.2, ema_12, atr_value: ema_12 * 0.001 } });
    const a = await ask(1.0851);
    const b = await ask(29_000);
    expect(a.imputed_from).toBe('training_input_medians');
    expect(a.imputed).toContain('ema_21');
    expect(a.prediction.probabilities).toEqual(b.prediction.probabilities);
    expect(a.cache_hit).toBe(false);
    expect(b.cache_hit).toBe(true); // literally the same model input
    // With the symbol's own history, the gaps are filled from that history instead.
    const h = await engine.predict({ symbol: 'EURUSD', model: 'eur', indicators: { rsi_value: 45.2 } });
    expect(h.imputed_from).toBe('symbol_history');
  });

  it('over tRPC: analysts and predict keys read the routes but cannot change them; bad input names the field', async () => {
    const analyst = await userCaller(db, 'analyst');
    const engineer = await userCaller(db, 'engineer');
    const { caller: key } = await apiKeyCaller(db, ['predict']);
    const routes = await analyst.promotion.routes();
    expect(routes.symbols).toMatchObject({ BTCUSDT: 'btc' });
    await expect(analyst.promotion.setSymbols({ model: 'btc', anySymbol: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(key.promotion.setSymbolDefault({ symbol: 'BTCUSDT', model: 'eur' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(engineer.promotion.setSymbols({ model: 'btc', symbols: ['bad symbol!'] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/symbol must be/) });
    await expect(engineer.promotion.setSymbols({ model: 'nope', anySymbol: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
