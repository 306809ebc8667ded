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
 * Newton steps on beta (dH/dbeta = -beta Var_p(d)) inside a bisection bracket: ~5 passes over a row
 * where bisection alone took ~25.
 */
export function conditionalAffinities(knn: KnnResult, perplexity: number): ConditionalP {
  const { k, indices, distances } = knn;
  const n = indices.length / k;
  if (!(perplexity > 0)) throw new Error('perplexity must be positive');
  const values = new Float64Array(n * k);
  const betas = new Float64Array(n);
  const entropies = new Float64Array(n);
  calibrateRows(distances, k, n, perplexity, values, betas, entropies);
  return { k, indices, values, betas, entropies };
}

/** Something that calibrates share [1, 2] of the rows on another thread (tsne-parallel.ts). */
export interface CalibrationHelper {
  /**
   * Shared storage for a calibration of n rows of k distances: `distances` holds these distances
   * (the same array, or a copy), the others receive the results. Null if the helper has none.
   */
  calibrationShared(n: number, k: number, distances: Float64Array): CalibrationShared | null;
  startCalibration(k: number, perplexity: number): void;
  /** False if the helper failed: the caller then calibrates that share itself. */
  finishCalibration(): boolean;
}

export interface CalibrationShared {
  distances: Float64Array;
  values: Float64Array;
  betas: Float64Array;
  entropies: Float64Array;
}

/** conditionalAffinities with the rows split between this thread and a helper: the same result, bit for bit. */
export function conditionalAffinitiesShared(knn: KnnResult, perplexity: number, helper: CalibrationHelper): ConditionalP {
  const { k, indices } = knn;
  const n = indices.length / k;
  if (!(perplexity > 0)) throw new Error('perplexity must be positive');
  const shared = helper.calibrationShared(n, k, knn.distances);
  if (!shared) return conditionalAffinities(knn, perplexity);
  const { distances, values, betas, entropies } = shared;
  helper.startCalibration(k, perplexity);
  calibrateRows(distances, k, n, perplexity, values, betas, entropies, [0, 2]);
  if (!helper.finishCalibration()) calibrateRows(distances, k, n, perplexity, values, betas, entropies, [1, 2]);
  return { k, indices, values, betas, entropies };
}

/**
 * The rows of `share` ([part, parts]: rows i with i % parts === part) of conditionalAffinities,
 * written into values (N x k), betas and entropies (N), so two threads can split the rows.
 */
export function calibrateRows(
  distances: Float64Array,
  k: number,
  n: number,
  perplexity: number,
  values: Float64Array,
  betas: Float64Array | null,
  entropies: Float64Array | null,
  share: [number, number] = [0, 1],
): void {
  const target = Math.log(perplexity);
  const shifted = new Float64Array(k);
  const [part, parts] = share;
  for (let i = part; i < n; i += parts) {
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
    // Start near the right scale: beta ~ 1 / typical distance.
    let beta = spread > 0 ? 1 / spread : 1;
    let lo = 0;
    let hi = Infinity;
    let bestBeta = beta;
    let bestGap = Infinity;
    for (let step = 0; step < MAX_STEPS; step++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < k; j++) {
        const d = shifted[j];
        const w = Math.exp(-beta * d);
        s0 += w;
        s1 += w * d;
        s2 += w * d * d;
      }
      const mean = s1 / s0;
      // H = log(sum) + beta * E[d] (the shift by d_min cancels out).
      const gap = Math.log(s0) + beta * mean - target;
      if (Math.abs(gap) < bestGap) {
        bestGap = Math.abs(gap);
        bestBeta = beta;
      }
      if (Math.abs(gap) <= ENTROPY_TOLERANCE) break;
      // Too flat (gap > 0): sharpen, so beta's lower bound rises; else its upper bound falls.
      if (gap > 0) lo = beta;
      else hi = beta;
      const slope = beta * (s2 / s0 - mean * mean); // -dH/dbeta
      let next = slope > 0 ? beta + gap / slope : NaN;
      if (!(next > lo && next < hi)) next = hi === Infinity ? beta * 2 : (lo + hi) / 2;
      beta = next;
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
    if (betas) betas[i] = beta;
    if (entropies) entropies[i] = h;
  }
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

/**
 * P = (P_cond + P_cond^T) / 2N, as in van der Maaten (2014) and scikit-learn. Linear in N k apart
 * from sorting each row's pairs: the reverse neighbour lists come from a counting sort (P_cond's
 * transpose), each row's pairs from a scatter into a scratch row, then the row's partners are
 * sorted (a native sort of ~k integers) and their values read back from the scratch row.
 */
export function symmetrise(cond: ConditionalP): JointP {
  const { k, indices, values } = cond;
  const n = indices.length / k;
  // Transpose: for each point j, the rows i that have j as a neighbour (ascending i), with p(j|i).
  const tStart = new Int32Array(n + 1);
  for (let t = 0; t < n * k; t++) tStart[indices[t] + 1]++;
  for (let j = 0; j < n; j++) tStart[j + 1] += tStart[j];
  const tFill = tStart.slice(0, n);
  const tRow = new Int32Array(n * k);
  const tVal = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let t = i * k; t < i * k + k; t++) {
      const at = tFill[indices[t]]++;
      tRow[at] = i;
      tVal[at] = values[t];
    }
  }
  // Each unordered pair once, from its smaller index i: p(j|i) (+ p(i|j) when mutual), or p(i|j)
  // alone for a reverse-only neighbour. A pair comes from one entry of P_cond at least, so there are
  // at most N k of them.
  const scale = 1 / (2 * n);
  const rowStart = new Int32Array(n + 1);
  const cols = new Int32Array(n * k);
  const vals = new Float64Array(n * k);
  const scratch = new Float64Array(n);
  const mark = new Int32Array(n).fill(-1);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const first = m;
    const off = i * k;
    for (let t = off; t < off + k; t++) {
      const j = indices[t];
      mark[j] = i;
      scratch[j] = values[t];
    }
    for (let u = tStart[i]; u < tStart[i + 1]; u++) {
      const r = tRow[u];
      if (mark[r] === i) scratch[r] += tVal[u];
      else if (r > i) {
        scratch[r] = tVal[u];
        cols[m++] = r;
      }
    }
    for (let t = off; t < off + k; t++) {
      const j = indices[t];
      if (j > i) cols[m++] = j;
    }
    if (m - first > 1) cols.subarray(first, m).sort();
    for (let q = first; q < m; q++) vals[q] = scratch[cols[q]] * scale;
    rowStart[i + 1] = m;
  }
  const rowI = new Int32Array(m);
  for (let i = 0; i < n; i++) rowI.fill(i, rowStart[i], rowStart[i + 1]);
  return { n, rowI, rowStart, rowJ: cols.slice(0, m), values: vals.slice(0, m) };
}
