// Runs t-SNE off the engine's main thread in a node:worker_threads Worker: the engine holds the
// latent means, and the CLI, the browser host and the Electron shell all reach t-SNE through it.
// A worker thread (rather than a renderer Web Worker) keeps one implementation for all three hosts
// and keeps the N x D vectors out of the renderer; only the N x 2 frames travel to the UI.
//
// Cancellation terminates the worker, so it stops at once even inside the neighbour search.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import type { HelperRequest, TsneRequest, TsneReply } from './tsne-protocol.ts';
import { createHelperBuffers, HelperLink } from './tsne-parallel.ts';
import { CancelledError } from '../../contract/errors.ts';
import { startWorker, workerEntry, type WorkerEntry } from '../worker-entry.ts';
import { initialLayout, neighbourCount, validateTsneInput, type TsneFrame, type TsneOptions } from './tsne.ts';

export type { TsneFrame, TsneOptions } from './tsne.ts';

/** The t-SNE worker's entry (LATENT_EXPLORER_TSNE_WORKER overrides where it is). */
export function tsneWorkerEntry(): WorkerEntry {
  return workerEntry('tsne-worker', import.meta.url, process.env.LATENT_EXPLORER_TSNE_WORKER);
}

/** Below this many points a second thread costs more than it saves. */
export const PARALLEL_MIN_POINTS = 2000;

export interface RunTsneSettings {
  /** Threads to use: 1, or 2 (a helper thread takes half the neighbour search and the repulsion). Default: 2 on a machine with 2+ cores. */
  threads?: number;
}

/**
 * Runs t-SNE in a worker thread (plus a helper thread on 2+ cores for N >= 2,000). onFrame gets the
 * initial layout at once (before the neighbour search), then a layout about every 100 ms, then the
 * final one (done: true), which the promise also resolves to. The result does not depend on the
 * number of threads. Rejects with a CancelledError when the signal aborts, and
 * with a RangeError for unusable input or options.
 */
export function runTsne(
  data: Float32Array,
  n: number,
  dim: number,
  options: TsneOptions,
  onFrame: (frame: TsneFrame) => void,
  signal?: AbortSignal,
  settings: RunTsneSettings = {},
): Promise<Float32Array> {
  return new Promise<Float32Array>((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('t-SNE cancelled'));
    try {
      validateTsneInput(data, n, dim, options);
    } catch (error) {
      return reject(error);
    }
    const entry = tsneWorkerEntry();
    if (!existsSync(fileURLToPath(entry.url))) {
      return reject(new Error(`t-SNE worker not found at ${fileURLToPath(entry.url)} (build the worker entry or set LATENT_EXPLORER_TSNE_WORKER)`));
    }
    const threads = settings.threads ?? (availableParallelism() >= 2 ? 2 : 1);
    const buffers = threads >= 2 && n >= PARALLEL_MIN_POINTS ? createHelperBuffers(n, dim, neighbourCount(n, options.perplexity)) : undefined;
    const worker = startWorker(entry);
    const helper = buffers ? startWorker(entry) : null;
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      void helper?.terminate();
      outcome();
    };
    const onAbort = (): void => finish(() => reject(new CancelledError('t-SNE cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: TsneReply) => {
      if (settled) return;
      // The initial layout already went out (below), computed here before the worker started.
      if (reply.type === 'frame' && reply.frame.iteration === 0 && !reply.frame.done) return;
      if (reply.type === 'error') {
        const error = reply.name === 'RangeError' ? new RangeError(reply.message) : reply.name === 'AbortError' ? new CancelledError('t-SNE cancelled') : new Error(reply.message);
        finish(() => reject(error));
        return;
      }
      try {
        onFrame(reply.frame);
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      if (reply.frame.done) finish(() => resolve(reply.frame.coords));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`t-SNE worker stopped unexpectedly (exit code ${code})`))));
    if (helper && buffers) {
      // A helper that dies only costs speed: the t-SNE thread is woken and works alone.
      const lost = (): void => {
        if (!settled) HelperLink.markFailed(buffers);
      };
      helper.on('error', lost);
      helper.on('exit', lost);
      const helperRequest: HelperRequest = { type: 'helper', buffers };
      helper.postMessage(helperRequest);
    }
    // A copy is transferred so the caller's array stays usable.
    const copy = data.slice();
    // The first frame at once (the PCA initialisation, the worker computes the same), while the
    // workers start: ~30 ms at 10,000 x 50 instead of the worker's start-up time.
    const first: TsneFrame = { iteration: 0, iterations: options.iterations, coords: Float32Array.from(initialLayout(data, n, dim, options)), done: false };
    queueMicrotask(() => {
      if (settled) return;
      try {
        onFrame(first);
      } catch (error) {
        finish(() => reject(error));
      }
    });
    const request: TsneRequest = { type: 'run', data: copy, n, dim, options, helper: buffers };
    worker.postMessage(request, [copy.buffer as ArrayBuffer]);
  });
}
