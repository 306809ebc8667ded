// Style axes that follow the pixel measures. A VAE's style space is learned only up to a rotation (the
// prior N(0, I) looks the same in every orthonormal basis), so the axes it ends with mix slant with width
// and pen thickness at random. At the end of training we rotate the living style dimensions, as factor
// analysis rotates its loadings to a target: the first axis is the direction of z^X along which the
// measure the code explains best changes, the next the best of the rest made orthogonal to it, and so on;
// what no measure explains keeps its principal directions. The model's likelihood is unchanged but for the
// posterior variances (see models/rotate-style.ts), which the test −ELBO measured after it includes.
import { pixelsToTensor } from '../../../models/pixels.ts';
import type { BinarizeMode } from '../../../models/pixels.ts';
import { rotateStyleAxes } from '../../../models/rotate-style.ts';
import type { VaeModel } from '../../../models/vae.ts';
import { MEASURE_NAMES, measureStyle } from '../explorer/style-measures.ts';
import { symmetricEigen } from '../projections/pca.ts';
import type { StyleMeasure } from '../../contract/explorer.ts';

/** Style dimensions with less KL than this (nats, mean over the images) are dead and left where they are. */
const LIVING_KL = 0.1;
/** A measure becomes an axis only if a linear read-out of z^X explains this share of its variance. */
const MIN_R2 = 0.25;
const MAX_IMAGES = 5000;

export interface StyleAxis {
  /** The dimension (index into z) that now follows the measure. */
  dim: number;
  measure: StyleMeasure;
  /** Share of the measure's variance over the images that z^X explains linearly (before orthogonalising). */
  r2: number;
}

export interface StyleAlignment {
  axes: StyleAxis[];
  /** The living style dimensions that were rotated, and the rotation (row-major, dims² values). */
  dims: number[];
  rotation: number[];
}

/**
 * Computes the rotation from `indices` of the images (measured on their stored pixels, encoded as in
 * training) and applies it to `model`. Returns null when fewer than two style dimensions are alive.
 */
