/**
 * The inference engine: servable versions in memory, traffic-split routing (or a pinned version), window
 * completion from the symbol's history, imputation, micro-batching, a prediction cache, the prediction log, and hot
 * reload on LISTEN/NOTIFY. Used in-process by the web app and by the lean `serve` process alike.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { and, eq, inArray } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import type { Db } from '../db/client';
import { models, modelVersions } from '../../drizzle/schema';
import { DomainError, badRequest, notFound, isDomainError, statusOf } from '../errors';
import { FEATURE_NAMES, FEATURE_COUNT } from '../market/indicators';
import { transformInto, assertFeatureRow, TRANSFORMED_COUNT, TRANSFORM_ID } from '../market/transform';
import { scalerFromJSON, type Scaler } from '../market/scaler';
import { loadVersionArtifact } from '../registry/versions';
import { loadArtifact, type Predictor } from '../ml/artifact';
import { initTf, tfInfo } from '../ml/backend';
import { MicroBatcher } from './batcher';
import { pickVersion, type SplitEntry } from './routing';
import { SymbolHistory } from './history';
import { PredictionLogWriter } from './prediction-log';
import { listSplits, getSetting, SERVING_CHANNEL } from './traffic';
import { toSignal } from './signal';
import { ZPredictRequest, ZBatchRequest, DEFAULT_MAX_BATCH, type PredictRequest, type PredictResponse, type BatchResponse } from './schemas';

export interface EngineOptions {
  /** Micro-batch: extra wait for company after a busy batch (ms); 0 = none. */
  batchWindowMs: number;
  maxBatch: number;
  cacheTtlMs: number;
  cacheMax: number;
  /** Items in one batch-predict call. */
  maxBatchItems: number;
  /** Refuse requests with missing indicators instead of imputing (a request may ask with `strict: true`). */
  strict: boolean;
  /** Name of this process in the prediction log. */
  servedBy: string;
}

export function engineOptionsFromEnv(env: Record<string, string | undefined> = process.env): EngineOptions {
  const n = (k: string, d: number) => (env[k] !== undefined && env[k] !== '' && Number.isFinite(Number(env[k])) ? Number(env[k]) : d);
  return {
    batchWindowMs: n('SERVING_BATCH_WINDOW_MS', 0),
    maxBatch: n('SERVING_MAX_BATCH', 256),
    cacheTtlMs: n('SERVING_CACHE_TTL_SECONDS', 60) * 1000,
    cacheMax: n('SERVING_CACHE_MAX', 50_000),
    maxBatchItems: n('SERVING_MAX_BATCH_ITEMS', DEFAULT_MAX_BATCH),
    strict: env.SERVING_STRICT === 'true' || env.SERVING_STRICT === '1',
    servedBy: `${env.SIGNALOPS_PROC ?? 'app'}@${os.hostname()}:${process.pid}`,
  };
}

interface LoadedVersion {
  id: string;
  model: string;
  version: number;
  status: string;
  window: number;
  scaler: Scaler;
  medians: Float64Array | null;
  weights: Record<string, number>;
  predictor: Predictor;
  batcher: MicroBatcher;
}

interface RoutingState {
  defaultModel: string | null;
  splits: Map<string, SplitEntry[]>;
  generation: number;
  loadedAt: number;
}

