// Approximate k-nearest neighbours for t-SNE's input affinities, as openTSNE does for large N
// (there with Annoy or pynndescent): a forest of random-projection trees gives every point a few
// hundred candidates, then rounds of NN-descent ("a neighbour of my neighbour is likely my
// neighbour", Dong et al. 2011) refine the lists. Exact search costs O(N^2 D); this costs about
// O(N (T L + R m^2) D) for T trees with leaves of L points and R refinement rounds over the m nearest
// neighbours' m nearest neighbours.
//
// Every row is computed from the forest (or the previous round's graph) alone, so rows can be split
// between threads (share = [part, parts]) and the result does not depend on the number of threads.
//
// Memory, not arithmetic, bounds this search (a candidate is a random row of the data): the points
// are renumbered in the first tree's order as soon as that tree is built ("storage order": a leaf's
// points, and mostly their neighbours, sit together in memory), and each row keeps its 8
// largest-variance dimensions in a separate head (one cache line) that alone rules most candidates
// out. The trees are built from the same points in the same positions, so the neighbours are those
// of the input order, renumbered.
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

/** From this many points t-SNE's search uses LARGE_APPROX. */
export const LARGE_APPROX_MIN_POINTS = 40_000;
/**
 * Fewer trees for large N: at 70,000 Fashion-MNIST points the same 10-NN accuracy of the layout
 * (0.8412 with 6 trees, 0.8408 with 8; scikit-learn 0.843) for ~1/6 less search. At 10,000 digits
 * 6 trees cost 0.003 of 10-NN accuracy (0.9470 against 0.9497), so smaller N keep 8.
 */
export const LARGE_APPROX: ApproxKnnOptions = { ...DEFAULT_APPROX, trees: 6 };

/** The search's options for t-SNE at N points. */
export const approxOptionsFor = (n: number): ApproxKnnOptions => (n >= LARGE_APPROX_MIN_POINTS ? LARGE_APPROX : DEFAULT_APPROX);

/** Dimensions kept in a row's head: 8 float64, one 64-byte cache line. */
export const HEAD_DIMS = 8;

/**
 * Rows (float64, centred, dimensions by decreasing variance) every thread reads; in a
 * SharedArrayBuffer when threads share them. Row r is head[r h .. r h + h) then tail[r t .. r t + t)
 * with h = min(HEAD_DIMS, dim) and t = dim - h.
 */
export interface ApproxRows {
  n: number;
  dim: number;
  head: Float64Array;
  tail: Float64Array;
}

/** Head width of rows of `dim` dimensions. */
export const headDims = (dim: number): number => Math.min(HEAD_DIMS, dim);

/** Rows over one float64 buffer of at least n x dim values (head first, then tail). */
export function approxRowsOver(n: number, dim: number, buffer: ArrayBufferLike, byteOffset = 0): ApproxRows {
  const h = headDims(dim);
  return { n, dim, head: new Float64Array(buffer, byteOffset, n * h), tail: new Float64Array(buffer, byteOffset + n * h * 8, n * (dim - h)) };
}

/**
 * Centres the data into rows with its dimensions ordered by decreasing variance, so that a partial
 * distance passes the current k-th distance early and its computation can stop (sqDistBelow).
 */
export function fillApproxRows(data: ArrayLike<number>, rows: ApproxRows): void {
  const { n, dim, head, tail } = rows;
  const h = headDims(dim);
  const t = dim - h;
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
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < h; c++) head[r * h + c] = data[r * dim + order[c]] - mean[order[c]];
    for (let c = h; c < dim; c++) tail[r * t + c - h] = data[r * dim + order[c]] - mean[order[c]];
  }
}