export async function alignStyleAxes(model: VaeModel, images: { pixels: Uint8Array; size: number; channels: number }, indices: number[], binarize: BinarizeMode): Promise<StyleAlignment | null> {
  const c = model.config;
  const S = c.style;
  if (c.objective !== 'ssvae' || S < 2) return null;
  const picked = indices.length > MAX_IMAGES ? indices.filter((_, i) => i % Math.ceil(indices.length / MAX_IMAGES) === 0) : indices;
  const n = picked.length;
  const per = images.size * images.size * images.channels;
  const zx: number[][] = [];
  const kl = new Float64Array(S);
  const L = c.latent;
  for (let start = 0; start < n; start += 1000) {
    const idx = picked.slice(start, start + 1000);
    const x = pixelsToTensor(images.pixels, idx, images.size, images.channels, binarize === 'dynamic' ? 0.5 : binarize);
    let codes: { means: Float32Array; logVars: Float32Array };
    try {
      codes = await model.encodeValues(x);
    } finally {
      x.dispose();
    }
    for (let r = 0; r < idx.length; r++) {
      const m = codes.means.subarray(r * L, r * L + S);
      const v = codes.logVars.subarray(r * L, r * L + S);
      zx.push(Array.from(m));
      for (let d = 0; d < S; d++) kl[d] += 0.5 * (m[d] ** 2 + Math.exp(v[d]) - 1 - v[d]) / n;
    }
  }
  const dims = Array.from({ length: S }, (_, d) => d).filter((d) => kl[d] > LIVING_KL);
  const a = dims.length;
  if (a < 2) return null;
  // centred codes of the living dimensions [n, a]
  const mu = dims.map((d) => zx.reduce((s, row) => s + row[d], 0) / n);
  const Z = zx.map((row) => dims.map((d, j) => row[d] - mu[j]));
  const cov = Array.from({ length: a }, (_, i) => Array.from({ length: a }, (_, j) => Z.reduce((s, row) => s + row[i] * row[j], 0) / n));
  const covInv = invert(cov.map((row, i) => row.map((v, j) => v + (i === j ? 1e-6 : 0))));
  // each measure: regression on the code, its direction and R²
  const candidates: { measure: StyleMeasure; direction: number[]; r2: number }[] = [];
  const measured = picked.map((i) => measureStyle(images.pixels, images.size, i * per, images.channels));
  for (const measure of MEASURE_NAMES) {
    const y = measured.map((m) => m[measure]);
    const my = y.reduce((s, v) => s + v, 0) / n;
    const vy = y.reduce((s, v) => s + (v - my) ** 2, 0) / n;
    if (!(vy > 0)) continue;
    const cross = Array.from({ length: a }, (_, j) => Z.reduce((s, row, r) => s + row[j] * (y[r] - my), 0) / n);
    const beta = covInv.map((row) => row.reduce((s, v, j) => s + v * cross[j], 0));
    const r2 = beta.reduce((s, b, j) => s + b * cross[j], 0) / vy;
    const norm = Math.hypot(...beta);
    if (r2 >= MIN_R2 && norm > 0) candidates.push({ measure, direction: beta.map((b) => b / norm), r2 });
  }
  candidates.sort((p, q) => q.r2 - p.r2);
  // Gram–Schmidt in order of R², then the principal directions of what is left
  const rows: number[][] = [];
  const axes: StyleAxis[] = [];
  for (const cand of candidates) {
    const u = orthogonalise(cand.direction, rows);
    if (!u) continue;
    axes.push({ dim: dims[rows.length], measure: cand.measure, r2: cand.r2 });
    rows.push(u);
  }
  for (const e of principalDirections(cov)) {
    if (rows.length === a) break;
    const u = orthogonalise(e, rows);
    if (u) rows.push(u);
  }
  for (let k = 0; rows.length < a && k < a; k++) {
    const u = orthogonalise(Array.from({ length: a }, (_, j) => (j === k ? 1 : 0)), rows);
    if (u) rows.push(u);
  }
  const rotation = rows.flat();
  await rotateStyleAxes(model, dims, rotation);
  return { axes, dims, rotation };
}

/** u minus its projections on the orthonormal `basis`, normalised; null if (almost) nothing is left. */
function orthogonalise(u: number[], basis: number[][]): number[] | null {
  const v = [...u];
  for (const b of basis) {
    const dot = v.reduce((s, x, j) => s + x * b[j], 0);
    for (let j = 0; j < v.length; j++) v[j] -= dot * b[j];
  }
  const norm = Math.hypot(...v);
  return norm > 1e-3 ? v.map((x) => x / norm) : null;
}

/** Eigenvectors of a symmetric matrix, largest eigenvalue first (the PCA's eigensolver). */
export function principalDirections(m: number[][]): number[][] {
  const a = m.length;
  const { vectors } = symmetricEigen(Float64Array.from(m.flat()), a);
  return Array.from({ length: a }, (_, i) => Array.from(vectors.subarray(i * a, (i + 1) * a)));
}

/** Inverse of a small symmetric positive-definite matrix (Gauss–Jordan). */
function invert(m: number[][]): number[][] {
  const a = m.length;
  const A: number[][] = m.map((row, i) => [...row, ...Array.from({ length: a }, (_, j): number => (i === j ? 1 : 0))]);
  for (let c = 0; c < a; c++) {
    let p = c;
    for (let r = c + 1; r < a; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    const d = A[c][c];
    for (let j = 0; j < 2 * a; j++) A[c][j] /= d;
    for (let r = 0; r < a; r++) {
      if (r === c) continue;
      const f = A[r][c];
      for (let j = 0; j < 2 * a; j++) A[r][j] -= f * A[c][j];
    }
  }
  return A.map((row) => row.slice(a));
}
