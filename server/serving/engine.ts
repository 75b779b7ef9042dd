/**
 * The inference engine: servable versions in memory, traffic-split routing (or a pinned version), window
 * completion from the symbol's history, imputation, micro-batching, a prediction cache, the prediction log, and hot
 * reload on LISTEN/NOTIFY. Used in-process by the web app and by the lean `serve` process alike.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { performance as nodePerformance } from 'node:perf_hooks';
import pg from 'pg';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { currentUrl, type Db } from '../db/client';
import { config, parseConfig } from '../config';
import { DomainError, badRequest, badRequestFromZod, notFound, isDomainError, statusOf, logFieldsOf } from '../errors';
import { FEATURE_NAMES } from '../market/indicators';
import { TRANSFORMED_COUNT, TRANSFORM_ID } from '../market/transform';
import { normalSymbol } from '../market/symbol';
import { scalerFromJSON, type Scaler } from '../market/scaler';
import { loadVersionArtifact, servableVersionRow, findVersion, versionStatuses } from '../registry/versions';
import { loadArtifact } from '../ml/artifact';
import { initTf, tfInfo } from '../ml/backend';
import { routingTable, resolveSymbolRoutes, SERVING_CHANNEL } from '../promotion/traffic';
import type { ShadowState, VersionRef } from '../promotion/shapes';
import { MicroBatcher, type BatchFn } from './batcher';
import { ComputeThread } from './compute-thread';
import { OutageLog } from '../db/outage-log';
import { pickVersion, type SplitEntry } from './routing';
import { SymbolHistory } from './history';
import { PredictionLogWriter } from './prediction-log';
import { completeBar, assembleWindow, buildModelInput, artifactInputMedians } from './input';
import { toSignal } from './signal';
import { ZPredictRequest, ZBatchRequest, type PredictRequest, type PredictResponse, type BatchResponse } from './schemas';

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
  /** Mirror to a shadow only while the event loop was busy less than this share of the last ~250 ms (best effort). */
  shadowMaxBusy: number;
  /** Model compute in a worker thread (SERVING_COMPUTE_THREAD); unset: the process's SERVING_COMPUTE_THREAD. */
  computeThread?: boolean;
  /** With the compute thread: batches per version in flight at once (default 2: measured in bench/serve.ts, 3c). */
  computeInflight?: number;
}

/** The engine's settings from the environment (parsed in server/config.ts: a bad value names the variable). */
export function engineOptionsFromEnv(env: Record<string, string | undefined> = process.env): EngineOptions {
  const c = parseConfig(env);
  return {
    batchWindowMs: c.SERVING_BATCH_WINDOW_MS,
    maxBatch: c.SERVING_MAX_BATCH,
    cacheTtlMs: c.SERVING_CACHE_TTL_SECONDS * 1000,
    cacheMax: c.SERVING_CACHE_MAX,
    maxBatchItems: c.SERVING_MAX_BATCH_ITEMS,
    strict: c.SERVING_STRICT,
    servedBy: `${c.SIGNALOPS_PROC}@${os.hostname()}:${process.pid}`,
    shadowMaxBusy: c.SERVING_SHADOW_MAX_BUSY,
    // Only when the given environment names it: `engineOptionsFromEnv({})` (tests, bench) follows the process's.
    ...(env.SERVING_COMPUTE_THREAD ? { computeThread: c.SERVING_COMPUTE_THREAD === 'on' } : {}),
  };
}

/**
 * What the engine tells observers (metrics roll-ups, Prometheus): one call per answered request, per refused
 * request, per tensor batch. Observers must be cheap and never throw (they run on the request path).
 */
export interface ServingObserver {
  prediction?(e: { model: string; version: number; latencyMs: number; cacheHit: boolean; imputed: boolean; direction: 'BUY' | 'HOLD' | 'SELL'; confidence: number; symbol: string }): void;
  failure?(e: { status: number; model: string | null; version: number | null; latencyMs: number }): void;
  batch?(e: { model: string; version: number; size: number }): void;
  /** A shadow prediction, computed after the primary answer was returned (direction null: the shadow failed). */
  shadow?(e: { model: string; version: number; primaryVersion: number; primaryDirection: 'BUY' | 'HOLD' | 'SELL'; primaryConfidence: number; direction: 'BUY' | 'HOLD' | 'SELL' | null; confidence: number | null; latencyMs: number }): void;
}

