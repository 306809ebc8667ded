// Large imports decode in worker threads, one per core: the fast paths (fast-decode.ts) are
// synchronous JS and WebAssembly, so on the engine's thread they would use one core and stall every
// other request (Cancel included) for the length of the import. Files the workers decline come back
// for sharp, which runs on libuv's thread pool from the engine's thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerEntry } from '../worker-entry.ts';
import type { DecodeTarget } from './fast-decode.ts';
import type { DecodeChunk, DecodedChunk } from './decode-worker.ts';

/** Files per message: large enough that messaging costs nothing, small enough for smooth progress. */
const CHUNK = 128;
/** Chunks queued per worker, so a worker never waits for the engine's thread between chunks. */
const IN_FLIGHT = 2;

/**
 * Decodes `paths` in `threads` workers. onChunk(start, chunk) gets each chunk's results as they come
 * (chunk i covers paths[start, start + chunk length)). Rejects with the signal's reason when it
 * aborts (workers are terminated at once), or when a worker fails.
 */
export function decodeInWorkers(
  paths: string[],
  target: DecodeTarget,
  threads: number,
  onChunk: (start: number, chunk: DecodedChunk) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = workerEntry('decode-worker', import.meta.url, process.env.LATENT_EXPLORER_DECODE_WORKER);
    if (!existsSync(fileURLToPath(entry.url))) return reject(new Error(`decode worker not found at ${fileURLToPath(entry.url)}`));
    const chunks = Math.ceil(paths.length / CHUNK);
    const workers: Worker[] = [];
    let sent = 0;
    let received = 0;
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => finish(signal!.reason);
    if (signal?.aborted) return finish(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const send = (worker: Worker) => {
      if (sent >= chunks) return;
      const id = sent++;
      const message: DecodeChunk = { id, target, paths: paths.slice(id * CHUNK, (id + 1) * CHUNK) };
      worker.postMessage(message);
    };
    for (let t = 0; t < Math.max(1, Math.min(threads, chunks)); t++) {
      const worker = startWorker(entry);
      workers.push(worker);
      worker.on('message', (reply: DecodedChunk) => {
        if (finished) return;
        try {
          onChunk(reply.id * CHUNK, reply);
        } catch (error) {
          return finish(error);
        }
        if (++received === chunks) return finish();
        send(worker);
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => finish(new Error(`decode worker stopped unexpectedly (exit code ${code})`)));
      for (let k = 0; k < IN_FLIGHT; k++) send(worker);
    }
  });
}
