// Approximate k-nearest neighbours for t-SNE's input affinities, as openTSNE does for large N
// (there with Annoy or pynndescent): a forest of random-projection trees gives every point a few
// hundred candidates, then rounds of NN-descent ("a neighbour of my neighbour is likely my
// neighbour", Dong et al. 2011) refine the lists. Exact search costs O(N^2 D); this costs about
// O(N (T L + R m^2) D) for T trees with leaves of L points and R refinement rounds over the m nearest
// neighbours' m nearest neighbours.
//
// Every row is computed from the forest (or the previous round's graph) alone, so rows can be split
// between threads (share = [part, parts]) and the result does not depend on the number of threads.
// Pure TS over typed arrays: runs in Node, worker threads and Web Workers.
import { mulberry32 } from '../random.ts';
import { CancelledError } from '../../contract/errors.ts';
import type { KnnResult } from './knn.ts';

export interface ApproxKnnOptions {
  /** Random-projection trees (more: higher recall, slower). */
  trees: number;
  /** Largest leaf; a point's candidates are the union of its leaves. */
  leafSize: number;
  /** NN-descent rounds after the forest. */
  rounds: number;
  /** Neighbours of neighbours joined per round: the m nearest of each of the m nearest. */
  joinWidth: number;
}

/** Measured on PCA-50 digits and Fashion-MNIST with k = 90 (see README): recall ~0.99 at ~1/10 of the exact cost at 70,000. */
export const DEFAULT_APPROX: ApproxKnnOptions = { trees: 8, leafSize: 96, rounds: 1, joinWidth: 16 };

/** Rows (float64, centred) every thread reads; in a SharedArrayBuffer when threads share them. */
export interface ApproxRows {
  n: number;
  dim: number;
  x: Float64Array;
}

/**
 * Centres the data into rows.x with its dimensions ordered by decreasing variance, so that a partial
 * distance passes the current k-th distance early and its computation can stop (sqDistBelow).
 */
export function fillApproxRows(data: ArrayLike<number>, rows: ApproxRows): void {
  const { n, dim, x } = rows;
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) mean[c] += data[r * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= n;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < dim; c++) {
      const d = data[r * dim + c] - mean[c];
      variance[c] += d * d;
    }
  }
  const order = Array.from({ length: dim }, (_, c) => c).sort((a, b) => variance[b] - variance[a] || a - b);
  for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) x[r * dim + c] = data[r * dim + order[c]] - mean[order[c]];
}

/** One tree of the forest: a permutation of the points cut into leaves. */
export interface RpTree {
  order: Int32Array;
  /** Point -> start of its leaf in order; leafEnd gives the end. */
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

/**
 * A random-projection tree (Annoy's split): two random points of a range define the hyperplane
 * halfway between them; points fall on either side. A degenerate split (all on one side) halves the
 * range at random instead.
 */
function buildRpTree(rows: ApproxRows, leafSize: number, seed: number, into?: RpTree): RpTree {
  const { n, dim, x } = rows;
  const rand = mulberry32(seed);
  const order = into?.order ?? new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const leafStart = into?.leafStart ?? new Int32Array(n);
  const leafEnd = into?.leafEnd ?? new Int32Array(n);
  const side = new Float64Array(n);
  const normal = new Float64Array(dim);
  const stack: number[] = [0, n];
  while (stack.length > 0) {
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    if (hi - lo <= leafSize) {
      for (let p = lo; p < hi; p++) {
        leafStart[order[p]] = lo;
        leafEnd[order[p]] = hi;
      }
      continue;
    }
    const count = hi - lo;
    const a = order[lo + Math.floor(rand() * count)];
    let b = order[lo + Math.floor(rand() * count)];
    for (let tries = 0; b === a && tries < 8; tries++) b = order[lo + Math.floor(rand() * count)];
    let offset = 0;
    for (let c = 0; c < dim; c++) {
      const va = x[a * dim + c];
      const vb = x[b * dim + c];
      normal[c] = va - vb;
      offset += (va - vb) * (va + vb) * 0.5;
    }
    for (let p = lo; p < hi; p++) {
      const o = order[p] * dim;
      let s = -offset;
      for (let c = 0; c < dim; c++) s += normal[c] * x[o + c];
      side[order[p]] = s;
    }
    // Partition: negative margins first.
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      if (side[order[i]] < 0) i++;
      else {
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
        j--;
      }
    }
    let mid = i;
    if (mid - lo < 1 || hi - mid < 1) {
      // Degenerate (duplicates, or a = b): shuffle and halve.
      for (let p = hi - 1; p > lo; p--) {
        const q = lo + Math.floor(rand() * (p - lo + 1));
        const t = order[p];
        order[p] = order[q];
        order[q] = t;
      }
      mid = (lo + hi) >> 1;
    }
    stack.push(lo, mid, mid, hi);
  }
  return { order, leafStart, leafEnd };
}