/** Puts row order[p] at position p, in place (follows the permutation's cycles). */
export function permuteRows(rows: ApproxRows, order: Int32Array): void {
  const { n, dim, head, tail } = rows;
  const h = headDims(dim);
  const t = dim - h;
  const done = new Uint8Array(n);
  const saved = new Float64Array(dim);
  for (let start = 0; start < n; start++) {
    if (done[start]) continue;
    for (let c = 0; c < h; c++) saved[c] = head[start * h + c];
    for (let c = 0; c < t; c++) saved[h + c] = tail[start * t + c];
    let p = start;
    for (;;) {
      done[p] = 1;
      const from = order[p];
      if (from === start) break;
      head.copyWithin(p * h, from * h, from * h + h);
      tail.copyWithin(p * t, from * t, from * t + t);
      p = from;
    }
    for (let c = 0; c < h; c++) head[p * h + c] = saved[c];
    for (let c = 0; c < t; c++) tail[p * t + c] = saved[h + c];
  }
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
 * range at random instead. `start`: the points' order before the first split (default 0..N-1); the
 * tree depends only on which point is at which position, so renumbered rows with start = the
 * renumbering give the same tree, renumbered.
 */
function buildRpTree(rows: ApproxRows, leafSize: number, seed: number, into?: RpTree, start?: Int32Array): RpTree {
  const { n, dim, head, tail } = rows;
  const h = headDims(dim);
  const t = dim - h;
  const rand = mulberry32(seed);
  const order = into?.order ?? new Int32Array(n);
  if (start) order.set(start);
  else for (let i = 0; i < n; i++) order[i] = i;
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
      const va = c < h ? head[a * h + c] : tail[a * t + c - h];
      const vb = c < h ? head[b * h + c] : tail[b * t + c - h];
      normal[c] = va - vb;
      offset += (va - vb) * (va + vb) * 0.5;
    }
    for (let p = lo; p < hi; p++) {
      const r = order[p];
      const oh = r * h;
      const ot = r * t - h;
      let s = -offset;
      for (let c = 0; c < h; c++) s += normal[c] * head[oh + c];
      for (let c = h; c < dim; c++) s += normal[c] * tail[ot + c];
      side[r] = s;
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

const treeSeed = (seed: number, t: number): number => seed * 7919 + t + 1;

/** The forest over rows in input order (tests, benchmarks); knnApprox renumbers after the first tree. */
export function buildForest(rows: ApproxRows, options: ApproxKnnOptions, seed: number): RpTree[] {
  return Array.from({ length: options.trees }, (_, t) => buildRpTree(rows, options.leafSize, treeSeed(seed, t)));
}

/** Trees built over the rows in input order, before the renumbering (the first two; then the others). */
export const INPUT_ORDER_TREES = 2;

/**
 * Builds trees 0 and 1 of `share` (tree t when t % parts === part) over the rows still in input
 * order, so two threads build one each.
 */
export function buildInputOrderTrees(rows: ApproxRows, options: ApproxKnnOptions, seed: number, forest: RpTree[], share: [number, number]): void {
  for (let t = share[0]; t < Math.min(INPUT_ORDER_TREES, options.trees); t += share[1]) buildRpTree(rows, options.leafSize, treeSeed(seed, t), forest[t]);
}

/**
 * Once trees 0 and 1 are built over the rows in input order: the first tree's order becomes the
 * storage order, the rows are renumbered into it (permuteRows) and both trees with them (the first
 * becomes the identity order with its leaves' ranges). Returns the storage order (position -> input point).
 */
export function renumberIntoFirstTree(rows: ApproxRows, options: ApproxKnnOptions, forest: RpTree[]): Int32Array {
  const storage = forest[0].order.slice();
  permuteRows(rows, storage);
  const positions = storagePositions(storage);
  for (let t = 0; t < Math.min(INPUT_ORDER_TREES, options.trees); t++) {
    const { order, leafStart, leafEnd } = forest[t];
    // Renumbered, the point at position p is storage[p], and the leaf of point q is input point storage[q]'s.
    for (let p = 0; p < order.length; p++) order[p] = positions[order[p]];
    const start = Int32Array.from(storage, (i) => leafStart[i]);
    const end = Int32Array.from(storage, (i) => leafEnd[i]);
    leafStart.set(start);
    leafEnd.set(end);
  }
  return storage;
}

/** Input point -> its position in the storage order. */
export function storagePositions(storage: Int32Array): Int32Array {
  const position = new Int32Array(storage.length);
  for (let p = 0; p < storage.length; p++) position[storage[p]] = p;
  return position;
}

/**
 * Builds trees 2.. of `share` into the given storage (shared between threads), over rows already in
 * storage order: each starts from the input order renumbered (`positions`), so it is the tree the
 * input-order rows would give.
 */
export function buildTreesInto(rows: ApproxRows, options: ApproxKnnOptions, seed: number, forest: RpTree[], share: [number, number], positions: Int32Array): void {
  for (let t = INPUT_ORDER_TREES; t < options.trees; t++) {
    if ((options.trees - t) % share[1] === share[0]) buildRpTree(rows, options.leafSize, treeSeed(seed, t), forest[t], positions);
  }
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

/**
 * Squared distance, or some value > bound as soon as the partial sum passes bound (checked after
 * each group of 8 dimensions: the head first, which rules most candidates out from one cache line).
 */
function sqDistBelow(rows: ApproxRows, a: number, b: number, bound: number): number {
  const { head, dim } = rows;
  let s = 0;
  if (dim >= HEAD_DIMS) {
    const oa = a * HEAD_DIMS;
    const ob = b * HEAD_DIMS;
    const d0 = head[oa] - head[ob];
    const d1 = head[oa + 1] - head[ob + 1];
    const d2 = head[oa + 2] - head[ob + 2];
    const d3 = head[oa + 3] - head[ob + 3];
    const d4 = head[oa + 4] - head[ob + 4];
    const d5 = head[oa + 5] - head[ob + 5];
    const d6 = head[oa + 6] - head[ob + 6];
    const d7 = head[oa + 7] - head[ob + 7];
    s += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
    if (s > bound) return s;
    return tailBelow(rows.tail, a, b, dim - HEAD_DIMS, bound, s);
  }
  const oa = a * dim;
  const ob = b * dim;
  for (let c = 0; c < dim; c++) {
    const d = head[oa + c] - head[ob + c];
    s += d * d;
  }
  return s;
}

/** sqDistBelow over the tail dimensions (from partial sum s), in the same groups of 8 then singles. */
function tailBelow(x: Float64Array, a: number, b: number, dim: number, bound: number, s: number): number {
  const oa = a * dim;
  const ob = b * dim;
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
 * Pushes (d, index) into the max-heap of row `row` kept in dist/idx[row k ..] with `size` entries
 * (the k smallest by distance, ties by index, as RowHeap). Returns the new size.
 */
function pushRow(dist: Float64Array, idx: Int32Array, row: number, size: number, k: number, d: number, index: number): number {
  const off = row * k;
  if (size < k) {
    let i = size;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = dist[off + parent];
      if (pd > d || (pd === d && idx[off + parent] > index)) break;
      dist[off + i] = pd;
      idx[off + i] = idx[off + parent];
      i = parent;
    }
    dist[off + i] = d;
    idx[off + i] = index;
    return size + 1;
  }
  if (d > dist[off] || (d === dist[off] && index >= idx[off])) return size;
  siftDown(dist, idx, off, k, 0, d, index);
  return size;
}

/** Places (d, index) at slot i of the heap at off with `size` entries, moving larger children up. */
function siftDown(dist: Float64Array, idx: Int32Array, off: number, size: number, i: number, d: number, index: number): void {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    const c = r < size && (dist[off + r] > dist[off + l] || (dist[off + r] === dist[off + l] && idx[off + r] > idx[off + l])) ? r : l;
    if (dist[off + c] < d || (dist[off + c] === d && idx[off + c] < index)) break;
    dist[off + i] = dist[off + c];
    idx[off + i] = idx[off + c];
    i = c;
  }
  dist[off + i] = d;
  idx[off + i] = index;
}

/** Sorts the heap of `row` ascending (ties by index), in place. */
function sortRow(dist: Float64Array, idx: Int32Array, row: number, k: number): void {
  const off = row * k;
  for (let size = k; size > 1; size--) {
    const d = dist[off + size - 1];
    const v = idx[off + size - 1];
    dist[off + size - 1] = dist[off];
    idx[off + size - 1] = idx[off];
    siftDown(dist, idx, off, size - 1, 0, d, v);
  }
}

/** The rows of share [part, parts] in the forest stage: a contiguous range of the storage order. */
export function shareRange(n: number, share: [number, number]): [number, number] {
  return [Math.floor((share[0] * n) / share[1]), Math.floor(((share[0] + 1) * n) / share[1])];
}

/**
 * Neighbour lists from the forest: for each row of this share, the k nearest among the points that
 * share a leaf with it in some tree (rows with fewer than k such points, which happens only when
 * leaves are smaller than k, are padded by a scan of the next rows). Works leaf by leaf: each pair
 * of a leaf is measured once for both its rows (unless an earlier tree had them in one leaf), while
 * the leaf's rows and heaps stay in cache. Rows are shared out as contiguous ranges of the storage
 * order, where leaves rarely straddle two ranges (a pair across them is measured by both threads).
 * The heaps live in outIdx/outDist, which end sorted.
 */
export function forestCandidates(rows: ApproxRows, forest: RpTree[], k: number, outIdx: Int32Array, outDist: Float64Array, share: [number, number] = [0, 1], signal?: { aborted: boolean }): void {
  const { n } = rows;
  const [lo, hi] = shareRange(n, share);
  const size = new Int32Array(n);
  const members = new Int32Array(n);
  const earlier = new Int32Array(forest.length);
  for (let t = 0; t < forest.length; t++) {
    const { order, leafEnd } = forest[t];
    for (let start = 0; start < n; ) {
      const end = leafEnd[order[start]];
      if (((start / 4096) | 0) !== ((end / 4096) | 0) && signal?.aborted) throw new CancelledError('t-SNE cancelled');
      // The leaf's rows of this share first, then the others.
      let m = 0;
      for (let p = start; p < end; p++) if (order[p] >= lo && order[p] < hi) members[m++] = order[p];
      const mineCount = m;
      for (let p = start; p < end; p++) if (!(order[p] >= lo && order[p] < hi)) members[m++] = order[p];
      for (let u = 0; u < mineCount; u++) {
        const a = members[u];
        for (let e = 0; e < t; e++) earlier[e] = forest[e].leafStart[a];
        for (let v = u + 1; v < m; v++) {
          const b = members[v];
          // Measured already if an earlier tree had a and b in one leaf.
          let seen = false;
          for (let e = 0; e < t; e++) {
            if (forest[e].leafStart[b] === earlier[e]) {
              seen = true;
              break;
            }
          }
          if (seen) continue;
          const bMine = v < mineCount;
          const boundA = size[a] < k ? Infinity : outDist[a * k];
          const boundB = !bMine ? -Infinity : size[b] < k ? Infinity : outDist[b * k];
          const d = sqDistBelow(rows, a, b, boundA > boundB ? boundA : boundB);
          if (d <= boundA) size[a] = pushRow(outDist, outIdx, a, size[a], k, d, b);
          if (d <= boundB) size[b] = pushRow(outDist, outIdx, b, size[b], k, d, a);
        }
      }
      start = end;
    }
  }
  const stamp = new Int32Array(n).fill(-1);
  for (let i = lo; i < hi; i++) {
    if (size[i] < k) {
      // Too few distinct candidates (only when leaves are smaller than k): take the next rows.
      stamp[i] = i;
      for (let t = 0; t < size[i]; t++) stamp[outIdx[i * k + t]] = i;
      for (let j = (i + 1) % n; size[i] < k; j = (j + 1) % n) {
        if (stamp[j] === i) continue;
        stamp[j] = i;
        size[i] = pushRow(outDist, outIdx, i, size[i], k, sqDistBelow(rows, i, j, Infinity), j);
      }
    }
    sortRow(outDist, outIdx, i, k);
  }
}

/**
 * One NN-descent round (Jacobi style: reads the old graph, writes the new one, so threads never see
 * each other's rows): each row of this share keeps the k nearest among its current neighbours, the
 * joinWidth nearest neighbours of its joinWidth nearest neighbours, and its reverse neighbours
 * among those (found through the candidates' lists).
 */
export function descentRound(rows: ApproxRows, k: number, oldIdx: Int32Array, oldDist: Float64Array, newIdx: Int32Array, newDist: Float64Array, joinWidth: number, share: [number, number] = [0, 1], signal?: { aborted: boolean }): void {
  const { n } = rows;
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
        const d = sqDistBelow(rows, i, c, bound);
        if (d <= bound) heap.push(d, c);
      }
    }
    heap.drain(newIdx, newDist, off);
  }
}

