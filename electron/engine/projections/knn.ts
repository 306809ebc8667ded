// Exact k-nearest neighbours (Euclidean), pure TS over typed arrays. Two exact methods:
// - a vantage-point tree (Yianilos 1993), as bhtsne and scikit-learn's Barnes-Hut t-SNE use: fast
//   when the data has a low intrinsic dimension (2-D layouts, small latent spaces);
// - a blocked brute force (knnBlocked) for when the tree cannot prune: with k = 90 on PCA-50 digits
//   the 90th neighbour is so far that the tree still visits ~80% of the points per query.
// knnAll picks one by trying the tree on a sample of queries.
//
// The tree is implicit in one permuted index array: the node for the range [lo, hi) has its vantage
// point at lo, its "inside" child at [lo+1, mid) and its "outside" child at [mid, hi). Rows are copied
// in tree order (and their dimensions sorted by decreasing variance) so that a search walks memory
// mostly forward and a leaf candidate's distance computation can stop as soon as it exceeds the
// current k-th distance (PCA inputs put most of the distance in the first dimensions).
import { mulberry32 } from '../random.ts';
import { CancelledError } from '../../contract/errors.ts';

export interface KnnResult {
  k: number;
  /** N x k neighbour indices, nearest first (the point itself excluded). */
  indices: Int32Array;
  /** N x k squared Euclidean distances, ascending. */
  distances: Float64Array;
  /**
   * Set when the result is in a storage order of the search's own (the approximate search's first
   * random-projection tree, leaf by leaf, so that neighbours sit close together in memory): row p is
   * input point storageOrder[p], and indices are row numbers in that order. t-SNE keeps its points
   * in this order; toInputOrder (knn-approx.ts) maps a result back.
   */
  storageOrder?: Int32Array;
}

const LEAF_SIZE = 16;

/** A bounded max-heap of (distance, index) pairs keeping the k smallest distances (exact kNN and neighbours.ts). */
export class NeighbourHeap {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
  size = 0;
  constructor(readonly capacity: number) {
    this.dist = new Float64Array(capacity);
    this.idx = new Int32Array(capacity);
  }
  reset(): void {
    this.size = 0;
  }
  /** Largest distance kept, or Infinity while not full. */
  bound(): number {
    return this.size < this.capacity ? Infinity : this.dist[0];
  }
  push(d: number, index: number): void {
    const dist = this.dist;
    const idx = this.idx;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (dist[parent] >= d) break;
        dist[i] = dist[parent];
        idx[i] = idx[parent];
        i = parent;
      }
      dist[i] = d;
      idx[i] = index;
      return;
    }
    if (d >= dist[0]) return;
    // Replace the root and sift down.
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && dist[r] > dist[l] ? r : l;
      if (dist[c] <= d) break;
      dist[i] = dist[c];
      idx[i] = idx[c];
      i = c;
    }
    dist[i] = d;
    idx[i] = index;
  }
  /** Writes the heap content sorted ascending into the output rows. */
  drainSorted(outIdx: Int32Array, outDist: Float64Array, offset: number): void {
    const n = this.size;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => this.dist[a] - this.dist[b] || this.idx[a] - this.idx[b]);
    for (let i = 0; i < n; i++) {
      outIdx[offset + i] = this.idx[order[i]];
      outDist[offset + i] = this.dist[order[i]];
    }
  }
}

/** Squared distance between rows a and b of a row-major matrix. */
function sqDist(x: Float64Array, a: number, b: number, dim: number): number {
  let s = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let c = 0; c < dim; c++) {
    const d = x[oa + c] - x[ob + c];
    s += d * d;
  }
  return s;
}

export interface VpTree {
  /** Rows in tree order, dimensions permuted by decreasing variance (float64). */
  rows: Float64Array;
  dim: number;
  n: number;
  /** Tree position -> original row index. */
  order: Int32Array;
  /** Original row index -> tree position. */
  position: Int32Array;
  /** Median distance (not squared) of the node whose vantage point sits at this position. */
  threshold: Float64Array;
}