interface LoadedVersion {
  id: string;
  model: string;
  version: number;
  status: string;
  window: number;
  scaler: Scaler;
  /** Training medians of the model inputs (scale-free), for imputing inputs whose indicators are missing. */
  inputMedians: Float64Array | null;
  weights: Record<string, number>;
  /** Frees the model (in-process predictor or the compute thread's copy). */
  release(): void;
  batcher: MicroBatcher;
}

interface ServedModel {
  name: string;
  symbols: string[];
  anySymbol: boolean;
  split: SplitEntry[];
  /** champion, challenger, … → version (a request may pin one with `alias`). */
  aliases: Record<string, VersionRef>;
  /** Mirrors a share of this model's requests, off the response path. */
  shadow: ShadowState | null;
}

interface RoutingState {
  models: Map<string, ServedModel>;
  /** Symbol (upper case) → the model that answers it when a request names no model. */
  bySymbol: Map<string, string>;
  /** The model for any other symbol (a model marked "any symbol"), or null. */
  anySymbol: string | null;
  generation: number;
  loadedAt: number;
}

/** Whether to mirror a request to the shadow now: not while the process is busy or too many shadows are pending. */
export function shadowAllowed(s: { busy: number; maxBusy: number; inflight: number }): boolean {
  return s.inflight < 512 && s.busy < s.maxBusy;
}

export class InferenceEngine {
  private state: RoutingState = { models: new Map(), bySymbol: new Map(), anySymbol: null, generation: 0, loadedAt: 0 };
  private readonly versions = new Map<string, LoadedVersion>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly pinned = new Map<string, string>(); // "model@3" → version id
  private readonly cache: LRUCache<string, Float32Array>;
  readonly history: SymbolHistory;
  readonly predictionLog: PredictionLogWriter;
  private listener: pg.Client | null = null;
  /** One warning per database outage for the LISTEN connection, not one per retry (server/db/outage-log.ts). */
  private readonly listenerOutage: OutageLog;
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly stats = { requests: 0, errors: 0, cacheHits: 0, reloads: 0, lastReloadReason: '' };
  /** Called after every reload (e.g. to drop cached API-key checks). */
  readonly onReload: Array<() => void> = [];
  /** Metrics observers (see ServingObserver). */
  readonly observers: ServingObserver[] = [];
  /** Called by stop() after the prediction log is flushed (e.g. the metrics recorder's last flush). */
  readonly onStop: Array<() => Promise<unknown>> = [];

  constructor(
    private readonly db: Db,
    private readonly url: string,
    private readonly log: Logger,
    readonly opts: EngineOptions,
  ) {
    this.cache = new LRUCache({ max: opts.cacheMax, ttl: opts.cacheTtlMs });
    this.listenerOutage = new OutageLog(log, 'the serving listener (LISTEN for changes)');
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

  /**
   * LISTENs for serving changes. A lost connection (the database restarted, or moved: currentUrl re-reads where it
   * is) is retried every 2 s; once back, the routing state is reloaded — notifications sent meanwhile were missed.
   */
  private async listen(reconnecting = false) {
    if (this.stopped) return;
    // A connect that hangs (a host that drops packets, a program that is not PostgreSQL on the port) gives up in 5 s.
    const client = new pg.Client({ connectionString: currentUrl(this.db) || this.url, application_name: 'signalops-serving-listen', connectionTimeoutMillis: 5000 });
    let lost = false;
    const onLost = (why: string) => {
      if (lost || this.stopped) return;
      lost = true;
      this.log.warn({ err: why }, 'serving listener lost its connection; reconnecting');
      if (this.listener === client) this.listener = null;
      void client.end().catch(() => {});
      setTimeout(() => void this.listen(true), 1000).unref();
    };
    client.on('notification', () => this.scheduleReload('notify'));
    client.on('error', (e) => onLost(e.message));
    client.on('end', () => onLost('connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN ${SERVING_CHANNEL}`);
      this.listener = client;
      this.listenerOutage.ok();
      if (reconnecting) {
        this.log.info('serving listener reconnected; reloading (changes made meanwhile were not notified)');
        this.scheduleReload('reconnect');
      }
    } catch (e) {
      if (lost) return;
      lost = true;
      this.listenerOutage.failed(e, { retryInMs: 2000 });
      await client.end().catch(() => {});
      setTimeout(() => void this.listen(true), 2000).unref();
    }
  }

  private scheduleReload(reason: string) {
    if (this.reloadTimer || this.stopped) return;
    // Coalesce bursts of notifications; well within the 1 s promise.
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.reload(reason).catch((e) => {
        this.log.error({ err: (e as Error).message }, 'serving reload failed');
        // A resync after reconnecting must happen: try again while the database settles.
        if (reason === 'reconnect') setTimeout(() => this.scheduleReload(reason), 2000).unref();
      });
    }, 50);
  }