/** Single-threaded approximate kNN, in input order (knnApproxInStorageOrder keeps the search's order). */
export function knnApprox(data: ArrayLike<number>, n: number, dim: number, k: number, seed = 1, signal?: { aborted: boolean }, options: ApproxKnnOptions = DEFAULT_APPROX): KnnResult {
  return toInputOrder(knnApproxInStorageOrder(data, n, dim, k, seed, signal, options));
}

/**
 * Single-threaded approximate kNN in the search's storage order (result.storageOrder): row p is
 * input point storageOrder[p] and indices are row numbers (knnApproxShared splits the same stages
 * between two threads, with the same result).
 */
export function knnApproxInStorageOrder(data: ArrayLike<number>, n: number, dim: number, k: number, seed = 1, signal?: { aborted: boolean }, options: ApproxKnnOptions = DEFAULT_APPROX): KnnResult {
  if (!Number.isInteger(k) || k < 1) throw new Error('kNN: k must be a positive integer');
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  const shared = newApproxShared(n, dim, k, options.trees);
  fillApproxRows(data, shared.rows);
  runApproxStage(shared, INPUT_ORDER_TREES_STAGE, k, options, [0, 1], signal, seed);
  runApproxStage(shared, RENUMBER_STAGE, k, options, [0, 1], signal, seed);
  runApproxStage(shared, FOREST_STAGE, k, options, [0, 1], signal, seed);
  runApproxStage(shared, CANDIDATES_STAGE, k, options, [0, 1], signal, seed);
  for (let r = 0; r < options.rounds; r++) runApproxStage(shared, r, k, options, [0, 1], signal, seed);
  const last = shared.graphs[options.rounds % 2];
  return { k, indices: last.indices, distances: last.distances, storageOrder: shared.storageOrder };
}

