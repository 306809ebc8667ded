// Which latent codes to decode for each export: traversal sweeps, manifold grids, style sweeps.
// Pure functions over typed arrays (row-major codes [count, latent]), no TF.js: the explorer views
// can use the same ones for their live views.
import type { RunFile } from '../training/run-file.ts';

/** A dimension counts as active (carries information) when its test KL is above this, nats. */
export const ACTIVE_KL_NATS = 0.01;

/** `count` evenly spaced values from -range to +range (one value 0 when count is 1). */
export function sweepValues(range: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (count === 1) return out;
  for (let i = 0; i < count; i++) out[i] = -range + (2 * range * i) / (count - 1);
  return out;
}

/** Display order of `frames` distinct frames: 0..F-1, then back F-2..1 with ping-pong (no repeated ends). */
export function frameOrder(frames: number, pingPong: boolean): number[] {
  const order = Array.from({ length: frames }, (_, i) => i);
  if (pingPong) for (let i = frames - 2; i >= 1; i--) order.push(i);
  return order;
}

/** The KL per dimension of the last epoch that has one (null entries when the run has no test split). */
export function lastKlPerDim(run: Pick<RunFile, 'history' | 'model'>): (number | null)[] {
  for (let e = run.history.length - 1; e >= 0; e--) {
    const kl = run.history[e].testKlPerDim;
    if (Array.isArray(kl) && kl.length === run.model.latent) return kl.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  }
  return Array.from({ length: run.model.latent }, () => null);
}

/** Active dimensions (test KL above the threshold); every dimension when the run has no KL to go by. */
export function activeDimensions(run: Pick<RunFile, 'history' | 'model'>, threshold = ACTIVE_KL_NATS): number[] {
  const kl = lastKlPerDim(run);
  if (kl.every((v) => v === null)) return kl.map((_, i) => i);
  return kl.flatMap((v, i) => (v !== null && v > threshold ? [i] : []));
}

/**
 * Traversal codes, frame-major: for each value, for each dimension (row), for each base (column),
 * the base with z_dim set to the value. bases is row-major [columns, latent].
 */
export function traversalCodes(bases: Float32Array, latent: number, dims: number[], values: Float32Array): Float32Array {
  const columns = bases.length / latent;
  const out = new Float32Array(values.length * dims.length * columns * latent);
  let o = 0;
  for (const v of values) {
    for (const d of dims) {
      for (let c = 0; c < columns; c++) {
        out.set(bases.subarray(c * latent, (c + 1) * latent), o);
        out[o + d] = v;
        o += latent;
      }
    }
  }
  return out;
}

/**
 * Manifold grid codes, row-major from the top-left: columns sweep dims[0] from -range to +range, rows
 * sweep dims[1] from +range (top) to -range (bottom), as on a plot's y axis. Other dimensions from `base`.
 */
export function manifoldCodes(base: Float32Array, dims: [number, number], n: number, range: number): Float32Array {
  const latent = base.length;
  const values = sweepValues(range, n);
  const out = new Float32Array(n * n * latent);
  let o = 0;
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      out.set(base, o);
      out[o + dims[0]] = values[col];
      out[o + dims[1]] = values[n - 1 - row];
      o += latent;
    }
  }
  return out;
}

/**
 * Class prototypes of a semi-supervised run: the mean posterior code of each class's labelled images
 * (style part set to 0), row-major [classes, latent]. A class with no labelled image gets zeros and is listed in `missing`.
 */
export function classPrototypes(
  means: Float32Array,
  latent: number,
  style: number,
  labels: Int32Array,
  classes: number,
  include: (index: number) => boolean = () => true,
): { codes: Float32Array; missing: number[] } {
  const codes = new Float32Array(classes * latent);
  const counts = new Float64Array(classes);
  const sums = new Float64Array(classes * latent);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    if (k < 0 || k >= classes || !include(i)) continue;
    counts[k]++;
    for (let d = style; d < latent; d++) sums[k * latent + d] += means[i * latent + d];
  }
  const missing: number[] = [];
  for (let k = 0; k < classes; k++) {
    if (counts[k] === 0) missing.push(k);
    else for (let d = style; d < latent; d++) codes[k * latent + d] = sums[k * latent + d] / counts[k];
  }
  return { codes, missing };
}
