/**
 * Micro-batching: concurrent requests for the same version run as one tensor batch.
 *
 * A submitted input waits only until the event loop's check phase (`setImmediate`): every request whose bytes
 * arrived in the same I/O poll is queued by then and they run together. An idle batcher therefore answers a lone
 * request at once (no timer), and while a batch computes, everything that arrives meanwhile forms the next batch.
 * `windowMs` > 0 adds a short wait for company after a busy batch; `maxBatch` caps the batch size.
 *
 * The batch function may be synchronous (in-process inference: the CPU/WASM backends compute on the calling thread)
 * or return a promise (the compute thread, server/serving/compute-thread.ts). With a promise, up to `maxInflight`
 * batches run at once (default 1): the main thread keeps accepting and preparing requests while the worker computes,
 * and whatever arrived meanwhile forms the next batch when a slot frees.
 */
export interface BatchFn {
  /** x: n inputs concatenated; returns n × C probabilities (x may be transferred: the batcher does not read it after). */
  (x: Float32Array, n: number): Float32Array | Promise<Float32Array>;
}

interface Pending {
  x: Float32Array;
  resolve: (p: Float32Array) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions {
  windowMs: number;
  maxBatch: number;
  /** Asynchronous batch functions: batches computing at once (default 1). */
  maxInflight?: number;
  /** Called with the size of every batch run (metrics). */
  onBatch?: (size: number) => void;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inflight = 0;
  private readonly maxInflight: number;
  /** Batches run and their sizes (for stats and tests). */
  readonly stats = { batches: 0, items: 0, maxSize: 0 };

  constructor(
    private readonly run: BatchFn,
    private readonly inputSize: number,
    private readonly classes: number,
    private readonly opts: BatcherOptions,
  ) {
    this.maxInflight = Math.max(1, opts.maxInflight ?? 1);
  }

  submit(x: Float32Array): Promise<Float32Array> {
    if (x.length !== this.inputSize) return Promise.reject(new Error(`batcher: input of ${x.length} values, expected ${this.inputSize}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ x, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private finish(batch: Pending[], probs: Float32Array) {
    const n = batch.length;
    this.stats.batches++;
    this.stats.items += n;
    this.stats.maxSize = Math.max(this.stats.maxSize, n);
    this.opts.onBatch?.(n);
    for (let i = 0; i < n; i++) batch[i].resolve(probs.slice(i * this.classes, (i + 1) * this.classes));
  }

  private flush() {
    // All slots busy: the batch that finishes first schedules the next flush.
    if (this.inflight >= this.maxInflight) {
      this.scheduled = false;
      return;
    }
    const batch = this.queue.splice(0, this.opts.maxBatch);
    if (batch.length) {
      try {
        const n = batch.length;
        const x = new Float32Array(n * this.inputSize);
        for (let i = 0; i < n; i++) x.set(batch[i].x, i * this.inputSize);
        const out = this.run(x, n);
        if (out instanceof Float32Array) this.finish(batch, out);
        else {
          this.inflight++;
          const fail = (e: unknown) => {
            for (const p of batch) p.reject(e);
          };
          out.then((probs) => {
            try {
              this.finish(batch, probs);
            } catch (e) {
              fail(e);
            }
          }, fail).finally(() => {
            this.inflight--;
            if (this.queue.length && !this.scheduled) {
              this.scheduled = true;
              this.next();
            }
          });
        }
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    if (!this.queue.length || this.inflight >= this.maxInflight) {
      this.scheduled = false;
      return;
    }
    // More waiting: they arrived while we computed (or the batch was full).
    this.next();
  }

  private next() {
    if (this.opts.windowMs > 0 && this.queue.length < this.opts.maxBatch) setTimeout(() => this.flush(), this.opts.windowMs);
    else setImmediate(() => this.flush());
  }
}
