/**
 * Micro-batching: concurrent requests for the same version run as one tensor batch.
 *
 * A submitted input waits only until the event loop's check phase (`setImmediate`): every request whose bytes
 * arrived in the same I/O poll is queued by then and they run together. An idle batcher therefore answers a lone
 * request at once (no timer), and while a batch computes (inference is synchronous on the CPU/WASM backends),
 * everything that arrives meanwhile forms the next batch. `windowMs` > 0 adds a short wait for company after a busy
 * batch; `maxBatch` caps the batch size.
 */
export interface BatchFn {
  /** x: n inputs concatenated; returns n × C probabilities. */
  (x: Float32Array, n: number): Float32Array;
}

interface Pending {
  x: Float32Array;
  resolve: (p: Float32Array) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions {
  windowMs: number;
  maxBatch: number;
  /** Called with the size of every batch run (metrics). */
  onBatch?: (size: number) => void;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Batches run and their sizes (for stats and tests). */
  readonly stats = { batches: 0, items: 0, maxSize: 0 };

  constructor(
    private readonly run: BatchFn,
    private readonly inputSize: number,
    private readonly classes: number,
    private readonly opts: BatcherOptions,
  ) {}

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

  private flush() {
    const batch = this.queue.splice(0, this.opts.maxBatch);
    if (batch.length) {
      try {
        const n = batch.length;
        const x = new Float32Array(n * this.inputSize);
        for (let i = 0; i < n; i++) x.set(batch[i].x, i * this.inputSize);
        const probs = this.run(x, n);
        this.stats.batches++;
        this.stats.items += n;
        this.stats.maxSize = Math.max(this.stats.maxSize, n);
        this.opts.onBatch?.(n);
        for (let i = 0; i < n; i++) batch[i].resolve(probs.slice(i * this.classes, (i + 1) * this.classes));
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    if (!this.queue.length) {
      this.scheduled = false;
      return;
    }
    // More waiting: they arrived while we computed (or the batch was full).
    if (this.opts.windowMs > 0 && this.queue.length < this.opts.maxBatch) setTimeout(() => this.flush(), this.opts.windowMs);
    else setImmediate(() => this.flush());
  }
}
