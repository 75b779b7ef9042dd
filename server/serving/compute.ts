import { Worker } from 'node:worker_threads';
import type { ModelArtifact } from '../ml/artifact';
import type { ComputeBackend } from './engine';

/**
 * The main thread's side of the compute thread (compute-thread.ts). One thread: on a 2-core machine, one core for
 * requests and one for the models. Only the serve process uses it (a bundler must not see the Worker URL, so the
 * engine never imports this module: serve.ts passes it in).
 */
export class ComputeThread implements ComputeBackend {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>();
  private readonly loads = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  constructor() {
    // A small .mjs entry registers tsx's loader in the thread (threads do not inherit it), then loads the TS module.
    this.worker = new Worker(new URL('./compute-thread-boot.mjs', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (m: { type: string; id?: string; seq?: number; probs?: Float32Array; message?: string }) => {
      if (m.type === 'result') {
        this.pending.get(m.seq!)?.resolve(m.probs!);
        this.pending.delete(m.seq!);
      } else if (m.type === 'loaded') {
        this.loads.get(m.id!)?.resolve();
        this.loads.delete(m.id!);
      } else if (m.type === 'error') {
        const err = new Error(m.message);
        if (m.seq !== undefined) {
          this.pending.get(m.seq)?.reject(err);
          this.pending.delete(m.seq);
        } else if (m.id) {
          this.loads.get(m.id)?.reject(err);
          this.loads.delete(m.id);
        }
      }
    });
    this.worker.on('error', (e) => {
      for (const p of [...this.pending.values(), ...this.loads.values()]) p.reject(e);
      this.pending.clear();
      this.loads.clear();
    });
  }

  load(id: string, artifact: ModelArtifact): Promise<void> {
    return new Promise((resolve, reject) => {
      this.loads.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'load', id, artifact });
    });
  }

  predict(id: string, x: Float32Array, n: number): Promise<Float32Array> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ type: 'predict', id, seq, x, n }, [x.buffer as ArrayBuffer]);
    });
  }

  dispose(id: string) {
    this.worker.postMessage({ type: 'dispose', id });
  }

  async terminate() {
    await this.worker.terminate();
  }
}
