// Measures of an embedding used by tests, the benchmark and the app: leave-one-out kNN class
// accuracy, and the exact KL(P||Q) (Q normalised over all N^2 pairs).
import { conditionalAffinities, symmetrise, type JointP } from './affinities.ts';
import { knnAll, knnBruteForce } from './knn.ts';

/**
 * Leave-one-out k-NN classification accuracy: each labelled point is classified by a majority vote
 * of its k nearest other points (ties go to the smaller class index, like scikit-learn's argmax).
 * Points with label < 0 are neither scored nor counted as voters' classes.
 */
export function knnAccuracy(points: ArrayLike<number>, n: number, dim: number, labels: ArrayLike<number>, k = 10): number {
  const { indices } = knnAll(points, n, dim, k);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) if (labels[i] > maxLabel) maxLabel = labels[i];
  const votes = new Int32Array(maxLabel + 1);
  let correct = 0;
  let scored = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) continue;
    votes.fill(0);
    for (let t = 0; t < k; t++) {
      const l = labels[indices[i * k + t]];
      if (l >= 0) votes[l]++;
    }
    let best = 0;
    for (let c = 1; c <= maxLabel; c++) if (votes[c] > votes[best]) best = c;
    if (best === labels[i]) correct++;
    scored++;
  }
  return scored === 0 ? NaN : correct / scored;
}

/** Exact KL(P||Q) of a 2-D layout for a sparse symmetric P (pairs i < j); O(N^2) for Q's normaliser. */
export function exactKl(P: JointP, coords: ArrayLike<number>): number {
  const n = P.n;
  let sumQ = 0;
  for (let i = 0; i < n; i++) {
    const xi = coords[2 * i];
    const yi = coords[2 * i + 1];
    for (let j = i + 1; j < n; j++) {
      const dx = xi - coords[2 * j];
      const dy = yi - coords[2 * j + 1];
      sumQ += 1 / (1 + dx * dx + dy * dy);
    }
  }
  sumQ *= 2;
  let kl = 0;
  for (let t = 0; t < P.values.length; t++) {
    const p = P.values[t];
    if (p <= 0) continue;
    const i = P.rowI[t];
    const j = P.rowJ[t];
    const dx = coords[2 * i] - coords[2 * j];
    const dy = coords[2 * i + 1] - coords[2 * j + 1];
    const q = 1 / (1 + dx * dx + dy * dy) / sumQ;
    kl += 2 * p * Math.log(p / q);
  }
  return kl;
}

/** The sparse P that t-SNE optimises: kNN (k neighbours) with perplexity-calibrated bandwidths. */
export function sparseJointP(data: ArrayLike<number>, n: number, dim: number, perplexity: number, k: number): JointP {
  return symmetrise(conditionalAffinities(knnAll(data, n, dim, k), perplexity));
}

/** The exact dense P of the original t-SNE (all N - 1 neighbours per row); O(N^2) memory, small N only. */
export function denseJointP(data: ArrayLike<number>, n: number, dim: number, perplexity: number): JointP {
  return symmetrise(conditionalAffinities(knnBruteForce(data, n, dim, n - 1), perplexity));
}