/** Builds the tree. `seed` picks the vantage points (the neighbours found do not depend on it). */
export function buildVpTree(data: ArrayLike<number>, n: number, dim: number, seed = 1): VpTree {
  if (data.length < n * dim) throw new Error(`kNN: data has ${data.length} values, expected ${n}x${dim}`);
  // Dimensions by decreasing variance, so partial distances grow fast and can stop early.
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) mean[c] += data[r * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= Math.max(n, 1);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < dim; c++) {
      const d = data[r * dim + c] - mean[c];
      variance[c] += d * d;
    }
  }
  const dimOrder = Array.from({ length: dim }, (_, c) => c).sort((a, b) => variance[b] - variance[a] || a - b);

  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const threshold = new Float64Array(n);
  const rand = mulberry32(seed);
  const dists = new Float64Array(n);
  const src = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) src[r * dim + c] = data[r * dim + dimOrder[c]];

  // Iterative build over ranges (explicit stack, no recursion limit).
  const stack: number[] = [0, n];
  while (stack.length > 0) {
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    if (hi - lo <= LEAF_SIZE) continue;
    // Random vantage point moved to the front of the range.
    const pick = lo + Math.floor(rand() * (hi - lo));
    const tmp = order[lo];
    order[lo] = order[pick];
    order[pick] = tmp;
    const vp = order[lo];
    for (let i = lo + 1; i < hi; i++) dists[order[i]] = sqDist(src, vp, order[i], dim);
    // Quickselect the median of [lo+1, hi) by distance to the vantage point.
    const mid = (lo + 1 + hi) >> 1;
    let left = lo + 1;
    let right = hi - 1;
    while (right > left) {
      const pivot = dists[order[(left + right) >> 1]];
      let i = left;
      let j = right;
      while (i <= j) {
        while (dists[order[i]] < pivot) i++;
        while (dists[order[j]] > pivot) j--;
        if (i <= j) {
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
          i++;
          j--;
        }
      }
      if (mid <= j) right = j;
      else if (mid >= i) left = i;
      else break;
    }
    threshold[lo] = Math.sqrt(dists[order[mid]]);
    stack.push(lo + 1, mid, mid, hi);
  }

  const rows = new Float64Array(n * dim);
  const position = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    position[order[p]] = p;
    rows.set(src.subarray(order[p] * dim, order[p] * dim + dim), p * dim);
  }
  return { rows, dim, n, order, position, threshold };
}

interface SearchStats {
  /** Leaf points whose distance was (at least partly) computed. */
  visited: number;
}

/**
 * Searches the tree for the k nearest neighbours of the points at the given tree positions
 * (all of them when omitted), writing rows of `indices`/`distances` by original index.
 */
