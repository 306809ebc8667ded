// Runs a UMAP layout off the engine's main thread, in the projections' worker entry (one bundled
// worker file serves both layouts; projection-worker.ts owns the workers' lifecycle). Cancellation
// terminates the worker, so it stops at once, also inside the neighbour search. Without a built
// worker entry it runs in this thread (tests of a bare source tree).
import { CancelledError } from '../../contract/errors.ts';
import type { UmapRequest } from './tsne-protocol.ts';
import { acquireProjectionWorker, followProjectionWorker, projectionWorkerAvailable, releaseProjectionWorker, REUSE_MAX_POINTS } from './projection-worker.ts';
import type { TsneFrame } from './tsne.ts';
import { umap, validateUmapInput, type UmapOptions } from './umap.ts';

export async function runUmap(data: Float32Array, n: number, dim: number, options: UmapOptions, onFrame: (frame: TsneFrame) => void, signal?: AbortSignal): Promise<Float32Array> {
  if (signal?.aborted) throw new CancelledError('UMAP cancelled');
  validateUmapInput(data, n, dim, options);
  if (!projectionWorkerAvailable()) return umap(data, n, dim, options, onFrame, signal);
  const worker = acquireProjectionWorker();
  const copy = data.slice();
  const request: UmapRequest = { type: 'umap', data: copy, n, dim, options };
  worker.postMessage(request, [copy.buffer as ArrayBuffer]);
  return followProjectionWorker(worker, { name: 'UMAP', signal, onFrame, settle: (finished) => releaseProjectionWorker(worker, finished && n <= REUSE_MAX_POINTS) });
}
