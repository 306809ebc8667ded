// The worker threads that run layouts (t-SNE, its helper, UMAP): one lifecycle for every runner, and
// a small pool of warm workers. Starting a worker costs a few hundred milliseconds (a fresh V8
// isolate that loads the projection modules; from source, tsx compiles them too), which used to be
// paid before every layout: a finished run's workers now wait, idle and unref'd, for the next one,
// and prewarmProjectionWorkers() starts them before the first (the engine calls it when a run's
// latents are first asked for). A cancelled or failed run's workers are terminated, never reused.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { CancelledError } from '../../contract/errors.ts';
import { startWorker, workerEntry, type WorkerEntry } from '../worker-entry.ts';
import { WARMUP, type HelperRequest, type TsneReply, type WarmupRequest } from './tsne-protocol.ts';
import { createHelperBuffers } from './tsne-parallel.ts';
import { neighbourCount, type TsneFrame } from './tsne.ts';

/** The projections' worker entry (LATENT_EXPLORER_TSNE_WORKER overrides where it is). */
export function projectionWorkerEntry(): WorkerEntry {
  return workerEntry('tsne-worker', import.meta.url, process.env.LATENT_EXPLORER_TSNE_WORKER);
}

/** Whether the worker entry exists (a bare source tree without tsx, or a build without it, has none). */
export function projectionWorkerAvailable(): boolean {
  return existsSync(fileURLToPath(projectionWorkerEntry().url));
}

/** At most this many idle workers are kept (a t-SNE run and its helper). */
const POOL_SIZE = 2;
/** After a layout of more points than this the workers are not kept (their heaps held the run). */
export const REUSE_MAX_POINTS = 20_000;

const idle: Worker[] = [];

function forget(worker: Worker): void {
  const at = idle.indexOf(worker);
  if (at >= 0) idle.splice(at, 1);
}

function spawn(): Worker {
  const worker = startWorker(projectionWorkerEntry());
  // A worker that dies while idle leaves the pool; errors while running are the run's to handle.
  worker.on('exit', () => forget(worker));
  worker.on('error', () => forget(worker));
  return worker;
}

/** A warm idle worker if there is one, else a new one. */
export function acquireProjectionWorker(): Worker {
  const worker = idle.pop() ?? spawn();
  worker.ref();
  return worker;
}

/** Back to the pool when `reusable` and there is room (unref'd: an idle worker keeps no process alive), else terminated. */
export function releaseProjectionWorker(worker: Worker, reusable: boolean): void {
  if (reusable && idle.length < POOL_SIZE && !idle.includes(worker)) {
    worker.unref();
    idle.push(worker);
  } else void worker.terminate();
}

/**
 * Starts idle workers up to `count` (default: the pool's size) so the next layout starts warm: each
 * loads the modules, then runs a small t-SNE so that V8 has compiled the hot code (a request that
 * comes meanwhile waits for it, ~0.1-0.2 s).
 */
export function prewarmProjectionWorkers(count = POOL_SIZE): void {
  if (!projectionWorkerAvailable()) return;
  const fresh: Worker[] = [];
  while (idle.length < Math.min(count, POOL_SIZE)) {
    const worker = spawn();
    worker.unref();
    idle.push(worker);
    fresh.push(worker);
  }
  // Two new workers warm up as a t-SNE thread and its helper (the pair a layout of 2,000+ points uses).
  for (let i = 0; i + 1 < fresh.length; i += 2) {
    const buffers = createHelperBuffers(WARMUP.n, WARMUP.dim, neighbourCount(WARMUP.n, WARMUP.perplexity));
    const helper: HelperRequest = { type: 'helper', buffers };
    const warmup: WarmupRequest = { type: 'warmup', helper: buffers };
    fresh[i + 1].postMessage(helper);
    fresh[i].postMessage(warmup);
  }
  if (fresh.length % 2 === 1) fresh[fresh.length - 1].postMessage({ type: 'warmup' } satisfies WarmupRequest);
}

/** Ends the idle workers (tests, shutdown). */
export async function closeProjectionWorkers(): Promise<void> {
  const all = idle.splice(0);
  await Promise.all(all.map((w) => w.terminate()));
}

/** How many workers are idle in the pool (tests). */
export const idleProjectionWorkers = (): number => idle.length;

export interface FollowOptions {
  /** For messages: 't-SNE' or 'UMAP'. */
  name: string;
  signal?: AbortSignal;
  onFrame: (frame: TsneFrame) => void;
  /**
   * A first frame to pass on at once (in a microtask), ahead of the worker's: the t-SNE runner
   * computes the initial layout itself while the worker starts, and the worker's own is then dropped.
   */
  initial?: () => TsneFrame;
  /** Once, when the run ends: `finished` is true only for a run that ended with its final frame. */
  settle: (finished: boolean) => void;
}

/**
 * Follows one run in `worker`: passes its frames on, resolves to the final frame's coordinates,
 * rejects with the worker's error (RangeError kept, a CancelledError when the signal aborts) or
 * when the worker stops. The listeners are removed when the run ends, so the worker can be reused.
 */
export function followProjectionWorker(worker: Worker, options: FollowOptions): Promise<Float32Array> {
  const { name, signal, onFrame, initial, settle } = options;
  return new Promise<Float32Array>((resolve, reject) => {
    let settled = false;
    const finish = (finished: boolean, outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      settle(finished);
      outcome();
    };
    const onAbort = (): void => finish(false, () => reject(new CancelledError(`${name} cancelled`)));
    const onMessage = (reply: TsneReply): void => {
      if (settled) return;
      if (reply.type === 'error') {
        const error = reply.name === 'RangeError' ? new RangeError(reply.message) : reply.name === 'AbortError' ? new CancelledError(`${name} cancelled`) : new Error(reply.message);
        finish(false, () => reject(error));
        return;
      }
      if (initial && reply.frame.iteration === 0 && !reply.frame.done) return;
      try {
        onFrame(reply.frame);
      } catch (error) {
        finish(false, () => reject(error));
        return;
      }
      if (reply.frame.done) finish(true, () => resolve(reply.frame.coords));
    };
    const onError = (error: Error): void => finish(false, () => reject(error));
    const onExit = (code: number): void => finish(false, () => reject(new Error(`${name} worker stopped unexpectedly (exit code ${code})`)));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    if (initial) {
      queueMicrotask(() => {
        if (settled) return;
        try {
          onFrame(initial());
        } catch (error) {
          finish(false, () => reject(error));
        }
      });
    }
  });
}
