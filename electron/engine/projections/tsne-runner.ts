// Runs t-SNE off the engine's main thread in a node:worker_threads Worker: the engine holds the
// latent means, and the CLI, the browser host and the Electron shell all reach t-SNE through it.
// A worker thread (rather than a renderer Web Worker) keeps one implementation for all three hosts
// and keeps the N x D vectors out of the renderer; only the N x 2 frames travel to the UI.
//
// Cancellation terminates the worker, so it stops at once even inside the neighbour search.
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import type { HelperRequest, TsneRequest, TsneReply } from './tsne-protocol.ts';
import { createHelperBuffers, HelperLink } from './tsne-parallel.ts';
import { initialLayout, neighbourCount, TsneAbortError, validateTsneInput, type TsneFrame, type TsneOptions } from './tsne.ts';

export type { TsneFrame, TsneOptions } from './tsne.ts';
export { TsneAbortError } from './tsne.ts';

interface WorkerEntry {
  /** The worker's entry file (tsne-worker.ts from source, tsne-worker.js in a bundle). */
  url: URL;
  /** From source: a bootstrap evaluated in the worker that registers tsx, then imports `url`. */
  bootstrap?: string;
}

/**
 * From source (tsx, vitest) the entry is tsne-worker.ts. Node 20 does not apply loader hooks given
 * as `--import tsx` in a worker's execArgv to the worker's own entry (verified: "Unknown file
 * extension .ts"), so the worker starts from a small evaluated bootstrap that registers tsx through
 * its API and then imports the entry. In a bundle the entry is the compiled tsne-worker.js next to
 * this chunk (or one folder up). LATENT_EXPLORER_TSNE_WORKER overrides the location.
 */
export function tsneWorkerEntry(): WorkerEntry {
  const override = process.env.LATENT_EXPLORER_TSNE_WORKER;
  const fromSource = import.meta.url.endsWith('.ts');
  let url: URL;
  if (override) url = pathToFileURL(override);
  else if (fromSource) url = new URL('./tsne-worker.ts', import.meta.url);
  else {
    // Bundled: next to this chunk, or one folder up when the bundler put this code in a chunks/ folder.
    const candidates = [new URL('./tsne-worker.js', import.meta.url), new URL('../tsne-worker.js', import.meta.url)];
    url = candidates.find((c) => existsSync(fileURLToPath(c))) ?? candidates[0];
  }
  if (!url.pathname.endsWith('.ts')) return { url };
  const api = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return { url, bootstrap };
}

/** file: URL of tsx's ESM API ('tsx/esm/api', import condition), read from tsx's own exports map. */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, unknown> };
  const entry = manifest.exports['./esm/api'] as { import: { default: string } };
  return pathToFileURL(join(dirname(manifestPath), entry.import.default)).href;
}

/** Below this many points a second thread costs more than it saves. */
export const PARALLEL_MIN_POINTS = 2000;

export interface RunTsneSettings {
  /** Threads to use: 1, or 2 (a helper thread takes half the neighbour search and the repulsion). Default: 2 on a machine with 2+ cores. */
  threads?: number;
}

function startWorker(entry: WorkerEntry): Worker {
  // execArgv [] for the bootstrap: an inherited `--import tsx` would register tsx a second time.
  return entry.bootstrap ? new Worker(entry.bootstrap, { eval: true, execArgv: [] }) : new Worker(entry.url);
}

/**
 * Runs t-SNE in a worker thread (plus a helper thread on 2+ cores for N >= 2,000). onFrame gets the
 * initial layout at once (before the neighbour search), then a layout about every 100 ms, then the
 * final one (done: true), which the promise also resolves to. The result does not depend on the
 * number of threads. Rejects with a TsneAbortError (name 'AbortError') when the signal aborts, and
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
    if (signal?.aborted) return reject(new TsneAbortError());
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
    const onAbort = (): void => finish(() => reject(new TsneAbortError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: TsneReply) => {
      if (settled) return;
      // The initial layout already went out (below), computed here before the worker started.
      if (reply.type === 'frame' && reply.frame.iteration === 0 && !reply.frame.done) return;
      if (reply.type === 'error') {
        const error = reply.name === 'RangeError' ? new RangeError(reply.message) : reply.name === 'AbortError' ? new TsneAbortError() : new Error(reply.message);
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
