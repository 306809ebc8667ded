// Messages between the t-SNE runner and its workers, and the worker-side handlers. Pure TS (no Node
// imports): the same handlers serve Node worker_threads (tsne-worker.ts) or browser Web Workers.
import { initialLayout, tsne, type TsneFrame, type TsneOptions } from './tsne.ts';
import { HelperLink, serveHelper, type HelperBuffers } from './tsne-parallel.ts';
import type { UmapOptions } from './umap.ts';
import { mulberry32 } from '../random.ts';

/** To the t-SNE worker: run one layout. */
export interface TsneRequest {
  type: 'run';
  /** N x dim, row-major; transferred to the worker. */
  data: Float32Array;
  n: number;
  dim: number;
  options: TsneOptions;
  /** Buffers shared with a helper worker, when the runner started one. */
  helper?: HelperBuffers;
  /**
   * Where the runner puts the starting layout (newInitialLayoutSlot), which it computes itself to
   * show at once: the worker takes it after the neighbour search instead of computing it again.
   */
  initial?: SharedArrayBuffer;
}

/** To the worker: run one UMAP layout (the same worker entry serves both layouts). */
export interface UmapRequest {
  type: 'umap';
  /** N x dim, row-major; transferred to the worker. */
  data: Float32Array;
  n: number;
  dim: number;
  options: UmapOptions;
}

/** To the helper worker: serve commands on these buffers until told to exit. */
export interface HelperRequest {
  type: 'helper';
  buffers: HelperBuffers;
}

/**
 * To a new idle worker: run a small t-SNE now, so that the first real layout finds the hot code
 * already compiled (its first iterations otherwise run 2-3x slower, before V8 optimises them).
 */
export interface WarmupRequest {
  type: 'warmup';
  /** Buffers shared with a second new worker sent a HelperRequest on them: the pair warms up together. */
  helper?: HelperBuffers;
}

export type TsneReply =
  | { type: 'frame'; frame: TsneFrame }
  | { type: 'error'; name: string; message: string };

export type PostReply = (reply: TsneReply, transfer: ArrayBuffer[]) => void;

/** How long a worker waits for the runner's starting layout before computing it itself (the same layout). */
const INITIAL_LAYOUT_WAIT_MS = 2000;

/** A slot for one N x 2 starting layout: an Int32 flag (1 when written), then 2N float64. */
export function newInitialLayoutSlot(n: number): SharedArrayBuffer {
  return new SharedArrayBuffer(8 + 16 * n);
}

/** Writes the layout into the slot and wakes a worker waiting for it. */
export function putInitialLayout(slot: SharedArrayBuffer, y: Float64Array): void {
  new Float64Array(slot, 8, y.length).set(y);
  const flag = new Int32Array(slot, 0, 1);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/** The slot's layout, waiting up to waitMs for it; `compute` gives it otherwise. */
export function takeInitialLayout(slot: SharedArrayBuffer, n: number, compute: () => Float64Array, waitMs = INITIAL_LAYOUT_WAIT_MS): Float64Array {
  const flag = new Int32Array(slot, 0, 1);
  if (Atomics.load(flag, 0) !== 1) Atomics.wait(flag, 0, 0, waitMs);
  return Atomics.load(flag, 0) === 1 ? new Float64Array(slot, 8, 2 * n) : compute();
}

/** Runs one request to completion, posting frames (coords transferred) and the final frame, or an error. */
export function serveTsneRequest(request: TsneRequest, post: PostReply): void {
  const helper = request.helper ? new HelperLink(request.helper) : undefined;
  const { data, n, dim, options, initial: slot } = request;
  const initial = slot ? () => takeInitialLayout(slot, n, () => initialLayout(data, n, dim, options)) : undefined;
  try {
    tsne(data, n, dim, options, (frame) => {
      post({ type: 'frame', frame }, [frame.coords.buffer as ArrayBuffer]);
    }, undefined, helper, initial);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'error', name: e.name, message: e.message }, []);
  } finally {
    helper?.close();
  }
}

export function serveHelperRequest(request: HelperRequest): void {
  serveHelper(request.buffers);
}

/** Points, dimensions, perplexity and iterations of the warm-up run (~0.1-0.2 s of one core). */
export const WARMUP = { n: 800, dim: 50, perplexity: 10, iterations: 20 };

/**
 * A t-SNE of random points through every stage a layout runs (approximate neighbours, calibration,
 * symmetrisation, tree repulsion and attraction, steps). With `helper` buffers it runs as a real
 * layout does on two threads, so that both the t-SNE thread's shared-memory paths and the helper's
 * commands are compiled (alone, a prewarmed pair's first layout still met them cold: ~1.0 s to its
 * first frame at 10,000 points against ~0.8 s in workers that had run a layout).
 */
export function serveWarmup(request: WarmupRequest = { type: 'warmup' }): void {
  const rand = mulberry32(1);
  const { n, dim, perplexity, iterations } = WARMUP;
  const data = Float32Array.from({ length: n * dim }, () => rand());
  const helper = request.helper ? new HelperLink(request.helper) : undefined;
  try {
    tsne(data, n, dim, { perplexity, iterations, seed: 1, neighbours: 'approximate' }, undefined, undefined, helper);
  } finally {
    helper?.close();
  }
}
