/**
 * A worker thread that runs model compute for the serve process, so that request handling (HTTP, JSON, routing,
 * windows) on the main thread overlaps with inference on the other core. Messages:
 *   { type: 'load', id, artifact }            → { type: 'loaded', id } | { type: 'error', id, message }
 *   { type: 'predict', id, seq, x, n }         → { type: 'result', seq, probs } | { type: 'error', seq, message }
 *   { type: 'dispose', id }
 */
import { parentPort } from 'node:worker_threads';
import { loadArtifact, type Predictor } from '../ml/artifact';

const predictors = new Map<string, Predictor>();

parentPort!.on('message', async (m: { type: string; id?: string; seq?: number; artifact?: unknown; x?: Float32Array; n?: number }) => {
  try {
    if (m.type === 'load') {
      if (!predictors.has(m.id!)) predictors.set(m.id!, await loadArtifact(m.artifact));
      parentPort!.postMessage({ type: 'loaded', id: m.id });
    } else if (m.type === 'predict') {
      const p = predictors.get(m.id!);
      if (!p) throw new Error(`version ${m.id} is not loaded in the compute thread`);
      const probs = p.predictProba(m.x!, m.n!);
      parentPort!.postMessage({ type: 'result', seq: m.seq, probs }, [probs.buffer as ArrayBuffer]);
    } else if (m.type === 'dispose') {
      predictors.get(m.id!)?.dispose();
      predictors.delete(m.id!);
    }
  } catch (e) {
    parentPort!.postMessage({ type: 'error', id: m.id, seq: m.seq, message: e instanceof Error ? e.message : String(e) });
  }
});