  /**
   * Re-reads splits and settings, loads newly servable versions, then swaps the routing state in one assignment:
   * in-flight requests finish on the versions they started with; versions that stopped being servable are disposed
   * a little later. Clears the prediction cache.
   */
  async reload(reason: string): Promise<{ generation: number; models: number; versions: number }> {
    const table = await routingTable(this.db);
    const wanted = new Set(table.models.flatMap((m) => [...m.split.map((e) => e.versionId), ...Object.values(m.aliases).map((a) => a.versionId), ...(m.shadow ? [m.shadow.versionId] : [])]));
    await Promise.all([...wanted].map((id) => this.ensureLoaded(id)));
    // Statuses may have changed (archived): keep only candidates loaded.
    const statuses = await versionStatuses(this.db, [...this.versions.keys()]);
    const retired: LoadedVersion[] = [];
    for (const [id, status] of statuses) {
      const v = this.versions.get(id)!;
      v.status = status;
      if (status !== 'candidate' && !wanted.has(id)) {
        this.versions.delete(id);
        retired.push(v);
      }
    }
    const routes = resolveSymbolRoutes(table);
    this.state = {
      models: new Map(
        table.models.map((m) => [
          m.name,
          { name: m.name, symbols: m.symbols, anySymbol: m.anySymbol, split: m.split.map((e) => ({ versionId: e.versionId, version: e.version, percent: e.percent })), aliases: m.aliases, shadow: m.shadow },
        ]),
      ),
      bySymbol: routes.bySymbol,
      anySymbol: routes.any,
      generation: this.state.generation + 1,
      loadedAt: Date.now(),
    };
    this.pinned.clear();
    this.cache.clear();
    this.stats.reloads++;
    this.stats.lastReloadReason = reason;
    for (const f of this.onReload) f();
    if (retired.length) setTimeout(() => retired.forEach((v) => v.release()), 10_000).unref();
    this.log.info({ reason, generation: this.state.generation, models: this.state.models.size, versions: this.versions.size }, 'serving state reloaded');
    return { generation: this.state.generation, models: this.state.models.size, versions: this.versions.size };
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
    const row = await servableVersionRow(this.db, id);
    const { artifact } = await loadVersionArtifact(this.db, id);
    if (artifact.inputTransform !== TRANSFORM_ID) {
      throw new DomainError('SERVICE_UNAVAILABLE', `${row.model} v${row.version} uses input transform '${artifact.inputTransform}', which this server does not know`);
    }
    if (artifact.shape.features !== TRANSFORMED_COUNT) throw new DomainError('SERVICE_UNAVAILABLE', `${row.model} v${row.version} expects ${artifact.shape.features} inputs, not ${TRANSFORMED_COUNT}`);
    // The model runs in the compute thread (one worker for every version) or here, on the main thread.
    let run: BatchFn;
    let release: () => void;
    const thread = this.computeThread();
    if (thread) {
      const key = `${id}#${++this.loadSeq}`; // a re-load of a retired version must not be freed by the old one's release
      await thread.load(key, artifact);
      run = (x, n) => thread.predictProba(key, x, n);
      release = () => void thread.dispose(key).catch(() => {});
    } else {
      const predictor = await loadArtifact(artifact);
      run = (x, n) => predictor.predictProba(x, n);
      release = () => predictor.dispose();
    }
    const T = artifact.shape.timeSteps;
    const weights: Record<string, number> = {};
    // A weight stored as null (non-finite) rounds to 0, as `Math.round(null * 1e4)` did.
    for (const w of row.indicatorWeights.weights ?? []) weights[w.indicator] = Math.round((w.weight ?? 0) * 1e4) / 1e4;
    const loaded: LoadedVersion = {
      id,
      model: row.model,
      version: row.version,
      status: row.status,
      window: T,
      scaler: scalerFromJSON(artifact.scaler),
      inputMedians: artifactInputMedians(artifact),
      weights,
      release,
      batcher: new MicroBatcher(run, T * TRANSFORMED_COUNT, 3, {
        windowMs: this.opts.batchWindowMs,
        maxBatch: this.opts.maxBatch,
        maxInflight: this.opts.computeInflight ?? 2,
        onBatch: (size) => {
          for (const o of this.observers) o.batch?.({ model: row.model, version: row.version, size });
        },
      }),
    };
    this.versions.set(id, loaded);
    return loaded;
  }