export function buildForest(rows: ApproxRows, options: ApproxKnnOptions, seed: number): RpTree[] {
  return Array.from({ length: options.trees }, (_, t) => buildRpTree(rows, options.leafSize, seed * 7919 + t + 1));
}

/** Builds the trees t of `share` ([part, parts]: t % parts === part) into the given storage (shared between threads). */
export function buildTreesInto(rows: ApproxRows, options: ApproxKnnOptions, seed: number, forest: RpTree[], share: [number, number]): void {
  for (let t = share[0]; t < options.trees; t += share[1]) buildRpTree(rows, options.leafSize, seed * 7919 + t + 1, forest[t]);
}

/** Keeps the k smallest (distance, index) pairs of one row; a max-heap, then sorted out. */
class RowHeap {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
  size = 0;
  constructor(readonly k: number) {
    this.dist = new Float64Array(k);
    this.idx = new Int32Array(k);
  }
  bound(): number {
    return this.size < this.k ? Infinity : this.dist[0];
  }
  push(d: number, index: number): void {
    const { dist, idx, k } = this;
    if (this.size < k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (dist[parent] > d || (dist[parent] === d && idx[parent] > index)) break;
        dist[i] = dist[parent];
        idx[i] = idx[parent];
        i = parent;
      }
      dist[i] = d;
      idx[i] = index;
      return;
    }
    if (d > dist[0] || (d === dist[0] && index >= idx[0])) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      const r = l + 1;
      const c = r < k && (dist[r] > dist[l] || (dist[r] === dist[l] && idx[r] > idx[l])) ? r : l;
      if (dist[c] < d || (dist[c] === d && idx[c] < index)) break;
      dist[i] = dist[c];
      idx[i] = idx[c];
      i = c;
    }
    dist[i] = d;
    idx[i] = index;
  }
  /** Writes the kept pairs ascending (ties by index) at outIdx/outDist[offset..]. */
  drain(outIdx: Int32Array, outDist: Float64Array, offset: number): void {
    // Heap-sort in place: repeatedly move the largest to the end.
    const { dist, idx } = this;
    let size = this.size;
    while (size > 1) {
      const d = dist[size - 1];
      const v = idx[size - 1];
      dist[size - 1] = dist[0];
      idx[size - 1] = idx[0];
      size--;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && (dist[r] > dist[l] || (dist[r] === dist[l] && idx[r] > idx[l])) ? r : l;
        if (dist[c] < d || (dist[c] === d && idx[c] < v)) break;
        dist[i] = dist[c];
        idx[i] = idx[c];
        i = c;
      }
      dist[i] = d;
      idx[i] = v;
    }
    outIdx.set(idx.subarray(0, this.size), offset);
    outDist.set(dist.subarray(0, this.size), offset);
    this.size = 0;
  }
}

function sqDist(x: Float64Array, a: number, b: number, dim: number): number {
  const oa = a * dim;
  const ob = b * dim;
  let s = 0;
  let c = 0;
  for (; c + 4 <= dim; c += 4) {
    const d0 = x[oa + c] - x[ob + c];
    const d1 = x[oa + c + 1] - x[ob + c + 1];
    const d2 = x[oa + c + 2] - x[ob + c + 2];
    const d3 = x[oa + c + 3] - x[ob + c + 3];
    s += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
  }
  for (; c < dim; c++) {
    const d = x[oa + c] - x[ob + c];
    s += d * d;
  }
  return s;
}

/** Squared distance, or some value >= bound as soon as the partial sum reaches bound. */
function sqDistBelow(x: Float64Array, a: number, b: number, dim: number, bound: number): number {
  const oa = a * dim;
  const ob = b * dim;
  let s = 0;
  let c = 0;
  for (; c + 8 <= dim; c += 8) {
    const d0 = x[oa + c] - x[ob + c];
    const d1 = x[oa + c + 1] - x[ob + c + 1];
    const d2 = x[oa + c + 2] - x[ob + c + 2];
    const d3 = x[oa + c + 3] - x[ob + c + 3];
    const d4 = x[oa + c + 4] - x[ob + c + 4];
    const d5 = x[oa + c + 5] - x[ob + c + 5];
    const d6 = x[oa + c + 6] - x[ob + c + 6];
    const d7 = x[oa + c + 7] - x[ob + c + 7];
    s += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
    if (s > bound) return s;
  }
  for (; c < dim; c++) {
    const d = x[oa + c] - x[ob + c];
    s += d * d;
  }
  return s;
}

