// Nearest neighbours of query vectors among a set of reference vectors (latent means), Euclidean or
// cosine, and paths between two codes (linear or spherical interpolation). Pure TS over typed arrays.
import type { KnnResult } from './knn.ts';
import { NeighbourHeap } from './knn.ts';

export type Metric = 'euclidean' | 'cosine';

/** Rows scaled to unit length (zero rows stay zero): cosine distance = squared Euclidean / 2 between them. */
function unitRows(data: ArrayLike<number>, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += data[r * dim + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dim; c++) out[r * dim + c] = data[r * dim + c] * inv;
  }
  return out;
}

/**
 * The k nearest reference rows of each query row (brute force with early exit on partial sums: a few
 * milliseconds per query at 70,000 x 50). Distances are squared Euclidean, or cosine distances
 * (1 - cos) for 'cosine'. `exclude[q]` (optional) is a reference row query q must not return (itself).
 */
export function nearestRows(
  reference: ArrayLike<number>,
  n: number,
  queries: ArrayLike<number>,
  m: number,
  dim: number,
  k: number,
  metric: Metric = 'euclidean',
  exclude?: ArrayLike<number>,
): KnnResult {
  const kk = Math.min(k, n - (exclude ? 1 : 0));
  if (kk < 1) throw new Error(`neighbours: asked for ${k} neighbours among ${n} vectors`);
  const ref = metric === 'cosine' ? unitRows(reference, n, dim) : Float64Array.from({ length: n * dim }, (_, i) => reference[i]);
  const q = metric === 'cosine' ? unitRows(queries, m, dim) : Float64Array.from({ length: m * dim }, (_, i) => queries[i]);
  const indices = new Int32Array(m * kk);
  const distances = new Float64Array(m * kk);
  const heap = new NeighbourHeap(kk);
  for (let i = 0; i < m; i++) {
    const qo = i * dim;
    const skip = exclude ? exclude[i] : -1;
    for (let j = 0; j < n; j++) {
      if (j === skip) continue;
      const bound = heap.bound();
      const ro = j * dim;
      let s = 0;
      for (let c = 0; c < dim; c++) {
        const d = q[qo + c] - ref[ro + c];
        s += d * d;
        if ((c & 7) === 7 && s >= bound) break;
      }
      if (s < bound) heap.push(s, j);
    }
    heap.drainSorted(indices, distances, i * kk);
    heap.reset();
  }
  if (metric === 'cosine') for (let t = 0; t < distances.length; t++) distances[t] /= 2;
  return { k: kk, indices, distances };
}

export type PathMode = 'linear' | 'spherical';

/**
 * `steps` codes from a to b inclusive. 'spherical' (slerp, White 2016) follows the great circle and
 * interpolates the norm linearly, so the codes stay at the typical radius of the prior instead of
 * passing near its low-density centre; it falls back to linear for (anti)parallel codes.
 */
export function interpolate(a: ArrayLike<number>, b: ArrayLike<number>, steps: number, mode: PathMode = 'linear'): Float32Array {
  const dim = a.length;
  if (b.length !== dim) throw new Error(`interpolate: codes of ${dim} and ${b.length} dimensions`);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`interpolate: steps must be a whole number >= 2 (got ${steps})`);
  const out = new Float32Array(steps * dim);
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let c = 0; c < dim; c++) {
    na += a[c] * a[c];
    nb += b[c] * b[c];
    dot += a[c] * b[c];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  const cos = na > 0 && nb > 0 ? Math.max(-1, Math.min(1, dot / (na * nb))) : 1;
  const omega = Math.acos(cos);
  const spherical = mode === 'spherical' && Math.sin(omega) > 1e-6;
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    if (!spherical) {
      for (let c = 0; c < dim; c++) out[s * dim + c] = (1 - t) * a[c] + t * b[c];
      continue;
    }
    // Direction by slerp of the unit vectors, length by linear interpolation of the norms.
    const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
    const wb = Math.sin(t * omega) / Math.sin(omega);
    let len = 0;
    const row = s * dim;
    for (let c = 0; c < dim; c++) {
      const v = (wa * a[c]) / na + (wb * b[c]) / nb;
      out[row + c] = v;
      len += v * v;
    }
    const scale = ((1 - t) * na + t * nb) / Math.sqrt(len);
    for (let c = 0; c < dim; c++) out[row + c] *= scale;
  }
  return out;
}
