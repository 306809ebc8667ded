// Latent codes for the decoded figures: the manifold grid, the traversal sweeps, class mean codes.
// Pure functions over Float32Arrays (count × latent rows), so they are tested without a model.
import { UserError } from '../../contract/errors.ts';

function checkBase(base: Float32Array | undefined, latent: number): Float32Array {
  if (base === undefined || base === null) return new Float32Array(latent);
  if (!(base instanceof Float32Array) || base.length !== latent) throw new UserError(`base must be a Float32Array of ${latent} values (got ${base?.length ?? 'none'}).`);
  return base;
}

function checkDim(d: number, latent: number): void {
  if (!Number.isInteger(d) || d < 0 || d >= latent) throw new UserError(`dimension ${d} does not exist (the latent has ${latent}: 0 to ${latent - 1}).`);
}

function checkRange(range: number): void {
  if (!(range > 0 && range <= 20)) throw new UserError(`range must be above 0 and at most 20 standard deviations (got ${range}).`);
}

/** Evenly spaced values from −range to range (one value: 0). */
export function sweepValues(range: number, steps: number): Float32Array {
  if (steps === 1) return new Float32Array([0]);
  return Float32Array.from({ length: steps }, (_, s) => -range + (2 * range * s) / (steps - 1));
}

/**
 * grid × grid codes, row-major from the top-left: dims[0] grows left to right, dims[1] from +range
 * at the top to −range at the bottom (the lectures' plots, with z_2 upwards). Other dims from base.
 */
export function manifoldCodes(latent: number, dims: [number, number], range: number, grid: number, base?: Float32Array): Float32Array {
  if (!Array.isArray(dims) || dims.length !== 2) throw new UserError('dims must name two latent dimensions.');
  checkDim(dims[0], latent);
  checkDim(dims[1], latent);
  checkRange(range);
  if (!Number.isInteger(grid) || grid < 2 || grid > 40) throw new UserError(`grid must be a whole number from 2 to 40 (got ${grid}).`);
  const b = checkBase(base, latent);
  const values = sweepValues(range, grid);
  const z = new Float32Array(grid * grid * latent);
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      const row = (r * grid + c) * latent;
      z.set(b, row);
      z[row + dims[0]] = values[c];
      // With one latent dimension (dims equal) the rows repeat the sweep.
      if (dims[1] !== dims[0]) z[row + dims[1]] = values[grid - 1 - r];
    }
  }
  return z;
}

/** For each dim, `steps` codes sweeping it from −range to range with the others from base. */
export function traversalCodes(latent: number, dims: number[], steps: number, range: number, base?: Float32Array): { z: Float32Array; values: Float32Array } {
  if (!Array.isArray(dims) || dims.length < 1) throw new UserError('dims must list at least one latent dimension.');
  for (const d of dims) checkDim(d, latent);
  checkRange(range);
  if (!Number.isInteger(steps) || steps < 2 || steps > 64) throw new UserError(`steps must be a whole number from 2 to 64 (got ${steps}).`);
  const b = checkBase(base, latent);
  const values = sweepValues(range, steps);
  const z = new Float32Array(dims.length * steps * latent);
  dims.forEach((d, k) => {
    for (let s = 0; s < steps; s++) {
      const row = (k * steps + s) * latent;
      z.set(b, row);
      z[row + d] = values[s];
    }
  });
  return { z, values };
}

/** Mean code per class over the listed images (NaN rows for classes with none) and the counts. */
export function classMeanCodes(means: Float32Array, labels: Int32Array, latent: number, classes: number): { means: Float32Array; counts: Int32Array } {
  const sums = new Float64Array(classes * latent);
  const counts = new Int32Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    if (k < 0 || k >= classes) continue;
    counts[k]++;
    for (let j = 0; j < latent; j++) sums[k * latent + j] += means[i * latent + j];
  }
  const out = new Float32Array(classes * latent);
  for (let k = 0; k < classes; k++) for (let j = 0; j < latent; j++) out[k * latent + j] = counts[k] ? sums[k * latent + j] / counts[k] : NaN;
  return { means: out, counts };
}