function searchVpTree(
  tree: VpTree,
  k: number,
  indices: Int32Array,
  distances: Float64Array,
  queries: Int32Array | null,
  signal?: { aborted: boolean },
): SearchStats {
  const { rows, threshold, order, n, dim } = tree;
  const heap = new NeighbourHeap(k);
  const stackLo = new Int32Array(256);
  const stackHi = new Int32Array(256);
  // Lower bound on the distance from the query to any point of the stacked range: a range pushed
  // while tau was large is skipped when popped if tau has since shrunk below the bound.
  const stackBound = new Float64Array(256);
  let visited = 0;
  const count = queries ? queries.length : n;
  for (let qi = 0; qi < count; qi++) {
    if ((qi & 255) === 0 && signal?.aborted) throw new CancelledError('t-SNE cancelled');
    const qp = queries ? queries[qi] : qi;
    heap.reset();
    const qo = qp * dim;
    let tau2 = Infinity; // current k-th squared distance
    let tau = Infinity;
    let top = 0;
    stackLo[0] = 0;
    stackHi[0] = n;
    stackBound[0] = 0;
    top = 1;
    while (top > 0) {
      top--;
      const lo = stackLo[top];
      const hi = stackHi[top];
      const bound = stackBound[top];
      if (bound > tau) continue;
      if (hi - lo <= LEAF_SIZE) {
        visited += hi - lo;
        for (let p = lo; p < hi; p++) {
          if (p === qp) continue;
          // Partial distance with early exit once it exceeds the k-th distance.
          const po = p * dim;
          let s = 0;
          let c = 0;
          for (; c + 4 <= dim; c += 4) {
            const d0 = rows[qo + c] - rows[po + c];
            const d1 = rows[qo + c + 1] - rows[po + c + 1];
            const d2 = rows[qo + c + 2] - rows[po + c + 2];
            const d3 = rows[qo + c + 3] - rows[po + c + 3];
            s += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
            if (s >= tau2) break;
          }
          if (s >= tau2) continue;
          for (; c < dim; c++) {
            const d = rows[qo + c] - rows[po + c];
            s += d * d;
          }
          if (s < tau2) {
            heap.push(s, order[p]);
            if (heap.size === k) {
              tau2 = heap.dist[0];
              tau = Math.sqrt(tau2);
            }
          }
        }
        continue;
      }
      // Internal node: vantage point at lo.
      let s = 0;
      const vo = lo * dim;
      for (let c = 0; c < dim; c++) {
        const d = rows[qo + c] - rows[vo + c];
        s += d * d;
      }
      if (lo !== qp && s < tau2) {
        heap.push(s, order[lo]);
        if (heap.size === k) {
          tau2 = heap.dist[0];
          tau = Math.sqrt(tau2);
        }
      }
      const d = Math.sqrt(s);
      const mu = threshold[lo];
      const mid = (lo + 1 + hi) >> 1;
      // Push the farther child first so the nearer one is searched first (tau shrinks sooner).
      if (d < mu) {
        if (d + tau >= mu) {
          stackLo[top] = mid;
          stackHi[top] = hi;
          stackBound[top] = Math.max(bound, mu - d);
          top++;
        }
        stackLo[top] = lo + 1;
        stackHi[top] = mid;
        stackBound[top] = bound;
        top++;
      } else {
        if (d - tau <= mu) {
          stackLo[top] = lo + 1;
          stackHi[top] = mid;
          stackBound[top] = Math.max(bound, d - mu);
          top++;
        }
        stackLo[top] = mid;
        stackHi[top] = hi;
        stackBound[top] = bound;
        top++;
      }
    }
    heap.drainSorted(indices, distances, order[qp] * k);
  }
  return { visited };
}

/** Storage of the blocked search: centred rows padded to a multiple of 4, and their squared norms. */
export interface BlockedRows {
  n: number;
  dim: number;
  padded: number;
  x: Float64Array;
  norms: Float64Array;
}

/** Bounded max-heaps (one per row, flat), kept by one thread of the blocked search. */
export interface RowHeaps {
  k: number;
  dist: Float64Array;
  index: Int32Array;
  size: Int32Array;
}

export const paddedRows = (n: number): number => Math.ceil(n / 4) * 4;

export function newRowHeaps(n: number, k: number): RowHeaps {
  return { k, dist: new Float64Array(n * k), index: new Int32Array(n * k), size: new Int32Array(n) };
}

/** Centres the data into rows.x (smaller norms, less cancellation in |x|^2 + |y|^2 - 2 x.y). */
export function fillBlockedRows(data: ArrayLike<number>, rows: BlockedRows): void {
  const { n, dim, x, norms } = rows;
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) mean[c] += data[r * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= n;
  x.fill(0);
  norms.fill(0);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < dim; c++) {
      const v = data[r * dim + c] - mean[c];
      x[r * dim + c] = v;
      s += v * v;
    }
    norms[r] = s;
  }
}

const TILE = 64;

/**
 * The distance tiles of the blocked search: every pair once, offered to both rows' heaps. With
 * `share` = [part, parts], only tile rows t with t % parts === part (so threads can split the work;
 * interleaving balances the triangular loop).
 */
