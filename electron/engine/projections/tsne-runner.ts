// Runs t-SNE off the engine's main thread in a node:worker_threads Worker: the engine holds the
// latent means, and the CLI, the browser host and the Electron shell all reach t-SNE through it.
// A worker thread (rather than a renderer Web Worker) keeps one implementation for all three hosts
// and keeps the N x D vectors out of the renderer; only the N x 2 frames travel to the UI.
//
// Cancellation terminates the worker, so it stops at once even inside the neighbour search. Workers
// that finished a run wait warm for the next one (projection-worker.ts).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { newInitialLayoutSlot, putInitialLayout, type HelperRequest, type TsneRequest } from './tsne-protocol.ts';
import { createHelperBuffers, HelperLink } from './tsne-parallel.ts';
import { CancelledError } from '../../contract/errors.ts';
import type { WorkerEntry } from '../worker-entry.ts';
import { acquireProjectionWorker, followProjectionWorker, projectionWorkerAvailable, projectionWorkerEntry, releaseProjectionWorker, REUSE_MAX_POINTS } from './projection-worker.ts';
import { initialLayout, neighbourCount, validateTsneInput, type TsneFrame, type TsneOptions } from './tsne.ts';

export type { TsneFrame, TsneOptions } from './tsne.ts';

/** The t-SNE worker's entry (LATENT_EXPLORER_TSNE_WORKER overrides where it is). */
export function tsneWorkerEntry(): WorkerEntry {
  return projectionWorkerEntry();
}

/** Below this many points a second thread costs more than it saves. */
export const PARALLEL_MIN_POINTS = 2000;

export interface RunTsneSettings {
  /** Threads to use: 1, or 2 (a helper thread takes half the neighbour search and the repulsion). Default: 2 on a machine with 2+ cores. */
  threads?: number;
}

/**
 * Runs t-SNE in a worker thread (plus a helper thread on 2+ cores for N >= 2,000). onFrame gets the
 * initial layout at once (before the neighbour search), then a layout after the first few
 * iterations and about every 100 ms after that, then the final one (done: true), which the promise
 * also resolves to. The result does not depend on the number of threads. Rejects with a
 * CancelledError when the signal aborts, and with a RangeError for unusable input or options.
 */
export async function runTsne(
  data: Float32Array,
  n: number,
  dim: number,
  options: TsneOptions,
  onFrame: (frame: TsneFrame) => void,
  signal?: AbortSignal,
  settings: RunTsneSettings = {},
): Promise<Float32Array> {
  if (signal?.aborted) throw new CancelledError('t-SNE cancelled');
  validateTsneInput(data, n, dim, options);
  if (!projectionWorkerAvailable()) {
    throw new Error(`t-SNE worker not found at ${fileURLToPath(projectionWorkerEntry().url)} (build the worker entry or set LATENT_EXPLORER_TSNE_WORKER)`);
  }
  const threads = settings.threads ?? (availableParallelism() >= 2 ? 2 : 1);
  const buffers = threads >= 2 && n >= PARALLEL_MIN_POINTS ? createHelperBuffers(n, dim, neighbourCount(n, options.perplexity)) : undefined;
  const worker = acquireProjectionWorker();
  const helper = buffers ? acquireProjectionWorker() : null;
  // A helper that dies only costs speed: the t-SNE thread is woken and works alone.
  let running = true;
  const lost = (): void => {
    if (running && buffers) HelperLink.markFailed(buffers);
  };
  if (helper && buffers) {
    helper.on('error', lost);
    helper.on('exit', lost);
    const helperRequest: HelperRequest = { type: 'helper', buffers };
    helper.postMessage(helperRequest);
  }
  const settle = (finished: boolean): void => {
    running = false;
    const reusable = finished && n <= REUSE_MAX_POINTS;
    releaseProjectionWorker(worker, reusable);
    if (helper) {
      helper.off('error', lost);
      helper.off('exit', lost);
      // The t-SNE thread tells the helper to leave its command loop right after the final frame; a
      // next request waits in the helper's queue until then.
      releaseProjectionWorker(helper, reusable);
    }
  };
  // A copy is transferred so the caller's array stays usable.
  const copy = data.slice();
  const slot = newInitialLayoutSlot(n);
  const request: TsneRequest = { type: 'run', data: copy, n, dim, options, helper: buffers, initial: slot };
  worker.postMessage(request, [copy.buffer as ArrayBuffer]);
  return followProjectionWorker(worker, {
    name: 't-SNE',
    signal,
    onFrame,
    // The first frame at once (the PCA initialisation), computed here while the worker searches the
    // neighbours: ~30 ms at 10,000 x 50 instead of the worker's start-up time. The worker takes it
    // from the slot when it needs it instead of computing it a second time.
    initial: () => {
      const y = initialLayout(data, n, dim, options);
      putInitialLayout(slot, y);
      return { iteration: 0, iterations: options.iterations, coords: Float32Array.from(y), done: false };
    },
    settle,
  });
}
