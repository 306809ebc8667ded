// The attractive half of the t-SNE gradient, sum_j p_ij q_ij (y_i - y_j) (q unnormalised), over the
// sparse symmetric P, and its fixed split between two threads.
//
// The rows of P are cut at one place: rows [0, split) add into one gradient buffer, rows
// [split, N) into another (pairs are stored once, from their smaller index, so the second buffer
// is non-zero only from split on), and the two are added in that order. One thread computes both
// parts, two threads one each: the same floating-point sums either way, so the layout does not
// depend on the number of threads. Where to cut is decided from work counts alone, never from
// timings: the helper thread also computes the repulsion, whose cost grows as the layout spreads
// (from ~1/3 of the attraction's during early exaggeration to more than all of it at the end at
// 70,000 points), so each iteration cuts where the previous iteration's repulsion counts (cell and
// point interactions, the same in either thread) say both threads finish together.
import type { JointP } from './affinities.ts';

/** Rows of P as the attraction reads them (CSR of the pairs i < j); rowStart may be offset. */
export type AttractionRows = Pick<JointP, 'rowStart' | 'rowJ' | 'values'>;

/**
 * The attraction of rows [from, to), added into grad (N x 2): row i's sum stays in registers and
 * each pair also acts on j. Returns the rows' share of sum over ordered pairs of P log(1 + d^2)
 * (for the KL) when withKl, else 0.
 */
export function attraction(P: AttractionRows, y: Float64Array, from: number, to: number, grad: Float64Array, withKl: boolean): number {
  const { rowStart, rowJ, values } = P;
  let crossTerm = 0;
  for (let i = from; i < to; i++) {
    const xi = y[2 * i];
    const yi = y[2 * i + 1];
    let gx = 0;
    let gy = 0;
    const end = rowStart[i + 1];
    if (withKl) {
      for (let t = rowStart[i]; t < end; t++) {
        const j = rowJ[t] << 1;
        const dx = xi - y[j];
        const dy = yi - y[j + 1];
        const d2 = dx * dx + dy * dy;
        crossTerm += 2 * values[t] * Math.log1p(d2);
        const w = values[t] / (1 + d2);
        const wx = w * dx;
        const wy = w * dy;
        gx += wx;
        gy += wy;
        grad[j] -= wx;
        grad[j + 1] -= wy;
      }
    } else {
      for (let t = rowStart[i]; t < end; t++) {
        const j = rowJ[t] << 1;
        const dx = xi - y[j];
        const dy = yi - y[j + 1];
        // Same rounding as the KL branch above, so asking for the KL never changes the layout.
        const d2 = dx * dx + dy * dy;
        const w = values[t] / (1 + d2);
        const wx = w * dx;
        const wy = w * dy;
        gx += wx;
        gy += wy;
        grad[j] -= wx;
        grad[j + 1] -= wy;
      }
    }
    grad[2 * i] += gx;
    grad[2 * i + 1] += gy;
  }
  return crossTerm;
}

/**
 * The first row of the second part: the last rows of P that together hold at most `share` of its
 * pairs (0: none, split = N).
 */
export function attractionSplit(P: Pick<JointP, 'rowStart'>, n: number, share: number): number {
  const { rowStart } = P;
  const total = rowStart[n];
  const limit = Math.floor(share * total);
  // The smallest split whose rows [split, N) hold at most `limit` pairs (row starts never decrease).
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (total - rowStart[mid] <= limit) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Costs in attraction pairs, fitted to the CPU time of each thread in full runs at 70,000
// Fashion-MNIST points (tests/bench/tsne-70k.ts; the attraction there costs ~8 ns a pair, more than
// alone, as the two threads share the caches): a cell-cell interaction of the tree repulsion ~4.7
// pairs, a point pair ~0.65, the tree's sort, build, summaries and expansions ~21 a point; the
// t-SNE thread's own extra work (update, copies, frames, the KL once a second) ~6 a point.
const CELL_PAIR_COST = 4.7;
const POINT_PAIR_COST = 0.65;
const TREE_COST_PER_POINT = 21;
const UPDATE_COST_PER_POINT = 6;
/** The helper never takes more than this share of the pairs (HelperLink holds these rows). */
export const MAX_HELPER_SHARE = 0.6;
/** The first iteration's share, before any repulsion counts (early layouts: a cheap repulsion). */
export const FIRST_HELPER_SHARE = 0.3;

/** The work of one repulsion: interactions between cells and between points (DualTreeRepulsion.stats). */
export interface RepulsionWork {
  cellPairs: number;
  pointPairs: number;
}

/** The work of the last repulsion of `tree`, or of the exact O(N^2) repulsion (tree null). */
export function repulsionWork(tree: { stats: RepulsionWork } | null, n: number): RepulsionWork {
  return tree ? { cellPairs: tree.stats.cellPairs, pointPairs: tree.stats.pointPairs } : { cellPairs: 0, pointPairs: (n * (n - 1)) / 2 };
}

/**
 * The share of P's pairs for the helper thread so that repulsion + that share takes as long as
 * the rest of the attraction + the update, given the repulsion's work (null: FIRST_HELPER_SHARE).
 */
export function helperShare(pairs: number, n: number, work: RepulsionWork | null): number {
  if (!work || pairs <= 0) return FIRST_HELPER_SHARE;
  const repulsion = CELL_PAIR_COST * work.cellPairs + POINT_PAIR_COST * work.pointPairs + TREE_COST_PER_POINT * n;
  const share = (pairs - repulsion + UPDATE_COST_PER_POINT * n) / (2 * pairs);
  return Math.min(MAX_HELPER_SHARE, Math.max(0, share));
}

/** grad += part over coordinates [2 split, 2N) (the second part is zero below its first row). */
export function addSecondPart(grad: Float64Array, part: Float64Array, split: number): void {
  for (let c = 2 * split; c < grad.length; c++) grad[c] += part[c];
}