export function blockedTiles(rows: BlockedRows, heaps: RowHeaps, share: [number, number] = [0, 1], signal?: { aborted: boolean }): void {
  const { n, dim, padded, x, norms } = rows;
  const { k, dist: hd, index: hi, size } = heaps;
  heaps.size.fill(0);
  const bound = new Float64Array(n).fill(Infinity);
  const push = (row: number, d: number, index: number): void => {
    const off = row * k;
    let m = size[row];
    if (m < k) {
      let i = m++;
      size[row] = m;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (hd[off + parent] >= d) break;
        hd[off + i] = hd[off + parent];
        hi[off + i] = hi[off + parent];
        i = parent;
      }
      hd[off + i] = d;
      hi[off + i] = index;
      if (m === k) bound[row] = hd[off];
      return;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      const r = l + 1;
      const c = r < k && hd[off + r] > hd[off + l] ? r : l;
      if (hd[off + c] <= d) break;
      hd[off + i] = hd[off + c];
      hi[off + i] = hi[off + c];
      i = c;
    }
    hd[off + i] = d;
    hi[off + i] = index;
    bound[row] = hd[off];
  };
  const dots = new Float64Array(16);
  const [part, parts] = share;
  for (let it = 0; it < padded; it += TILE) {
    if ((it / TILE) % parts !== part) continue;
    if (signal?.aborted) throw new CancelledError('t-SNE cancelled');
    const iEnd = Math.min(it + TILE, padded);
    for (let jt = it; jt < padded; jt += TILE) {
      const jEnd = Math.min(jt + TILE, padded);
      for (let i = it; i < iEnd; i += 4) {
        const i0 = i * dim;
        const i1 = i0 + dim;
        const i2 = i1 + dim;
        const i3 = i2 + dim;
        for (let j = jt === it ? i : jt; j < jEnd; j += 4) {
          const j0 = j * dim;
          const j1 = j0 + dim;
          const j2 = j1 + dim;
          const j3 = j2 + dim;
          let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
          let a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
          for (let c = 0; c < dim; c++) {
            const x0 = x[i0 + c];
            const x1 = x[i1 + c];
            const x2 = x[i2 + c];
            const x3 = x[i3 + c];
            const y0 = x[j0 + c];
            const y1 = x[j1 + c];
            const y2 = x[j2 + c];
            const y3 = x[j3 + c];
            a00 += x0 * y0; a01 += x0 * y1; a02 += x0 * y2; a03 += x0 * y3;
            a10 += x1 * y0; a11 += x1 * y1; a12 += x1 * y2; a13 += x1 * y3;
            a20 += x2 * y0; a21 += x2 * y1; a22 += x2 * y2; a23 += x2 * y3;
            a30 += x3 * y0; a31 += x3 * y1; a32 += x3 * y2; a33 += x3 * y3;
          }
          dots[0] = a00; dots[1] = a01; dots[2] = a02; dots[3] = a03;
          dots[4] = a10; dots[5] = a11; dots[6] = a12; dots[7] = a13;
          dots[8] = a20; dots[9] = a21; dots[10] = a22; dots[11] = a23;
          dots[12] = a30; dots[13] = a31; dots[14] = a32; dots[15] = a33;
          const diagonal = i === j;
          for (let u = 0; u < 4; u++) {
            const ri = i + u;
            if (ri >= n) break;
            const ni = norms[ri];
            for (let v = diagonal ? u + 1 : 0; v < 4; v++) {
              const rj = j + v;
              if (rj >= n) break;
              let d = ni + norms[rj] - 2 * dots[u * 4 + v];
              if (d < 0) d = 0;
              if (d < bound[ri]) push(ri, d, rj);
              if (d < bound[rj]) push(rj, d, ri);
            }
          }
        }
      }
    }
  }
}

/**
 * Merges the heaps of the threads that shared the tiles (each pair was offered by exactly one), then
 * recomputes the kept neighbours' distances directly so they carry no cancellation error.
 */
export function finishBlocked(rows: BlockedRows, parts: RowHeaps[]): KnnResult {
  const { n, dim, x } = rows;
  const k = parts[0].k;
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  const candIndex = new Int32Array(k * parts.length);
  const candDist = new Float64Array(k * parts.length);
  const order: number[] = [];
  for (let r = 0; r < n; r++) {
    let m = 0;
    for (const h of parts) {
      const off = r * k;
      for (let t = 0; t < h.size[r]; t++) {
        const j = h.index[off + t];
        let s = 0;
        for (let c = 0; c < dim; c++) {
          const d = x[r * dim + c] - x[j * dim + c];
          s += d * d;
        }
        candIndex[m] = j;
        candDist[m] = s;
        m++;
      }
    }
    order.length = m;
    for (let t = 0; t < m; t++) order[t] = t;
    order.sort((a, b) => candDist[a] - candDist[b] || candIndex[a] - candIndex[b]);
    for (let t = 0; t < k; t++) {
      indices[r * k + t] = candIndex[order[t]];
      distances[r * k + t] = candDist[order[t]];
    }
  }
  return { k, indices, distances };
}

