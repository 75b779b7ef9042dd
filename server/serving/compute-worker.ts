/**
 * The compute thread's entry (server/serving/compute-thread.ts starts it as a `node:worker_threads` Worker): holds the
 * loaded models of one serve process and answers `predictProba` for them, so that model compute overlaps with the
 * main thread's per-request work. The backend is chosen by server/ml/backend.ts (`initTf`, as everywhere else).
 *
 * Messages are handled in arrival order; a predict for a version whose load is still running waits for that load.
 */
import { parentPort } from 'node:worker_threads';
import { loadArtifact, type Predictor } from '../ml/artifact';
import { initTf } from '../ml/backend';
import { isDomainError } from '../errors';
import type { ComputeReply, ComputeRequest } from './compute-thread';

const port = parentPort;
if (!port) throw new Error('compute-worker.ts runs as a worker thread (server/serving/compute-thread.ts)');

const predictors = new Map<string, Promise<Predictor>>();

function errorOf(e: unknown): Extract<ComputeReply, { ok: false }>['error'] {
  if (isDomainError(e)) return { domain: true, code: e.code, message: e.message, details: e.details };
  return { domain: false, message: e instanceof Error ? e.message : String(e) };
}

function reply(r: ComputeReply, transfer?: ArrayBuffer[]) {
  port!.postMessage(r, transfer);
}

// Start the backend at once: the first load then costs only the model.
void initTf().catch(() => {});

port.on('message', (m: ComputeRequest) => {
  switch (m.op) {
    case 'load': {
      const p = loadArtifact(m.artifact);
      predictors.set(m.id, p);
      p.then(
        () => reply({ mid: m.mid, ok: true }),
        (e: unknown) => {
          if (predictors.get(m.id) === p) predictors.delete(m.id);
          reply({ mid: m.mid, ok: false, error: errorOf(e) });
        },
      );
      return;
    }
    case 'predict': {
      const p = predictors.get(m.id);
      if (!p) {
        reply({ mid: m.mid, ok: false, error: { domain: false, message: `compute thread: version ${m.id} is not loaded` } });
        return;
      }
      p.then((predictor) => {
        const probs = predictor.predictProba(m.x, m.n);
        reply({ mid: m.mid, ok: true, probs }, [probs.buffer as ArrayBuffer]);
      }).catch((e: unknown) => reply({ mid: m.mid, ok: false, error: errorOf(e) }));
      return;
    }
    case 'dispose': {
      const p = predictors.get(m.id);
      predictors.delete(m.id);
      void p?.then((predictor) => predictor.dispose()).catch(() => {});
      reply({ mid: m.mid, ok: true });
      return;
    }
  }
});
