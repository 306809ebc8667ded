// Which latent codes to decode for each export. The sweeps themselves (values, manifold grids,
// traversals, class means) are the explorer views' own functions (explorer/grids.ts), so a GIF shows
// what the view shows; here is what only the exports need: frame order, active dimensions, and
// traversals arranged frame by frame over several base codes.
import type { RunFile } from '../training/run-file.ts';
import { traversalCodes } from '../explorer/grids.ts';

/** A dimension counts as active (carries information) when its test KL is above this, nats. */
export const ACTIVE_KL_NATS = 0.01;

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
 * Traversal codes of one frame: for each dimension (row), for each base (column), the base with
 * z_dim at the frame's value. bases is row-major [columns, latent]; `sweeps` caches the explorer's
 * per-base traversals so every frame reuses them.
 */
export function traversalFrames(bases: Float32Array, latent: number, dims: number[], steps: number, range: number): (frame: number) => Float32Array {
  const columns = bases.length / latent;
  const sweeps = Array.from({ length: columns }, (_, c) => traversalCodes(latent, dims, steps, range, bases.slice(c * latent, (c + 1) * latent)).z);
  return (frame) => {
    const out = new Float32Array(dims.length * columns * latent);
    let o = 0;
    for (let k = 0; k < dims.length; k++) {
      for (let c = 0; c < columns; c++) {
        const row = (k * steps + frame) * latent;
        out.set(sweeps[c].subarray(row, row + latent), o);
        o += latent;
      }
    }
    return out;
  };
}
