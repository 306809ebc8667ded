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
  const cols = new Int32Array(n * k);
  const vals = new Float64Array(n * k);
  const counts = new Int32Array(n);
  const m = symmetriseRows(indices, values, k, 0, n, cols, vals, counts, false);
  return assembleP(n, counts, [cols.subarray(0, m), vals.subarray(0, m)], null);
}

/** Something that symmetrises the last rows on another thread (tsne-parallel.ts). */
export interface SymmetriseHelper {
  /**
   * Shared storage to symmetrise `cond` (whose indices and values the helper must be able to read):
   * the pairs' partners and values (N k each) and each row's pair count (N). Null if there is none.
   */
  symmetriseShared(cond: ConditionalP): { cols: Int32Array; vals: Float64Array; counts: Int32Array } | null;
  /** Starts the helper on rows from..N-1, written backwards from the end of cols/vals. */
  startSymmetrise(from: number): void;
  /** The number of pairs the helper wrote, or null if it failed (the caller then does its rows). */
  finishSymmetrise(): number | null;
}

/** symmetrise(cond) with the second half of the rows on a helper thread: the same P, bit for bit. */
export function symmetriseShared(cond: ConditionalP, helper: SymmetriseHelper): JointP {
  const { k, indices, values } = cond;
  const n = indices.length / k;
  const shared = helper.symmetriseShared(cond);
  if (!shared) return symmetrise(cond);
  const { cols, vals, counts } = shared;
  const half = n >> 1;
  helper.startSymmetrise(half);
  const mine = symmetriseRows(indices, values, k, 0, half, cols, vals, counts, false);
  let theirs = helper.finishSymmetrise();
  if (theirs === null) theirs = symmetriseRows(indices, values, k, half, n, cols, vals, counts, true);
  const end = cols.length;
  return assembleP(n, counts, [cols.subarray(0, mine), vals.subarray(0, mine)], [cols.subarray(end - theirs, end), vals.subarray(end - theirs, end)]);
}

/** JointP from the rows' pair counts and their pairs, in row order (a second block of later rows optional). */
function assembleP(n: number, counts: Int32Array, first: [Int32Array, Float64Array], second: [Int32Array, Float64Array] | null): JointP {
  const m = first[0].length + (second ? second[0].length : 0);
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i] + counts[i];
  const rowI = new Int32Array(m);
  for (let i = 0; i < n; i++) rowI.fill(i, rowStart[i], rowStart[i + 1]);
  const rowJ = new Int32Array(m);
  const values = new Float64Array(m);
  rowJ.set(first[0]);
  values.set(first[1]);
  if (second) {
    rowJ.set(second[0], first[0].length);
    values.set(second[1], first[0].length);
  }
  return { n, rowI, rowStart, rowJ, values };
}

/**
 * Rows lo..hi-1 of the symmetrised P: each unordered pair once, from its smaller index i, with
 * p(j|i) (+ p(i|j) when mutual), or p(i|j) alone for a reverse-only neighbour; a row's partners
 * ascending. Writes the pairs into cols/vals from the start (or, `backwards`, the rows from the
 * last down, ending at the arrays' end) and each row's pair count into counts. Returns the number
 * of pairs. All rows together have at most N k pairs (each comes from an entry of P_cond).
 */
export function symmetriseRows(indices: Int32Array, values: Float64Array, k: number, lo: number, hi: number, cols: Int32Array, vals: Float64Array, counts: Int32Array, backwards: boolean): number {
  const n = indices.length / k;
  // Transpose for rows lo..hi-1: the rows i that have j as a neighbour (ascending i), with p(j|i).
  const tStart = new Int32Array(hi - lo + 1);
  for (let t = 0; t < n * k; t++) {
    const j = indices[t];
    if (j >= lo && j < hi) tStart[j - lo + 1]++;
  }
  let longest = 0;
  for (let j = 0; j < hi - lo; j++) {
    longest = Math.max(longest, tStart[j + 1]);
    tStart[j + 1] += tStart[j];
  }
  const tFill = tStart.slice(0, hi - lo);
  const tRow = new Int32Array(tStart[hi - lo]);
  const tVal = new Float64Array(tStart[hi - lo]);
  for (let i = 0; i < n; i++) {
    for (let t = i * k; t < i * k + k; t++) {
      const j = indices[t];
      if (j < lo || j >= hi) continue;
      const at = tFill[j - lo]++;
      tRow[at] = i;
      tVal[at] = values[t];
    }
  }
  const scale = 1 / (2 * n);
  const scratch = new Float64Array(n);
  const mark = new Int32Array(n).fill(-1);
  const row = new Int32Array(k + longest);
  let written = 0;
  for (let step = 0; step < hi - lo; step++) {
    const i = backwards ? hi - 1 - step : lo + step;
    const off = i * k;
    let c = 0;
    for (let t = off; t < off + k; t++) {
      const j = indices[t];
      mark[j] = i;
      scratch[j] = values[t];
    }
    for (let u = tStart[i - lo]; u < tStart[i - lo + 1]; u++) {
      const r = tRow[u];
      if (mark[r] === i) scratch[r] += tVal[u];
      else if (r > i) {
        scratch[r] = tVal[u];
        row[c++] = r;
      }
    }
    for (let t = off; t < off + k; t++) {
      const j = indices[t];
      if (j > i) row[c++] = j;
    }
    if (c > 1) row.subarray(0, c).sort();
    const at = backwards ? cols.length - written - c : written;
    for (let q = 0; q < c; q++) {
      cols[at + q] = row[q];
      vals[at + q] = scratch[row[q]] * scale;
    }
    counts[i] = c;
    written += c;
  }
  return written;
}