export class InferenceEngine {
  private state: RoutingState = { defaultModel: null, splits: new Map(), generation: 0, loadedAt: 0 };
  private readonly versions = new Map<string, LoadedVersion>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly pinned = new Map<string, string>(); // "model@3" → version id
  private readonly cache: LRUCache<string, Float32Array>;
  readonly history: SymbolHistory;
  readonly predictionLog: PredictionLogWriter;
  private listener: pg.Client | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly stats = { requests: 0, errors: 0, cacheHits: 0, reloads: 0, lastReloadReason: '' };
  /** Called after every reload (e.g. to drop cached API-key checks). */
  readonly onReload: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly url: string,
    private readonly log: Logger,
    readonly opts: EngineOptions,
  ) {
    this.cache = new LRUCache({ max: opts.cacheMax, ttl: opts.cacheTtlMs });
    this.history = new SymbolHistory(db, log);
    this.predictionLog = new PredictionLogWriter(db, log, opts.servedBy);
  }

  /** Loads the routing state and servable versions, and starts listening for changes. */
  async start(): Promise<this> {
    await initTf();
    await this.reload('start');
    await this.listen();
    return this;
  }

  // --- hot reload --------------------------------------------------------------------------------------------------

  private async listen() {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'signalops-serving-listen' });
    client.on('notification', () => this.scheduleReload('notify'));
    client.on('error', (e) => {
      this.log.warn({ err: e.message }, 'serving listener lost its connection; reconnecting');
      this.listener = null;
      setTimeout(() => void this.listen().then(() => this.scheduleReload('reconnect')), 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${SERVING_CHANNEL}`);
      this.listener = client;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'serving listener could not connect; retrying');
      await client.end().catch(() => {});
      setTimeout(() => void this.listen(), 2000).unref();
    }
  }

  private scheduleReload(reason: string) {
    if (this.reloadTimer || this.stopped) return;
    // Coalesce bursts of notifications; well within the 1 s promise.
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.reload(reason).catch((e) => this.log.error({ err: (e as Error).message }, 'serving reload failed'));
    }, 50);
  }

  /**
   * Re-reads splits and settings, loads newly servable versions, then swaps the routing state in one assignment:
   * in-flight requests finish on the versions they started with; versions that stopped being servable are disposed
   * a little later. Clears the prediction cache.
   */
  async reload(reason: string): Promise<{ generation: number; models: number; versions: number }> {
    const splits = await listSplits(this.db);
    const defaultModel = await getSetting<string>(this.db, 'defaultModel');
    const wanted = new Set(Object.values(splits).flatMap((s) => s.map((e) => e.versionId)));
    await Promise.all([...wanted].map((id) => this.ensureLoaded(id)));
    // Statuses may have changed (archived): keep only candidates loaded.
    const loadedIds = [...this.versions.keys()];
    const statuses = loadedIds.length
      ? await this.db.select({ id: modelVersions.id, status: modelVersions.status }).from(modelVersions).where(inArray(modelVersions.id, loadedIds))
      : [];
    const retired: LoadedVersion[] = [];
    for (const s of statuses) {
      const v = this.versions.get(s.id)!;
      v.status = s.status;
      if (s.status !== 'candidate' && !wanted.has(s.id)) {
        this.versions.delete(s.id);
        retired.push(v);
      }
    }
    this.state = {
      defaultModel: defaultModel ?? Object.keys(splits)[0] ?? null,
      splits: new Map(Object.entries(splits).map(([m, entries]) => [m, entries.map((e) => ({ versionId: e.versionId, version: e.version, percent: e.percent }))])),
      generation: this.state.generation + 1,
      loadedAt: Date.now(),
    };
    this.pinned.clear();
    this.cache.clear();
    this.stats.reloads++;
    this.stats.lastReloadReason = reason;
    for (const f of this.onReload) f();
    if (retired.length) setTimeout(() => retired.forEach((v) => v.predictor.dispose()), 10_000).unref();
    this.log.info({ reason, generation: this.state.generation, models: this.state.splits.size, versions: this.versions.size }, 'serving state reloaded');
    return { generation: this.state.generation, models: this.state.splits.size, versions: this.versions.size };
  }

  get generation() {
    return this.state.generation;
  }

  private ensureLoaded(id: string): Promise<LoadedVersion> {
    const have = this.versions.get(id);
    if (have) return Promise.resolve(have);
    let p = this.loading.get(id);
    if (!p) {
      p = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }

  private async load(id: string): Promise<LoadedVersion> {
    const [row] = await this.db
      .select({ v: modelVersions, model: models.name })
      .from(modelVersions)
      .innerJoin(models, eq(models.id, modelVersions.modelId))
      .where(eq(modelVersions.id, id));
    if (!row) throw notFound(`No model version ${id}.`);
    const { artifact } = await loadVersionArtifact(this.db, id);
    if (artifact.inputTransform !== TRANSFORM_ID) {
      throw new DomainError('SERVICE_UNAVAILABLE', `${row.model} v${row.v.version} uses input transform '${artifact.inputTransform}', which this server does not know`);
    }
    const predictor = await loadArtifact(artifact);
    const T = artifact.shape.timeSteps;
    const F = artifact.shape.features;
    const raw = artifact.rawFeatures;
    const weights: Record<string, number> = {};
    for (const w of (row.v.indicatorWeights as { weights?: { indicator: string; weight: number }[] }).weights ?? []) weights[w.indicator] = Math.round(w.weight * 1e4) / 1e4;
    const loaded: LoadedVersion = {
      id,
      model: row.model,
      version: row.v.version,
      status: row.v.status,
      window: T,
      scaler: scalerFromJSON(artifact.scaler),
      medians: raw && raw.names.join() === FEATURE_NAMES.join() ? Float64Array.from(raw.medians) : null,
      weights,
      predictor,
      batcher: new MicroBatcher((x, n) => predictor.predictProba(x, n), T * F, 3, { windowMs: this.opts.batchWindowMs, maxBatch: this.opts.maxBatch }),
    };
    this.versions.set(id, loaded);
    return loaded;
  }

  // --- routing -----------------------------------------------------------------------------------------------------

  private async route(req: PredictRequest): Promise<LoadedVersion> {
    const modelName = req.model ?? this.state.defaultModel;
    if (!modelName) throw new DomainError('SERVICE_UNAVAILABLE', 'No servable model: train and promote a model first.');
    if (req.model_version) {
      const n = Number(req.model_version.slice(1));
      const key = `${modelName}@${n}`;
      let id = this.pinned.get(key);
      if (!id) {
        const [v] = await this.db
          .select({ id: modelVersions.id, status: modelVersions.status })
          .from(modelVersions)
          .innerJoin(models, eq(models.id, modelVersions.modelId))
          .where(and(eq(models.name, modelName), eq(modelVersions.version, n)));
        if (!v) throw notFound(`Model '${modelName}' has no version ${req.model_version}.`);
        if (v.status !== 'candidate') throw new DomainError('CONFLICT', `${modelName} ${req.model_version} is ${v.status} and is not served.`);
        id = v.id;
        this.pinned.set(key, id);
      }
      return this.ensureLoaded(id);
    }
    const split = this.state.splits.get(modelName);
    if (!split?.length) {
      throw new DomainError('SERVICE_UNAVAILABLE', req.model ? `Model '${req.model}' has no traffic split: promote a version first.` : 'No servable model: train and promote a model first.');
    }
    const pick = pickVersion(split, req.routing_key ?? null);
    return this.versions.get(pick.versionId) ?? this.ensureLoaded(pick.versionId);
  }

  // --- prediction --------------------------------------------------------------------------------------------------

  /** Validates and answers one request (throws DomainError 4xx/503 for bad input or no model). */
  async predict(input: unknown): Promise<PredictResponse> {
    const t0 = performance.now();
    this.stats.requests++;
    try {
      const parsed = ZPredictRequest.safeParse(input);
      if (!parsed.success) throw zodToBadRequest(parsed.error);
      return await this.predictParsed(parsed.data, t0);
    } catch (e) {
      this.stats.errors++;
      throw e;
    }
  }

  private async predictParsed(req: PredictRequest, t0: number): Promise<PredictResponse> {
    const v = await this.route(req);
    const barTime = req.timestamp === undefined ? Date.now() : typeof req.timestamp === 'number' ? req.timestamp : Date.parse(req.timestamp);
    const history = await this.history.rows(req.symbol);
    const latest = history.length ? history[history.length - 1].f : null;

    // 1. The current bar: given fields, else the symbol's latest snapshot, else the training medians.
    const current = new Float64Array(FEATURE_COUNT);
    const imputed: string[] = [];
    FEATURE_NAMES.forEach((name, i) => {
      const given = req.indicators[name];
      if (given !== undefined) current[i] = given;
      else {
        imputed.push(name);
        current[i] = latest ? latest[i] : v.medians ? v.medians[i] : NaN;
      }
    });
    if (imputed.length && (req.strict || this.opts.strict)) {
      throw badRequest(`indicators: missing ${imputed.join(', ')} (strict mode does not impute)`, { field: `indicators.${imputed[0]}`, missing: imputed });
    }
    if (imputed.length && !latest && !v.medians) throw badRequest(`indicators: missing ${imputed.join(', ')} and no history or training medians to fill them`, { field: `indicators.${imputed[0]}` });
    assertFeatureRow(current, 'indicators');

    // 2. The window: sent by the client, else completed from the symbol's history before this bar.
    const T = v.window;
    const steps: Float64Array[] = [];
    if (req.window) {
      for (const [i, s] of req.window.entries()) {
        const row = Array.isArray(s) ? Float64Array.from(s) : Float64Array.from(FEATURE_NAMES.map((n) => (s as Record<string, number>)[n]));
        assertFeatureRow(row, `window[${i}]`);
        steps.push(row);
      }
      if (steps.length > T) steps.splice(0, steps.length - T);
      // The last step of a sent window is the current bar.
      steps[steps.length - 1] = current;
    } else {
      for (let i = history.length - 1; i >= 0 && steps.length < T - 1; i--) if (history[i].t < barTime) steps.unshift(history[i].f);
      steps.push(current);
    }
    const stepsReal = steps.length;
    while (steps.length < T) steps.unshift(steps[0]); // warm-up: repeat the oldest real step

    // 3. Model input: transform (16 → 15) and the training scaler, exactly as in training.
    const F = TRANSFORMED_COUNT;
    const x = new Float32Array(T * F);
    const tmp = new Float64Array(F);
    const { means, stds } = v.scaler;
    for (let s = 0; s < T; s++) {
      transformInto(steps[s], 0, tmp, 0);
      for (let f = 0; f < F; f++) x[s * F + f] = (tmp[f] - means[f]) / stds[f];
    }
    const inputHash = crypto.createHash('sha1').update(Buffer.from(x.buffer)).digest('base64url').slice(0, 22);
    const cacheKey = `${v.id}:${inputHash}`;
    let probs = this.cache.get(cacheKey);
    const cacheHit = probs !== undefined;
    if (!probs) {
      probs = await v.batcher.submit(x);
      this.cache.set(cacheKey, probs);
    } else this.stats.cacheHits++;

    const signal = toSignal(probs);
    const ms = Math.round((performance.now() - t0) * 1000) / 1000;
    const now = Date.now();
    // Only a request that says which bar it is (its close time) adds to the symbol's history: a client polling
    // several times per bar without `timestamp` must not turn its polls into bars.
    if (req.timestamp !== undefined) this.history.record(req.symbol, barTime, current);
    this.predictionLog.push({
      at: now,
      modelName: v.model,
      versionId: v.id,
      version: v.version,
      symbol: req.symbol,
      barTime: req.timestamp === undefined ? null : barTime,
      inputHash,
      direction: signal.direction,
      confidence: signal.confidence,
      probabilities: [probs[0], probs[1], probs[2]],
      latencyMs: ms,
      cacheHit,
      imputed,
      stepsReal,
      features: Array.from(current),
    });
    return {
      symbol: req.symbol,
      prediction: req.include_weights ? { ...signal, weights: v.weights } : signal,
      model: v.model,
      model_version: `v${v.version}`,
      timestamp: new Date(now).toISOString(),
      processing_time_ms: ms,
      cache_hit: cacheHit,
      imputed,
      steps_real: stepsReal,
      window: T,
      warmup: stepsReal < T,
    };
  }

  /** Up to maxBatchItems requests; each succeeds or fails on its own. Items run together through the batcher. */
  async predictBatch(input: unknown): Promise<BatchResponse> {
    const t0 = performance.now();
    const parsed = ZBatchRequest.safeParse(input);
    if (!parsed.success) throw zodToBadRequest(parsed.error);
    const items = Array.isArray(parsed.data) ? parsed.data : parsed.data.requests;
    if (items.length > this.opts.maxBatchItems) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `requests: ${items.length} items exceed the batch limit of ${this.opts.maxBatchItems}`, { field: 'requests' });
    }
    const settled = await Promise.allSettled(items.map((it) => this.predict(it)));
    const errors: BatchResponse['errors'] = [];
    const results = settled.map((s, index) => {
      if (s.status === 'fulfilled') return s.value;
      const e = s.reason;
      const symbol = typeof (items[index] as { symbol?: unknown })?.symbol === 'string' ? ((items[index] as { symbol: string }).symbol) : null;
      errors.push({ index, symbol, error: e instanceof Error ? e.message : String(e), status: isDomainError(e) ? statusOf(e) : 500 });
      return null;
    });
    return {
      total_requests: items.length,
      successful_predictions: items.length - errors.length,
      errors,
      results,
      processing_time_ms: Math.round((performance.now() - t0) * 1000) / 1000,
    };
  }

  /** What is being served (GET /model/info). */
  info() {
    const models = [...this.state.splits.entries()].map(([name, split]) => ({
      name,
      default: name === this.state.defaultModel,
      split: split.map((s) => {
        const v = this.versions.get(s.versionId);
        return { version: `v${s.version}`, percent: s.percent, loaded: !!v, window: v?.window ?? null, status: v?.status ?? null };
      }),
    }));
    return {
      status: models.length ? 'serving' : 'no_model',
      default_model: this.state.defaultModel,
      models,
      features: FEATURE_NAMES,
      generation: this.state.generation,
      reloaded_at: new Date(this.state.loadedAt).toISOString(),
      tensorflow: tfInfo(),
      cache: { entries: this.cache.size, ttl_seconds: this.opts.cacheTtlMs / 1000, hits: this.stats.cacheHits },
      batching: Object.fromEntries([...this.versions.values()].map((v) => [`${v.model}@v${v.version}`, v.batcher.stats])),
      prediction_log: { ...this.predictionLog.stats, pending: this.predictionLog.pending },
      requests: this.stats.requests,
      errors: this.stats.errors,
      served_by: this.opts.servedBy,
    };
  }

  async stop() {
    this.stopped = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    await this.listener?.end().catch(() => {});
    await this.predictionLog.stop();
    await this.history.stop();
    for (const v of this.versions.values()) v.predictor.dispose();
    this.versions.clear();
  }
}

function zodToBadRequest(e: ZodError): DomainError {
  const i = e.issues[0];
  const field = i.path.join('.') || 'body';
  const msg = i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : i.message;
  return badRequest(`${field}: ${msg}`, { field, issues: e.issues.map((x) => ({ field: x.path.join('.'), message: x.message })) });
}