const mine = (row: number, share: [number, number]): boolean => row % share[1] === share[0];

/**
 * Neighbour lists from the forest: for each row of this share, the k nearest among the union of its
 * leaves. Rows with fewer than k candidates are padded by a scan of the next points (rare: tiny N).
 */
export function forestCandidates(rows: ApproxRows, forest: RpTree[], k: number, outIdx: Int32Array, outDist: Float64Array, share: [number, number] = [0, 1], signal?: { aborted: boolean }): void {
  const { n, dim, x } = rows;
  const heap = new RowHeap(k);
  const stamp = new Int32Array(n).fill(-1);
  // Rows in the first tree's order: consecutive queries share most candidates, which stay in cache.
  const visit = forest[0].order;
  for (let p = 0; p < n; p++) {
    if (!mine(p, share)) continue;
    if ((p & 1023) === 0 && signal?.aborted) throw new CancelledError('t-SNE cancelled');
    const i = visit[p];
    stamp[i] = i;
    for (const tree of forest) {
      const { order } = tree;
      const end = tree.leafEnd[i];
      for (let p = tree.leafStart[i]; p < end; p++) {
        const j = order[p];
        if (stamp[j] === i) continue;
        stamp[j] = i;
        const bound = heap.bound();
        const d = sqDistBelow(x, i, j, dim, bound);
        if (d <= bound) heap.push(d, j);
      }
    }
    // Too few distinct candidates (only when leaves are smaller than k): take the next rows.
    for (let j = (i + 1) % n; heap.size < k; j = (j + 1) % n) {
      if (stamp[j] === i) continue;
      stamp[j] = i;
      heap.push(sqDist(x, i, j, dim), j);
    }
    heap.drain(outIdx, outDist, i * k);
  }
}

/**
 * One NN-descent round (Jacobi style: reads the old graph, writes the new one, so threads never see
 * each other's rows): each row of this share keeps the k nearest among its current neighbours, the
 * joinWidth nearest neighbours of its joinWidth nearest neighbours, and its reverse neighbours
 * among those (found through the candidates' lists).
 */
export function descentRound(rows: ApproxRows, k: number, oldIdx: Int32Array, oldDist: Float64Array, newIdx: Int32Array, newDist: Float64Array, joinWidth: number, share: [number, number] = [0, 1], signal?: { aborted: boolean }): void {
  const { n, dim, x } = rows;
  const heap = new RowHeap(k);
  const stamp = new Int32Array(n).fill(-1);
  const m = Math.min(joinWidth, k);
  for (let i = 0; i < n; i++) {
    if (!mine(i, share)) continue;
    if ((i & 1023) === 0 && signal?.aborted) throw new CancelledError('t-SNE cancelled');
    stamp[i] = i;
    const off = i * k;
    for (let t = 0; t < k; t++) {
      const j = oldIdx[off + t];
      stamp[j] = i;
      heap.push(oldDist[off + t], j);
    }
    for (let t = 0; t < m; t++) {
      const j = oldIdx[off + t];
      const jo = j * k;
      for (let u = 0; u < m; u++) {
        const c = oldIdx[jo + u];
        if (stamp[c] === i) continue;
        stamp[c] = i;
        const bound = heap.bound();
        const d = sqDistBelow(x, i, c, dim, bound);
        if (d <= bound) heap.push(d, c);
      }
    }
    heap.drain(newIdx, newDist, off);
  }
}

/** Single-threaded approximate kNN (knnApproxShared splits the same stages between two threads). */
export function knnApprox(data: ArrayLike<number>, n: number, dim: number, k: number, seed = 1, signal?: { aborted: boolean }, options: ApproxKnnOptions = DEFAULT_APPROX): KnnResult {
  if (!Number.isInteger(k) || k < 1) throw new Error('kNN: k must be a positive integer');
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  const shared = newApproxShared(n, dim, k);
  fillApproxRows(data, shared.rows);
  const forest = buildForest(shared.rows, options, seed);
  runApproxStage(shared, forest, -1, k, options, [0, 1], signal);
  for (let r = 0; r < options.rounds; r++) runApproxStage(shared, forest, r, k, options, [0, 1], signal);
  const last = shared.graphs[options.rounds % 2];
  return { k, indices: last.indices, distances: last.distances, locality: forest[0].order };
}