  private compute_: ComputeThread | null | undefined;
  private loadSeq = 0;
  /** The compute thread when SERVING_COMPUTE_THREAD is on (started with the first load), else null. */
  private computeThread(): ComputeThread | null {
    if (this.compute_ === undefined) {
      const on = this.opts.computeThread ?? config().SERVING_COMPUTE_THREAD === 'on';
      this.compute_ = on ? new ComputeThread({ onCrash: (why) => this.log.error({ why }, 'serving compute thread stopped; pending predictions failed, the next request starts a new one') }) : null;
    }
    return this.compute_;
  }

  // --- routing -----------------------------------------------------------------------------------------------------

  /**
   * The model that answers this request: the one it names (which must serve its symbol), else the model serving
   * its symbol. No model for the symbol → 404 naming it and listing the symbols that are served.
   */
  private modelFor(req: PredictRequest): ServedModel {
    const st = this.state;
    if (!st.models.size) throw new DomainError('SERVICE_UNAVAILABLE', 'No servable model: train and promote a model first.');
    const symbol = normalSymbol(req.symbol);
    if (req.model) {
      const m = st.models.get(req.model);
      if (!m) throw new DomainError('SERVICE_UNAVAILABLE', `Model '${req.model}' has no traffic split: promote a version first.`);
      if (!m.anySymbol && !m.symbols.includes(symbol)) {
        throw new DomainError('NOT_FOUND', `Model '${req.model}' does not serve ${symbol} (it serves ${m.symbols.join(', ') || 'no symbol'}); ${this.servedSymbolsText()}`, { field: 'symbol', symbol });
      }
      return m;
    }
    const name = st.bySymbol.get(symbol) ?? st.anySymbol;
    if (!name) throw new DomainError('NOT_FOUND', `No model serves ${symbol}; ${this.servedSymbolsText()}`, { field: 'symbol', symbol, served: [...st.bySymbol.keys()] });
    return st.models.get(name)!;
  }

  private servedSymbolsText(): string {
    const list = [...this.state.bySymbol.entries()].map(([s, m]) => `${s} (${m})`);
    return `served symbols: ${list.join(', ') || 'none'}${this.state.anySymbol ? `; any symbol: ${this.state.anySymbol}` : ''}`;
  }

  private async route(req: PredictRequest): Promise<{ m: ServedModel; v: LoadedVersion }> {
    const m = this.modelFor(req);
    return { m, v: await this.versionFor(m, req) };
  }

  private async versionFor(m: ServedModel, req: PredictRequest): Promise<LoadedVersion> {
    if (req.alias) {
      const a = m.aliases[req.alias];
      if (!a) throw new DomainError('NOT_FOUND', `Model '${m.name}' has no alias '${req.alias}' (it has ${Object.keys(m.aliases).map((x) => `@${x}`).join(', ') || 'none'}).`, { field: 'alias' });
      return this.versions.get(a.versionId) ?? this.ensureLoaded(a.versionId);
    }
    if (req.model_version) {
      const n = Number(req.model_version.slice(1));
      const key = `${m.name}@${n}`;
      let id = this.pinned.get(key);
      if (!id) {
        const v = await findVersion(this.db, m.name, n);
        if (!v) throw notFound(`Model '${m.name}' has no version ${req.model_version}.`);
        if (v.status !== 'candidate') throw new DomainError('CONFLICT', `${m.name} ${req.model_version} is ${v.status} and is not served.`);
        id = v.id;
        this.pinned.set(key, id);
      }
      return this.ensureLoaded(id);
    }
    const pick = pickVersion(m.split, req.routing_key ?? null);
    return this.versions.get(pick.versionId) ?? this.ensureLoaded(pick.versionId);
  }