/** A result in storage order mapped back to input order (rows and indices); others as they are. */
export function toInputOrder(knn: KnnResult): KnnResult {
  const order = knn.storageOrder;
  if (!order) return knn;
  const { k } = knn;
  const n = order.length;
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  for (let p = 0; p < n; p++) {
    const to = order[p] * k;
    const from = p * k;
    for (let t = 0; t < k; t++) {
      indices[to + t] = order[knn.indices[from + t]];
      distances[to + t] = knn.distances[from + t];
    }
  }
  return { k, indices, distances };
}

/** Storage of one search (in one thread's memory). */
export function newApproxShared(n: number, dim: number, k: number, trees: number): ApproxShared {
  const graph = () => ({ indices: new Int32Array(n * k), distances: new Float64Array(n * k) });
  const tree = (): RpTree => ({ order: new Int32Array(n), leafStart: new Int32Array(n), leafEnd: new Int32Array(n) });
  return {
    rows: approxRowsOver(n, dim, new ArrayBuffer(n * dim * 8)),
    graphs: [graph(), graph()],
    forest: Array.from({ length: trees }, tree),
    storageOrder: new Int32Array(n),
  };
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

/**
 * Storage of the search, shared by the threads: the rows, two N x k graphs (a round reads one,
 * writes the other), the forest's trees and the storage order.
 */
export interface ApproxShared {
  rows: ApproxRows;
  graphs: [{ indices: Int32Array; distances: Float64Array }, { indices: Int32Array; distances: Float64Array }];
  forest: RpTree[];
  /** Position -> input point, once the first tree is built. */
  storageOrder: Int32Array;
}

// The stages of the search, in this order; then NN-descent rounds 0, 1, ...
/** Trees 0 and 1 over the rows in input order (one per thread). */
export const INPUT_ORDER_TREES_STAGE = -4;
/** The renumbering of the rows into the first tree's order (share 0 alone). */
export const RENUMBER_STAGE = -3;
/** The other trees, shared out between the threads. */
export const FOREST_STAGE = -2;
/** Each row's candidates from its leaves (graph 0). */
export const CANDIDATES_STAGE = -1;

/** Something that runs share [1, 2] of each stage on another thread (see tsne-parallel.ts). */
export interface ApproxKnnHelper {
  /** Shared storage for this search, or null if the helper's cannot hold it (then search alone). */
  approxShared(n: number, dim: number, k: number, trees: number): ApproxShared | null;
  /** Round r reads graph r % 2 and writes the other. */
  startApproxStage(stage: number, k: number, options: ApproxKnnOptions, seed: number): void;
  /** False if the helper failed: the caller then runs that share itself. */
  finishApproxStage(): boolean;
}

/** Runs the given share of one stage (RENUMBER_STAGE: share 0 only). */
export function runApproxStage(shared: ApproxShared, stage: number, k: number, options: ApproxKnnOptions, share: [number, number], signal?: { aborted: boolean }, seed = 1): void {
  const { rows, graphs, forest } = shared;
  if (stage === INPUT_ORDER_TREES_STAGE) {
    buildInputOrderTrees(rows, options, seed, forest, share);
    return;
  }
  if (stage === RENUMBER_STAGE) {
    if (share[0] === 0) shared.storageOrder.set(renumberIntoFirstTree(rows, options, forest));
    return;
  }
  if (stage === FOREST_STAGE) {
    buildTreesInto(rows, options, seed, forest, share, storagePositions(shared.storageOrder));
    return;
  }
  if (signal?.aborted) throw new CancelledError('t-SNE cancelled');
  const trees = forest.slice(0, options.trees);
  if (stage === CANDIDATES_STAGE) {
    forestCandidates(rows, trees, k, graphs[0].indices, graphs[0].distances, share, signal);
    return;
  }
  const from = graphs[stage % 2];
  const to = graphs[(stage + 1) % 2];
  descentRound(rows, k, from.indices, from.distances, to.indices, to.distances, options.joinWidth, share, signal);
}

/**
 * Approximate kNN with the rows split between this thread and a helper, in storage order: the same
 * result as knnApproxInStorageOrder. This thread alone renumbers the rows; the other stages are
 * shared out.
 */
export function knnApproxShared(data: ArrayLike<number>, n: number, dim: number, k: number, seed: number, signal: { aborted: boolean } | undefined, helper: ApproxKnnHelper, options: ApproxKnnOptions = DEFAULT_APPROX): KnnResult {
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  const shared = helper.approxShared(n, dim, k, options.trees);
  if (!shared) return knnApproxInStorageOrder(data, n, dim, k, seed, signal, options);
  fillApproxRows(data, shared.rows);
  let helperAlive = true;
  const stage = (s: number): void => {
    if (helperAlive) helper.startApproxStage(s, k, options, seed);
    runApproxStage(shared, s, k, options, [0, 2], signal, seed);
    if (helperAlive && helper.finishApproxStage()) return;
    helperAlive = false;
    runApproxStage(shared, s, k, options, [1, 2], signal, seed);
  };
  stage(INPUT_ORDER_TREES_STAGE);
  runApproxStage(shared, RENUMBER_STAGE, k, options, [0, 1], signal, seed);
  stage(FOREST_STAGE);
  stage(CANDIDATES_STAGE);
  for (let r = 0; r < options.rounds; r++) stage(r);
  const last = shared.graphs[options.rounds % 2];
  return { k, indices: last.indices, distances: last.distances, storageOrder: shared.storageOrder };
}