export function newApproxShared(n: number, dim: number, k: number): ApproxShared {
  const graph = () => ({ indices: new Int32Array(n * k), distances: new Float64Array(n * k) });
  return { rows: { n, dim, x: new Float64Array(n * dim) }, graphs: [graph(), graph()] };
}

/** Share of the true k nearest neighbours found, over the given rows (a sample is enough). */
export function knnRecall(approx: KnnResult, exact: KnnResult, rows?: ArrayLike<number>): number {
  const k = exact.k;
  const list = rows ?? Array.from({ length: exact.indices.length / k }, (_, i) => i);
  let found = 0;
  for (let q = 0; q < list.length; q++) {
    const i = list[q];
    const want = new Set(exact.indices.subarray(i * k, i * k + k));
    for (let t = 0; t < k; t++) if (want.has(approx.indices[i * approx.k + t])) found++;
  }
  return found / (list.length * k);
}

/** Shared storage of the threaded search: the rows, and two N x k graphs (a round reads one, writes the other). */
export interface ApproxShared {
  rows: ApproxRows;
  graphs: [{ indices: Int32Array; distances: Float64Array }, { indices: Int32Array; distances: Float64Array }];
  /** Storage for the forest's trees, when the threads build half of them each (stage FOREST_STAGE). */
  forest?: RpTree[];
}

/** The stage that builds a share of the trees into ApproxShared.forest (then stage -1 finds candidates in all of them). */
export const FOREST_STAGE = -2;

/** Something that runs share [1, 2] of each stage on another thread (see tsne-parallel.ts). */
export interface ApproxKnnHelper {
  approxShared(n: number, dim: number, k: number): ApproxShared;
  /** Stage 'forest' writes graph 0; round r reads graph r % 2 and writes the other. */
  startApproxStage(stage: number, k: number, options: ApproxKnnOptions, seed: number): void;
  /** False if the helper failed: the caller then runs that share itself. */
  finishApproxStage(): boolean;
}

/** Stage -1 is the forest, 0.. are NN-descent rounds. Runs the given share of one stage. */
export function runApproxStage(shared: ApproxShared, forest: RpTree[] | null, stage: number, k: number, options: ApproxKnnOptions, share: [number, number], signal?: { aborted: boolean }, seed = 1): void {
  const { rows, graphs } = shared;
  if (stage === FOREST_STAGE) {
    buildTreesInto(rows, options, seed, shared.forest!, share);
    return;
  }
  if (stage < 0) {
    forestCandidates(rows, forest!, k, graphs[0].indices, graphs[0].distances, share, signal);
    return;
  }
  const from = graphs[stage % 2];
  const to = graphs[(stage + 1) % 2];
  descentRound(rows, k, from.indices, from.distances, to.indices, to.distances, options.joinWidth, share, signal);
}

/**
 * Approximate kNN with the rows split between this thread and a helper (same result as knnApprox).
 * Both threads build the same forest from the same seed (cheaper than sharing it).
 */
export function knnApproxShared(data: ArrayLike<number>, n: number, dim: number, k: number, seed: number, signal: { aborted: boolean } | undefined, helper: ApproxKnnHelper, options: ApproxKnnOptions = DEFAULT_APPROX): KnnResult {
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  const shared = helper.approxShared(n, dim, k);
  fillApproxRows(data, shared.rows);
  let helperAlive = true;
  const stage = (s: number, forest: RpTree[] | null): void => {
    if (helperAlive) helper.startApproxStage(s, k, options, seed);
    runApproxStage(shared, forest, s, k, options, [0, 2], signal, seed);
    if (helperAlive && helper.finishApproxStage()) return;
    helperAlive = false;
    runApproxStage(shared, forest, s, k, options, [1, 2], signal, seed);
  };
  // Each thread builds half the trees into shared storage, when there is room for them all;
  // otherwise both build the whole forest (the same one, from the same seed).
  let forest: RpTree[];
  if (usesSharedForest(shared, options)) {
    stage(FOREST_STAGE, null);
    forest = shared.forest!.slice(0, options.trees);
  } else forest = buildForest(shared.rows, options, seed);
  stage(-1, forest);
  for (let r = 0; r < options.rounds; r++) stage(r, forest);
  const last = shared.graphs[options.rounds % 2];
  return { k, indices: last.indices.slice(0, n * k), distances: last.distances.slice(0, n * k), locality: forest[0].order };
}

/** Whether the threads share the forest's storage (and build half of it each) for these options. */
export function usesSharedForest(shared: ApproxShared, options: ApproxKnnOptions): boolean {
  return shared.forest !== undefined && shared.forest.length >= options.trees;
}