/** Something that can run a share of the blocked tiles on another thread (see tsne-parallel.ts). */
export interface BlockedKnnHelper {
  /** Shared storage the helper reads; the caller fills it. */
  blockedRows(n: number, dim: number): BlockedRows;
  /** Starts the helper on tile rows t % 2 === 1 with k neighbours. */
  startBlockedTiles(k: number): void;
  /** The helper's heaps, or null if it failed (the caller then does that share itself). */
  finishBlockedTiles(): RowHeaps | null;
}

/**
 * Exact all-pairs kNN by blocked distance computation: |x|^2 + |y|^2 - 2 x.y over 4 x 4 register
 * tiles (each pair computed once, offered to both rows' heaps), then the kept neighbours' distances
 * recomputed directly. ~3x faster than the VP tree when the tree cannot prune (high intrinsic
 * dimension, large k), e.g. 10,000 PCA-50 digits with k = 90. With a helper, two threads share the tiles.
 */
export function knnBlocked(data: ArrayLike<number>, n: number, dim: number, k: number, signal?: { aborted: boolean }, helper?: BlockedKnnHelper): KnnResult {
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  const rows = helper ? helper.blockedRows(n, dim) : { n, dim, padded: paddedRows(n), x: new Float64Array(paddedRows(n) * dim), norms: new Float64Array(paddedRows(n)) };
  fillBlockedRows(data, rows);
  const mine = newRowHeaps(n, k);
  if (!helper) {
    blockedTiles(rows, mine, [0, 1], signal);
    return finishBlocked(rows, [mine]);
  }
  helper.startBlockedTiles(k);
  blockedTiles(rows, mine, [0, 2], signal);
  let theirs = helper.finishBlockedTiles();
  if (!theirs) {
    theirs = newRowHeaps(n, k);
    blockedTiles(rows, theirs, [1, 2], signal);
  }
  return finishBlocked(rows, [mine, theirs]);
}

/** VP-tree searches visiting more than this share of the points lose to the blocked brute force. */
const VP_TREE_MAX_VISITED_SHARE = 0.3;

/**
 * The k nearest neighbours of every row (excluding the row itself; exact duplicates are kept as
 * neighbours at distance 0). Ties at the k-th distance are broken arbitrarily. Both methods are
 * exact; which one runs depends on how well the VP tree prunes on a sample of 64 queries.
 */
export function knnAll(
  data: ArrayLike<number>,
  n: number,
  dim: number,
  k: number,
  seed = 1,
  signal?: { aborted: boolean },
  method: 'auto' | 'vptree' | 'blocked' = 'auto',
  helper?: BlockedKnnHelper,
): KnnResult {
  if (!Number.isInteger(k) || k < 1) throw new Error('kNN: k must be a positive integer');
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  if (method === 'blocked') return knnBlocked(data, n, dim, k, signal, helper);
  const tree = buildVpTree(data, n, dim, seed);
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  if (method === 'auto' && n > 2000) {
    const sample = new Int32Array(64);
    const rand = mulberry32(seed + 1);
    for (let s = 0; s < sample.length; s++) sample[s] = Math.floor(rand() * n);
    const { visited } = searchVpTree(tree, k, indices, distances, sample, signal);
    if (visited / (sample.length * n) > VP_TREE_MAX_VISITED_SHARE) return knnBlocked(data, n, dim, k, signal, helper);
  }
  searchVpTree(tree, k, indices, distances, null, signal);
  return { k, indices, distances };
}

/** Brute-force reference (O(N^2 D)), for tests and tiny inputs. */
export function knnBruteForce(data: ArrayLike<number>, n: number, dim: number, k: number): KnnResult {
  if (k > n - 1) throw new Error(`kNN: asked for ${k} neighbours of ${n} points`);
  const x = Float64Array.from({ length: n * dim }, (_, i) => data[i]);
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  const heap = new NeighbourHeap(k);
  for (let i = 0; i < n; i++) {
    heap.reset();
    for (let j = 0; j < n; j++) if (j !== i) heap.push(sqDist(x, i, j, dim), j);
    heap.drainSorted(indices, distances, i * k);
  }
  return { k, indices, distances };
}