  // --- prediction --------------------------------------------------------------------------------------------------

  /** One version's probabilities for a bar: its window, its model input, the cache (by version and input), the batcher. */
  private async compute(
    v: LoadedVersion,
    a: { raw: Float64Array; unknown: Uint8Array | null; clientWindow: PredictRequest['window']; history: Awaited<ReturnType<SymbolHistory['rows']>>; barTime: number },
  ): Promise<{ probs: Float32Array; inputHash: string; cacheHit: boolean; stepsReal: number }> {
    const { steps, stepsReal } = assembleWindow({ current: a.raw, T: v.window, clientWindow: a.clientWindow, history: a.history, barTime: a.barTime });
    const x = buildModelInput({ steps, current: a.raw, unknown: a.unknown, scaler: v.scaler, inputMedians: v.inputMedians });
    const inputHash = crypto.createHash('sha1').update(Buffer.from(x.buffer)).digest('base64url').slice(0, 22);
    const cacheKey = `${v.id}:${inputHash}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return { probs: hit, inputHash, cacheHit: true, stepsReal };
    const probs = await v.batcher.submit(x);
    // A model whose answer is not three finite probabilities has no answer: never a direction with confidence null.
    if (probs.length < 3 || !Array.from(probs).every((p) => Number.isFinite(p) && p >= 0 && p <= 1)) {
      throw new DomainError('UNPROCESSABLE_CONTENT', `indicators: model ${v.model} v${v.version} gives no finite probabilities for these inputs; no prediction`, { field: 'indicators' });
    }
    this.cache.set(cacheKey, probs);
    return { probs, inputHash, cacheHit: false, stepsReal };
  }

  /** Validates and answers one request (throws DomainError 4xx/503 for bad input or no model). */
  async predict(input: unknown): Promise<PredictResponse> {
    const t0 = performance.now();
    this.stats.requests++;
    const routed: { v?: LoadedVersion } = {};
    try {
      const parsed = ZPredictRequest.safeParse(input);
      if (!parsed.success) throw badRequestFromZod(parsed.error, 'body');
      return await this.predictParsed(parsed.data, t0, routed);
    } catch (e) {
      this.stats.errors++;
      if (this.observers.length) {
        const ev = { status: isDomainError(e) ? statusOf(e) : 500, model: routed.v?.model ?? null, version: routed.v?.version ?? null, latencyMs: performance.now() - t0 };
        for (const o of this.observers) o.failure?.(ev);
      }
      throw e;
    }
  }

  private async predictParsed(req: PredictRequest, t0: number, routed: { v?: LoadedVersion }): Promise<PredictResponse> {
    const { m, v } = await this.route(req);
    routed.v = v;
    const barTime = req.timestamp === undefined ? Date.now() : typeof req.timestamp === 'number' ? req.timestamp : Date.parse(req.timestamp);
    const history = await this.history.rows(req.symbol);

    const bar = completeBar(req.indicators, history.length ? history[history.length - 1].f : null);
    if (bar.imputed.length && (req.strict || this.opts.strict)) {
      throw badRequest(`indicators: missing ${bar.imputed.join(', ')} (strict mode does not impute)`, { field: `indicators.${bar.imputed[0]}`, missing: bar.imputed });
    }
    const { probs, inputHash, cacheHit, stepsReal } = await this.compute(v, { raw: bar.raw, unknown: bar.imputedFrom === 'training_input_medians' ? bar.unknown : null, clientWindow: req.window, history, barTime });
    if (cacheHit) this.stats.cacheHits++;

    const signal = toSignal(probs);
    const ms = Math.round((performance.now() - t0) * 1000) / 1000;
    const now = Date.now();
    // Only a request that says which bar it is (its close time) adds to the symbol's history, and only with every
    // indicator known: a client polling several times per bar without `timestamp` must not turn its polls into bars.
    if (req.timestamp !== undefined && bar.imputedFrom !== 'training_input_medians') this.history.record(req.symbol, barTime, bar.raw);
    if (this.observers.length) {
      const ev = { model: v.model, version: v.version, latencyMs: ms, cacheHit, imputed: bar.imputed.length > 0, direction: signal.direction, confidence: signal.confidence, symbol: req.symbol };
      for (const o of this.observers) o.prediction?.(ev);
    }
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
      imputed: bar.imputed,
      stepsReal,
      features: Array.from(bar.raw), // NaN where unknown
    });
    const sh = m.shadow;
    if (sh && sh.versionId !== v.id && (sh.sample >= 1 || Math.random() < sh.sample)) {
      this.mirror(sh, m.name, { req, raw: bar.raw, unknown: bar.imputedFrom === 'training_input_medians' ? bar.unknown : null, imputed: bar.imputed, history, barTime }, { version: v.version, direction: signal.direction, confidence: signal.confidence });
    }
    return {
      symbol: req.symbol,
      prediction: req.include_weights ? { ...signal, weights: v.weights } : signal,
      model: v.model,
      model_version: `v${v.version}`,
      timestamp: new Date(now).toISOString(),
      processing_time_ms: ms,
      cache_hit: cacheHit,
      imputed: bar.imputed,
      imputed_from: bar.imputedFrom,
      steps_real: stepsReal,
      window: v.window,
      warmup: stepsReal < v.window,
    };
  }

  // --- shadow ----------------------------------------------------------------------------------------------------------

  private elu = { at: 0, last: nodePerformance.eventLoopUtilization(), busy: 0 };
  /** Share of the last ~250 ms the event loop was busy (recomputed at most every 250 ms). */
  private busy(): number {
    const now = performance.now();
    if (now - this.elu.at >= 250) {
      const cur = nodePerformance.eventLoopUtilization();
      this.elu = { at: now, busy: nodePerformance.eventLoopUtilization(cur, this.elu.last).utilization, last: cur };
    }
    return this.elu.busy;
  }

  /** Shadow predictions in flight (bounded: past the bound, mirroring is skipped and counted, never the primary delayed). */
  private shadowInflight = 0;
  /** mirrored, skipped (the process was busy: best effort), failed. */
  readonly shadowStats = { mirrored: 0, skipped: 0, failed: 0 };
  private lastShadowWarn = 0;

  /**
   * Computes the shadow's answer to the same request after the primary's answer has been returned (setImmediate runs
   * after the response is written), logs it as shadow and reports it to observers. Never returned, never thrown.
   */
  private mirror(
    sh: ShadowState,
    model: string,
    input: { req: PredictRequest; raw: Float64Array; unknown: Uint8Array | null; imputed: string[]; history: Awaited<ReturnType<SymbolHistory['rows']>>; barTime: number },
    primary: { version: number; direction: 'BUY' | 'HOLD' | 'SELL'; confidence: number },
  ) {
    // Best effort: never while the process is busy with answers (the shadow's compute would delay the next ones).
    if (!shadowAllowed({ busy: this.busy(), maxBusy: this.opts.shadowMaxBusy, inflight: this.shadowInflight })) {
      this.shadowStats.skipped++;
      return;
    }
    this.shadowInflight++;
    setImmediate(() => {
      void this.shadowPredict(sh, model, input, primary).finally(() => this.shadowInflight--);
    });
  }

  private async shadowPredict(
    sh: ShadowState,
    model: string,
    input: { req: PredictRequest; raw: Float64Array; unknown: Uint8Array | null; imputed: string[]; history: Awaited<ReturnType<SymbolHistory['rows']>>; barTime: number },
    primary: { version: number; direction: 'BUY' | 'HOLD' | 'SELL'; confidence: number },
  ) {
    const t0 = performance.now();
    try {
      const v = this.versions.get(sh.versionId) ?? (await this.ensureLoaded(sh.versionId));
      const { probs, inputHash, cacheHit, stepsReal } = await this.compute(v, { raw: input.raw, unknown: input.unknown, clientWindow: input.req.window, history: input.history, barTime: input.barTime });
      const signal = toSignal(probs);
      const ms = Math.round((performance.now() - t0) * 1000) / 1000;
      this.shadowStats.mirrored++;
      for (const o of this.observers) o.shadow?.({ model, version: v.version, primaryVersion: primary.version, primaryDirection: primary.direction, primaryConfidence: primary.confidence, direction: signal.direction, confidence: signal.confidence, latencyMs: ms });
      this.predictionLog.push({
        at: Date.now(),
        modelName: v.model,
        versionId: v.id,
        version: v.version,
        symbol: input.req.symbol,
        barTime: input.req.timestamp === undefined ? null : input.barTime,
        inputHash,
        direction: signal.direction,
        confidence: signal.confidence,
        probabilities: [probs[0], probs[1], probs[2]],
        latencyMs: ms,
        cacheHit,
        imputed: input.imputed,
        stepsReal,
        features: Array.from(input.raw),
        shadow: true,
      });
    } catch (e) {
      this.shadowStats.failed++;
      for (const o of this.observers) o.shadow?.({ model, version: sh.version, primaryVersion: primary.version, primaryDirection: primary.direction, primaryConfidence: primary.confidence, direction: null, confidence: null, latencyMs: performance.now() - t0 });
      if (Date.now() - this.lastShadowWarn > 60_000) {
        this.lastShadowWarn = Date.now();
        this.log.warn({ model, version: sh.version, err: (e as Error).message }, 'shadow prediction failed (the primary answer was not affected)');
      }
    }
  }

  /** Up to maxBatchItems requests; each succeeds or fails on its own. Items run together through the batcher. */
  async predictBatch(input: unknown): Promise<BatchResponse> {
    const t0 = performance.now();
    const parsed = ZBatchRequest.safeParse(input);
    if (!parsed.success) throw badRequestFromZod(parsed.error, 'body');
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
      // A domain error says what to fix; anything else is logged, never its text (it may be SQL) in the answer.
      if (!isDomainError(e)) this.log.error(logFieldsOf(e), 'batch item failed');
      errors.push({ index, symbol, error: isDomainError(e) ? e.message : 'internal error; see the server log', status: isDomainError(e) ? statusOf(e) : 500 });
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

  /** What is being served (GET /model/info): models with their symbols and split, symbol → model, runtime figures. */
  info() {
    const st = this.state;
    const models = [...st.models.values()].map((m) => ({
      name: m.name,
      symbols: m.symbols,
      any_symbol: m.anySymbol,
      aliases: Object.fromEntries(Object.entries(m.aliases).map(([k, a]) => [k, `v${a.version}`])),
      shadow: m.shadow ? { version: `v${m.shadow.version}`, sample: m.shadow.sample, loaded: this.versions.has(m.shadow.versionId) } : null,
      split: m.split.map((s) => {
        const v = this.versions.get(s.versionId);
        return { version: `v${s.version}`, percent: s.percent, loaded: !!v, window: v?.window ?? null, status: v?.status ?? null };
      }),
    }));
    return {
      status: models.length ? 'serving' : 'no_model',
      symbols: Object.fromEntries([...st.bySymbol.entries()].sort(([a], [b]) => a.localeCompare(b))),
      any_symbol_model: st.anySymbol,
      models,
      features: FEATURE_NAMES,
      generation: st.generation,
      reloaded_at: new Date(st.loadedAt).toISOString(),
      tensorflow: tfInfo(),
      cache: { entries: this.cache.size, ttl_seconds: this.opts.cacheTtlMs / 1000, hits: this.stats.cacheHits },
      batching: Object.fromEntries([...this.versions.values()].map((v) => [`${v.model}@v${v.version}`, v.batcher.stats])),
      prediction_log: { ...this.predictionLog.stats, pending: this.predictionLog.pending },
      shadow: { ...this.shadowStats, inflight: this.shadowInflight },
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
    for (const f of this.onStop) await f().catch((e) => this.log.warn({ err: String(e) }, 'stopping an observer failed'));
    for (const v of this.versions.values()) v.release();
    this.versions.clear();
    await this.compute_?.close();
  }
}
