// Placing new points on a fixed UMAP layout, as umap-learn's transform() does (McInnes et al. 2018),
// written over typed arrays instead of through umap-js: umap-js's transform needs the fitted model
// (its search graph and the raw rows), which a layout run in the worker does not keep, and it walks
// string-keyed sparse matrices.
// - Each new point's k nearest reference rows (the layout's own neighbours setting) get UMAP's fuzzy
//   memberships exp(-(d - rho) / sigma), sigma calibrated so that they sum to log2(k) (transform
//   uses a local connectivity of 0, so rho = 0).
// - The point starts at the membership-weighted mean of those neighbours' positions.
// - Then a third of the layout's epochs of UMAP's SGD move it with every old point held fixed:
//   attraction along its edges, repulsion from negative samples of old points (5 per edge sample),
//   the learning rate starting at a quarter of the layout's and falling linearly to 0.
import { findABParams } from 'umap-js/dist/umap.js';
import { mulberry32 } from '../random.ts';
import { nearestRows } from './neighbours.ts';

export interface UmapPlacementOptions {
  /** The layout's neighbours per point (umap-js's nNeighbors, counting the point itself). Default 15. */
  neighbours?: number;
  /** The layout's minimum distance. Default 0.1. */
  minDist?: number;
  /** The layout's epochs: the placement runs a third of them (umap-learn's transform). Default 200. */
  epochs?: number;
  seed?: number;
  /** Epochs of the placement itself (default: a third of the layout's, as umap-learn); 0 keeps the neighbour average. */
  steps?: number;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const NEGATIVE_SAMPLE_RATE = 5;
const CLIP = 4;

/** a, b of the low-dimensional similarity 1 / (1 + a d^2b) for a spread of 1 (umap-js's curve fit). */
export function umapCurve(minDist: number): { a: number; b: number } {
  return findABParams(1, minDist);
}

/**
 * Positions (M x 2) of new points on a fixed UMAP layout of `n` reference points. `reference` and
 * `points` are the vectors the layout was computed from (row-major, `dim` columns).
 */
export function placeOnUmap(reference: ArrayLike<number>, layout: ArrayLike<number>, n: number, points: ArrayLike<number>, m: number, dim: number, options: UmapPlacementOptions = {}): Float32Array {
  // A new point is not among the reference rows: all its k neighbours are other points.
  const k = Math.max(1, Math.min(n, options.neighbours ?? 15));
  const knn = nearestRows(reference, n, points, m, dim, k);
  const weights = new Float64Array(m * k);
  const target = Math.log2(k);
  for (let i = 0; i < m; i++) {
    const off = i * k;
    for (let t = 0; t < k; t++) weights[off + t] = Math.sqrt(knn.distances[off + t]);
    // Binary search for sigma: sum exp(-d / sigma) = log2(k) (as umap-js's smoothKNNDistance).
    let lo = 0;
    let hi = Infinity;
    let sigma = 1;
    let mean = 0;
    for (let t = 0; t < k; t++) mean += weights[off + t];
    mean /= k;
    for (let step = 0; step < 64; step++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += Math.exp(-weights[off + t] / sigma);
      if (Math.abs(sum - target) < SMOOTH_K_TOLERANCE) break;
      if (sum > target) {
        hi = sigma;
        sigma = (lo + hi) / 2;
      } else {
        lo = sigma;
        sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2;
      }
    }
    // umap's floor on sigma: a thousandth of the mean distance.
    sigma = Math.max(sigma, 1e-3 * mean);
    for (let t = 0; t < k; t++) weights[off + t] = Math.exp(-weights[off + t] / sigma);
  }
  const y = new Float64Array(2 * m);
  for (let i = 0; i < m; i++) {
    let sw = 0;
    let sx = 0;
    let sy = 0;
    for (let t = 0; t < k; t++) {
      const j = knn.indices[i * k + t];
      const w = weights[i * k + t];
      sw += w;
      sx += w * layout[2 * j];
      sy += w * layout[2 * j + 1];
    }
    y[2 * i] = sw > 0 ? sx / sw : layout[2 * knn.indices[i * k]];
    y[2 * i + 1] = sw > 0 ? sy / sw : layout[2 * knn.indices[i * k] + 1];
  }
  const epochs = options.steps ?? Math.max(1, Math.floor((options.epochs ?? 200) / 3));
  if (n < 2 || epochs < 1) return Float32Array.from(y);
  // Edge schedule as umap's make_epochs_per_sample: the strongest edge every epoch, weaker ones less
  // often; edges below max / epochs are dropped.
  let maxW = 0;
  for (let t = 0; t < weights.length; t++) if (weights[t] > maxW) maxW = weights[t];
  const perSample = new Float64Array(m * k).fill(-1);
  for (let t = 0; t < weights.length; t++) if (weights[t] >= maxW / epochs && weights[t] > 0) perSample[t] = maxW / weights[t];
  const nextSample = Float64Array.from(perSample);
  const perNegative = Float64Array.from(perSample, (v) => v / NEGATIVE_SAMPLE_RATE);
  const nextNegative = Float64Array.from(perNegative);
  const { a, b } = umapCurve(options.minDist ?? 0.1);
  const rand = mulberry32(options.seed ?? 0);
  // umap-learn's transform starts at a quarter of the layout's learning rate.
  const initialAlpha = 0.25;
  const clip = (v: number): number => (v > CLIP ? CLIP : v < -CLIP ? -CLIP : v);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const alpha = initialAlpha * (1 - epoch / epochs);
    for (let i = 0; i < m; i++) {
      let cx = y[2 * i];
      let cy = y[2 * i + 1];
      for (let t = i * k; t < (i + 1) * k; t++) {
        if (perSample[t] < 0 || nextSample[t] > epoch) continue;
        const j = knn.indices[t];
        let dx = cx - layout[2 * j];
        let dy = cy - layout[2 * j + 1];
        let d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const coeff = (-2 * a * b * Math.pow(d2, b - 1)) / (a * Math.pow(d2, b) + 1);
          cx += clip(coeff * dx) * alpha;
          cy += clip(coeff * dy) * alpha;
        }
        nextSample[t] += perSample[t];
        const negatives = Math.floor((epoch - nextNegative[t]) / perNegative[t]);
        for (let s = 0; s < negatives; s++) {
          const o = Math.floor(rand() * n);
          dx = cx - layout[2 * o];
          dy = cy - layout[2 * o + 1];
          d2 = dx * dx + dy * dy;
          if (d2 > 0) {
            const coeff = (2 * b) / ((0.001 + d2) * (a * Math.pow(d2, b) + 1));
            cx += clip(coeff * dx) * alpha;
            cy += clip(coeff * dy) * alpha;
          }
        }
        if (negatives > 0) nextNegative[t] += negatives * perNegative[t];
      }
      y[2 * i] = cx;
      y[2 * i + 1] = cy;
    }
  }
  return Float32Array.from(y);
}
