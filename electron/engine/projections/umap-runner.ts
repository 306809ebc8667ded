// Runs a UMAP layout off the engine's main thread, in the t-SNE worker entry (one bundled worker file
// serves both layouts). Cancellation terminates the worker, so it stops at once, also inside the
// neighbour search. Without a built worker entry it runs in this thread (tests of a bare source tree).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CancelledError } from '../../contract/errors.ts';
import { startWorker } from '../worker-entry.ts';
import type { TsneReply, UmapRequest } from './tsne-protocol.ts';
import { tsneWorkerEntry } from './tsne-runner.ts';
import type { TsneFrame } from './tsne.ts';
import { umap, validateUmapInput, type UmapOptions } from './umap.ts';

export function runUmap(data: Float32Array, n: number, dim: number, options: UmapOptions, onFrame: (frame: TsneFrame) => void, signal?: AbortSignal): Promise<Float32Array> {
  return new Promise<Float32Array>((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('UMAP cancelled'));
    try {
      validateUmapInput(data, n, dim, options);
    } catch (error) {
      return reject(error);
    }
    const entry = tsneWorkerEntry();
    if (!existsSync(fileURLToPath(entry.url))) {
      try {
        resolve(umap(data, n, dim, options, onFrame, signal));
      } catch (error) {
        reject(error);
      }
      return;
    }
    const worker = startWorker(entry);
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const onAbort = (): void => finish(() => reject(new CancelledError('UMAP cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: TsneReply) => {
      if (settled) return;
      if (reply.type === 'error') {
        finish(() => reject(reply.name === 'RangeError' ? new RangeError(reply.message) : new Error(reply.message)));
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
    worker.on('exit', (code) => finish(() => reject(new Error(`UMAP worker stopped unexpectedly (exit code ${code})`))));
    const copy = data.slice();
    const request: UmapRequest = { type: 'umap', data: copy, n, dim, options };
    worker.postMessage(request, [copy.buffer as ArrayBuffer]);
  });
}
