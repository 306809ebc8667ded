// UMAP layouts with umap-js (the reference JavaScript port of McInnes et al.'s UMAP), seeded, with
// progress frames and a stop flag. The input neighbours come from our own kNN (exact below
// APPROX_MIN_POINTS, else the random-projection forest + NN-descent t-SNE uses): faster than
// umap-js's own NN-descent, and the same graph the other layouts see. Pure TS: runs in the t-SNE
// worker thread (tsne-protocol.ts) or, without one, in the calling thread.
import { UMAP } from 'umap-js';
import { CancelledError } from '../../contract/errors.ts';
import { umapDefaultEpochs } from '../../contract/explorer.ts';
import { mulberry32 } from '../random.ts';
import { knnAll } from './knn.ts';
import { knnApprox } from './knn-approx.ts';
import { APPROX_MIN_POINTS, type StopFlag, type TsneFrame } from './tsne.ts';

export interface UmapOptions {
  /** Neighbours per point of the fuzzy graph (umap-js's nNeighbors, counting the point itself). Default 15. */
  neighbours?: number;
  /** Smallest distance between points in the layout. Default 0.1. */
  minDist?: number;
  /** Optimisation epochs; default umap-js's schedule (umapDefaultEpochs). */
  epochs?: number;
  seed: number;
  frameIntervalMs?: number;
}

export const umapEpochs = (n: number, options: Pick<UmapOptions, 'epochs'>): number => options.epochs ?? umapDefaultEpochs(n);

export function validateUmapInput(data: ArrayLike<number>, n: number, dim: number, options: UmapOptions): void {
  if (!Number.isInteger(n) || n < 4) throw new RangeError(`UMAP needs at least 4 points (have ${n}).`);
  if (data.length !== n * dim) throw new RangeError(`UMAP input holds ${data.length} values, expected ${n} x ${dim}.`);
  const k = options.neighbours ?? 15;
  if (!Number.isInteger(k) || k < 2 || k > 200) throw new RangeError(`neighbours must be a whole number from 2 to 200 (got ${k}).`);
  const d = options.minDist ?? 0.1;
  if (!(d >= 0 && d <= 1)) throw new RangeError(`minDist must be between 0 and 1 (got ${d}).`);
  if (options.epochs !== undefined && (!Number.isInteger(options.epochs) || options.epochs < 10 || options.epochs > 5000)) throw new RangeError(`epochs must be a whole number from 10 to 5000 (got ${options.epochs}).`);
  if (!Number.isInteger(options.seed) || options.seed < 0) throw new RangeError(`seed must be a whole number >= 0 (got ${options.seed}).`);
}

/** The fuzzy graph's neighbours in umap-js's form: each row starts with the point itself at distance 0. */
export function umapNeighbours(data: ArrayLike<number>, n: number, dim: number, k: number, seed: number, signal?: StopFlag): { indices: number[][]; distances: number[][] } {
  const others = Math.min(k - 1, n - 1);
  const knn = n >= APPROX_MIN_POINTS ? knnApprox(data, n, dim, others, seed, signal) : knnAll(data, n, dim, others, seed, signal);
  const indices: number[][] = new Array(n);
  const distances: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const idx = [i];
    const dist = [0];
    for (let j = 0; j < others; j++) {
      idx.push(knn.indices[i * others + j]);
      dist.push(Math.sqrt(knn.distances[i * others + j]));
    }
    indices[i] = idx;
    distances[i] = dist;
  }
  return { indices, distances };
}

function flat(embedding: number[][]): Float32Array {
  const out = new Float32Array(embedding.length * 2);
  for (let i = 0; i < embedding.length; i++) {
    out[2 * i] = embedding[i][0];
    out[2 * i + 1] = embedding[i][1];
  }
  return out;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Runs UMAP in the calling thread: a frame after the neighbour graph (iteration 0, the random start),
 * one at most every frameIntervalMs while it optimises, and the final layout (done: true), which it
 * returns. Throws a CancelledError when the stop flag is raised.
 */
export function umap(data: ArrayLike<number>, n: number, dim: number, options: UmapOptions, onFrame?: (frame: TsneFrame) => void, signal?: StopFlag): Float32Array {
  validateUmapInput(data, n, dim, options);
  const k = Math.min(options.neighbours ?? 15, n - 1);
  const epochs = umapEpochs(n, options);
  const interval = options.frameIntervalMs ?? 100;
  const model = new UMAP({ nComponents: 2, nNeighbors: k, minDist: options.minDist ?? 0.1, nEpochs: epochs, random: mulberry32(options.seed) });
  const { indices, distances } = umapNeighbours(data, n, dim, k, options.seed, signal);
  if (signal?.aborted) throw new CancelledError('UMAP cancelled');
  model.setPrecomputedKNN(indices, distances);
  // umap-js also builds a search graph for transform() (placing new points), which we do not use:
  // its sparse matrices key entries by strings, so skipping it saves a good part of the set-up.
  (model as unknown as { makeSearchGraph: () => null }).makeSearchGraph = () => null;
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from({ length: dim }, (_, d) => data[i * dim + d]);
  const total = model.initializeFit(rows);
  onFrame?.({ iteration: 0, iterations: total, coords: flat(model.getEmbedding()), done: false });
  let last = now();
  for (let epoch = 1; epoch <= total; epoch++) {
    if (signal?.aborted) throw new CancelledError('UMAP cancelled');
    model.step();
    if (onFrame && epoch < total && now() - last >= interval) {
      onFrame({ iteration: epoch, iterations: total, coords: flat(model.getEmbedding()), done: false });
      last = now();
    }
  }
  const coords = flat(model.getEmbedding());
  onFrame?.({ iteration: total, iterations: total, coords, done: true });
  return coords;
}
