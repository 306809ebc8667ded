// The worker-thread runner: frames, the same result as in process (with one or two threads),
// cancellation at any moment, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { runTsne, tsneWorkerEntry } from '../../electron/engine/projections/tsne-runner.ts';
import { acquireProjectionWorker, closeProjectionWorkers, idleProjectionWorkers, prewarmProjectionWorkers, releaseProjectionWorker } from '../../electron/engine/projections/projection-worker.ts';
import { createHelperBuffers } from '../../electron/engine/projections/tsne-parallel.ts';
import { FIRST_FRAME_ITERATIONS, neighbourCount, tsne, type TsneFrame } from '../../electron/engine/projections/tsne.ts';
import { pca } from '../../electron/engine/projections/pca.ts';
import { newInitialLayoutSlot, putInitialLayout, serveWarmup, takeInitialLayout, WARMUP } from '../../electron/engine/projections/tsne-protocol.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { withoutTsx } from '../../electron/engine/worker-entry.ts';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ENGINE_V8_FLAGS } from '../../electron/host/engine-flags.ts';

let data: Float32Array; // PCA-50 of the first 2,500 sample digits
const N = 2500;
beforeAll(() => {
  const ds = loadSampleMnist();
  data = pca(ds.images.pixels.subarray(0, N * 784), N, 784, 50).projected;
});

