// Input affinities of t-SNE: per-point Gaussian bandwidths calibrated to a perplexity (binary search on
// the precision beta = 1/(2 sigma^2)), then the symmetrised joint distribution P stored sparse.
import type { KnnResult } from './knn.ts';

/** Entropy tolerance of the binary search (natural log units); the spec asks for 1e-3, we go further. */
const ENTROPY_TOLERANCE = 1e-5;
const MAX_STEPS = 200;

export interface ConditionalP {
  k: number;
  /** N x k neighbour indices (as in the kNN result). */
  indices: Int32Array;
  /** N x k conditional probabilities p(j|i), each row sums to 1. */
  values: Float64Array;
  /** Precision beta_i per row. */
  betas: Float64Array;
  /** Entropy (nats) of each row after calibration. */
  entropies: Float64Array;
}

/**
 * Calibrates each row of squared kNN distances so that its entropy equals log(perplexity).
 * Works on shifted distances (d - d_min) so exp() never underflows for the nearest neighbour.
 */
export function conditionalAffinities(knn: KnnResult, perplexity: number): ConditionalP {
  const { k, indices, distances } = knn;
  const n = indices.length / k;
  if (!(perplexity > 0)) throw new Error('perplexity must be positive');
  const target = Math.log(perplexity);
  const values = new Float64Array(n * k);
  const betas = new Float64Array(n);
  const entropies = new Float64Array(n);
  const shifted = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const off = i * k;
    let dmin = Infinity;
    let dsum = 0;
    for (let j = 0; j < k; j++) {
      const d = distances[off + j];
      if (d < dmin) dmin = d;
      dsum += d;
    }
    for (let j = 0; j < k; j++) shifted[j] = distances[off + j] - dmin;
    const spread = dsum / k - dmin;
    // Start near the right scale: beta ~ 1 / typical distance, then bracket and bisect.
    let beta = spread > 0 ? 1 / spread : 1;
    let lo = 0;
    let hi = Infinity;
    let entropy = 0;
    let bestBeta = beta;
    let bestGap = Infinity;
    for (let step = 0; step < MAX_STEPS; step++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < k; j++) {
        const w = Math.exp(-beta * shifted[j]);
        sum += w;
        weighted += w * shifted[j];
      }
      // H = log(sum) + beta * E[d] (the shift by d_min cancels out).
      entropy = Math.log(sum) + (beta * weighted) / sum;
      const gap = entropy - target;
      if (Math.abs(gap) < bestGap) {
        bestGap = Math.abs(gap);
        bestBeta = beta;
      }
      if (Math.abs(gap) <= ENTROPY_TOLERANCE) break;
      if (gap > 0) {
        // Too flat: sharpen.
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
    beta = bestBeta;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const w = Math.exp(-beta * shifted[j]);
      values[off + j] = w;
      sum += w;
    }
    let h = Math.log(sum);
    for (let j = 0; j < k; j++) {
      values[off + j] /= sum;
      h += beta * values[off + j] * shifted[j];
    }
    betas[i] = beta;
    entropies[i] = h;
  }
  return { k, indices, values, betas, entropies };
}

/** Symmetric joint P as a list of unordered pairs i < j; each pair's p_ij is used for both directions. */
export interface JointP {
  n: number;
  /** Pairs sorted by rowI then rowJ. */
  rowI: Int32Array;
  /** CSR view of the same pairs: those with rowI = i are at rowStart[i] .. rowStart[i + 1]. */
  rowStart: Int32Array;
  rowJ: Int32Array;
  /** p_ij = (p(j|i) + p(i|j)) / (2N); the full symmetric matrix (both triangles) sums to 1. */
  values: Float64Array;
}

/** P = (P_cond + P_cond^T) / 2N, as in van der Maaten (2014) and scikit-learn. */
export function symmetrise(cond: ConditionalP): JointP {
  const { k, indices, values } = cond;
  const n = indices.length / k;
  // Rows sorted by neighbour index so p(i|j) can be found by binary search.
  const sortedIdx = new Int32Array(n * k);
  const sortedVal = new Float64Array(n * k);
  const order = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const off = i * k;
    for (let j = 0; j < k; j++) order[j] = j;
    order.sort((a, b) => indices[off + a] - indices[off + b]);
    for (let j = 0; j < k; j++) {
      sortedIdx[off + j] = indices[off + order[j]];
      sortedVal[off + j] = values[off + order[j]];
    }
  }
  const find = (row: number, target: number): number => {
    let lo = row * k;
    let hi = lo + k - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = sortedIdx[mid];
      if (v === target) return mid;
      if (v < target) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  // At most one pair per (row, neighbour) entry.
  const outI = new Int32Array(n * k);
  const outJ = new Int32Array(n * k);
  const outV = new Float64Array(n * k);
  let m = 0;
  const scale = 1 / (2 * n);
  for (let i = 0; i < n; i++) {
    const off = i * k;
    for (let t = 0; t < k; t++) {
      const j = sortedIdx[off + t];
      if (j === i) continue;
      const back = find(j, i);
      if (back >= 0 && j < i) continue; // mutual pair: emitted once, from the smaller index
      const p = (sortedVal[off + t] + (back >= 0 ? sortedVal[back] : 0)) * scale;
      outI[m] = Math.min(i, j);
      outJ[m] = Math.max(i, j);
      outV[m] = p;
      m++;
    }
  }
  // Pairs were emitted in the order of the row that found them, keyed by their smaller index:
  // bucket them by that index (counting sort), then sort each bucket by j.
  const rowStart = new Int32Array(n + 1);
  for (let t = 0; t < m; t++) rowStart[outI[t] + 1]++;
  for (let i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
  const fill = rowStart.slice(0, n);
  const rowI = new Int32Array(m);
  const rowJ = new Int32Array(m);
  const vals = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    const at = fill[outI[t]]++;
    rowI[at] = outI[t];
    rowJ[at] = outJ[t];
    vals[at] = outV[t];
  }
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rowStart[i];
    const b = rowStart[i + 1];
    let sorted = true;
    for (let t = a + 1; t < b && sorted; t++) if (rowJ[t] < rowJ[t - 1]) sorted = false;
    if (sorted) continue;
    idx.length = 0;
    for (let t = a; t < b; t++) idx.push(t);
    idx.sort((u, v) => rowJ[u] - rowJ[v]);
    const js = idx.map((t) => rowJ[t]);
    const vs = idx.map((t) => vals[t]);
    for (let t = a; t < b; t++) {
      rowJ[t] = js[t - a];
      vals[t] = vs[t - a];
    }
  }
  return { n, rowI, rowStart, rowJ, values: vals };
}