describe('t-SNE worker runner', () => {
  it('starts the worker from its TypeScript source compiled into one JavaScript file, without tsx', () => {
    const entry = tsneWorkerEntry();
    expect(entry.url.pathname).toMatch(/node_modules\/\.cache\/latent-explorer\/tsne-worker-[0-9a-f]{16}\.mjs$/);
    expect(entry.bootstrap).toBeUndefined();
    // our modules are inside it; packages are imported from node_modules
    const code = readFileSync(entry.url, 'utf8');
    expect(code).not.toMatch(/from\s*["']\.\.?\//);
    expect(code).toMatch(/function tsne\b/);
    // the parent's tsx hooks are not passed on to it; Node's other options are
    expect(withoutTsx(['--expose-gc', '--import', 'tsx', '--max-semi-space-size=4', '--import=tsx', '--require', '/p/node_modules/tsx/dist/cjs/index.cjs', '--import', './other.mjs'])).toEqual([
      '--expose-gc',
      '--max-semi-space-size=4',
      '--import',
      './other.mjs',
    ]);
  });

  it("compiled workers start in a process with the engine's V8 flags, which a worker refuses as options of its own", () => {
    // the import's decoders fell back to one thread, and training's workers to none, while they were passed on
    for (const [name, caller] of [
      ['decode-worker', 'electron/engine/datasets/decode-pool.ts'],
      ['train-worker', 'electron/engine/training/parallel/stepper.ts'],
      ['tsne-worker', 'electron/engine/projections/projection-worker.ts'],
    ]) {
      const r = spawnSync(process.execPath, [...ENGINE_V8_FLAGS, '--import', 'tsx', 'tests/unit/helpers/start-worker.ts', name, caller], { encoding: 'utf8' });
      expect(r.stdout.trim(), `${name}: ${r.stderr}`).toBe('replied');
    }
  });

  it('streams frames and resolves to the same layout as the in-process run, with one or two threads', async () => {
    const options = { perplexity: 30, iterations: 300, seed: 3 };
    const expected = tsne(data, N, 50, options);
    // Approximate neighbours (used from 5,000 points): the two threads split the rows, same result.
    const approximate = { perplexity: 30, iterations: 60, seed: 3, neighbours: 'approximate' as const };
    const expectedApprox = tsne(data, N, 50, approximate);
    expect(Array.from(expectedApprox)).not.toEqual(Array.from(tsne(data, N, 50, { ...approximate, neighbours: 'exact' })));
    for (const threads of [1, 2]) expect(Array.from(await runTsne(data, N, 50, approximate, () => {}, undefined, { threads }))).toEqual(Array.from(expectedApprox));
    for (const threads of [1, 2]) {
      const frames: TsneFrame[] = [];
      const result = await runTsne(data, N, 50, options, (f) => frames.push(f), undefined, { threads });
      expect(frames[0].iteration).toBe(0);
      expect(frames[0].coords.length).toBe(2 * N);
      const last = frames[frames.length - 1];
      expect(last.done).toBe(true);
      expect(last.iteration).toBe(300);
      expect(frames.slice(0, -1).every((f) => !f.done)).toBe(true);
      expect(Array.from(result)).toEqual(Array.from(expected));
    }
    // The caller's array was copied, not transferred away.
    expect(data.length).toBe(N * 50);
  });

  it('cancels during the neighbour search and during the optimisation', async () => {
    for (const after of ['first frame', 'iteration 50']) {
      const controller = new AbortController();
      let frames = 0;
      let framesAfterAbort = 0;
      const run = runTsne(data, N, 50, { perplexity: 30, iterations: 5000, seed: 1, frameIntervalMs: 0 }, (f) => {
        if (controller.signal.aborted) framesAfterAbort++;
        frames++;
        if (after === 'first frame' || f.iteration >= 50) controller.abort();
      }, controller.signal);
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      expect(frames).toBeGreaterThan(0);
      expect(framesAfterAbort).toBe(0);
    }
  });

  it('sends the first optimised frame after a few iterations, not a whole frame interval later', async () => {
    const frames: TsneFrame[] = [];
    await runTsne(data.subarray(0, 600 * 50), 600, 50, { perplexity: 30, iterations: 60, seed: 1, frameIntervalMs: 60_000 }, (f) => frames.push(f));
    expect(frames.map((f) => f.iteration)).toEqual([0, FIRST_FRAME_ITERATIONS, 60]);
  });

  it('keeps a finished run\'s workers warm for the next layout, and ends a cancelled run\'s', async () => {
    await closeProjectionWorkers();
    expect(idleProjectionWorkers()).toBe(0);
    await runTsne(data, N, 50, { perplexity: 30, iterations: 20, seed: 1 }, () => {}, undefined, { threads: 2 });
    // The t-SNE thread and its helper wait for the next run, and serve it with the same result.
    expect(idleProjectionWorkers()).toBe(2);
    const again = await runTsne(data, N, 50, { perplexity: 30, iterations: 20, seed: 1 }, () => {}, undefined, { threads: 2 });
    expect(idleProjectionWorkers()).toBe(2);
    expect(Array.from(again)).toEqual(Array.from(tsne(data, N, 50, { perplexity: 30, iterations: 20, seed: 1 })));
    const controller = new AbortController();
    const run = runTsne(data, N, 50, { perplexity: 30, iterations: 5000, seed: 1 }, (f) => {
      if (f.iteration >= 1) controller.abort();
    }, controller.signal, { threads: 2 });
    expect(idleProjectionWorkers()).toBe(0);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(idleProjectionWorkers()).toBe(0);
    // Prewarmed workers (which run a small warm-up layout first) serve the next run, same result.
    prewarmProjectionWorkers();
    expect(idleProjectionWorkers()).toBe(2);
    const prewarmed = await runTsne(data, N, 50, { perplexity: 30, iterations: 20, seed: 1 }, () => {}, undefined, { threads: 2 });
    expect(Array.from(prewarmed)).toEqual(Array.from(again));
    expect(idleProjectionWorkers()).toBe(2);
    await closeProjectionWorkers();
  });

  it('warms a new pair up as a t-SNE thread and its helper, and the helper is free for a layout afterwards', async () => {
    await closeProjectionWorkers();
    const worker = acquireProjectionWorker();
    const buffers = createHelperBuffers(WARMUP.n, WARMUP.dim, neighbourCount(WARMUP.n, WARMUP.perplexity));
    worker.postMessage({ type: 'helper', buffers });
    const control = new Int32Array(buffers.control);
    Atomics.wait(control, 3, 0, 30_000); // READY: the helper worker has started (it may be slow to, under load)
    serveWarmup({ type: 'warmup', helper: buffers });
    expect(Atomics.load(control, 2)).toBeGreaterThan(0); // DONE: the helper served the warm-up's commands
    // It left its helper loop: as the pool's only worker it runs the next layout (a stuck one would hang here).
    releaseProjectionWorker(worker, true);
    const coords = await runTsne(data, N, 50, { perplexity: 30, iterations: 20, seed: 1 }, () => {}, undefined, { threads: 1 });
    expect(Array.from(coords)).toEqual(Array.from(tsne(data, N, 50, { perplexity: 30, iterations: 20, seed: 1 })));
    await closeProjectionWorkers();
  });

  it('hands the runner\'s starting layout to the worker, which computes it itself if it never comes', () => {
    const slot = newInitialLayoutSlot(3);
    const computed = Float64Array.from([9, 9, 9, 9, 9, 9]);
    expect(Array.from(takeInitialLayout(slot, 3, () => computed, 0))).toEqual(Array.from(computed));
    putInitialLayout(slot, Float64Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(takeInitialLayout(slot, 3, () => computed, 0))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects at once when the signal is already aborted, and explains bad input', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runTsne(data, N, 50, { perplexity: 30, iterations: 10, seed: 1 }, () => {}, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(runTsne(data.subarray(0, 20 * 50), 20, 50, { perplexity: 30, iterations: 10, seed: 1 }, () => {})).rejects.toThrow(/perplexity 30 is too large for 20 points/);
  });

  it('rejects when the frame handler throws', async () => {
    await expect(
      runTsne(data.subarray(0, 500 * 50), 500, 50, { perplexity: 30, iterations: 100, seed: 1 }, () => {
        throw new Error('view closed');
      }),
    ).rejects.toThrow('view closed');
  });
});
