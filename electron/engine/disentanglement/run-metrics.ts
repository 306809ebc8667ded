// Factor metrics of a trained run: encode the dataset's images (all of them, or an even sample of
// MAX_IMAGES) to their latent means, then compute MIG, SAP, DCI and the dimension × factor table.
import type { FactorMetrics } from '../../contract/factors.ts';
import type { ImageSet } from '../datasets/types.ts';
import { computeFactorMetrics } from './metrics.ts';

export const FACTOR_METRICS_MAX_IMAGES = 20_000;
const CHUNK = 1000;

export interface Encoder {
  encode(pixels: Uint8Array, count: number): Promise<{ means: Float32Array }>;
}

/** Null when the images carry no factors. */
export async function runFactorMetrics(encoder: Encoder, latent: number, images: ImageSet, signal?: AbortSignal, maxImages = FACTOR_METRICS_MAX_IMAGES): Promise<FactorMetrics | null> {
  if (!images.factors?.length) return null;
  const n = images.count;
  const chosen = n <= maxImages ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from({ length: maxImages }, (_, i) => Math.floor((i * n) / maxImages));
  const per = images.size * images.size * images.channels;
  const codes = new Float32Array(chosen.length * latent);
  const chunk = new Uint8Array(CHUNK * per);
  for (let start = 0; start < chosen.length; start += CHUNK) {
    signal?.throwIfAborted();
    const m = Math.min(CHUNK, chosen.length - start);
    for (let k = 0; k < m; k++) chunk.set(images.pixels.subarray(chosen[start + k] * per, (chosen[start + k] + 1) * per), k * per);
    codes.set((await encoder.encode(chunk.subarray(0, m * per), m)).means, start * latent);
    await new Promise((resolve) => setImmediate(resolve));
  }
  signal?.throwIfAborted();
  const factors = images.factors.map((f) => ({ ...f, values: Float32Array.from(chosen, (i) => f.values[i]) }));
  return computeFactorMetrics({ codes, count: chosen.length, dims: latent, factors, split: Uint8Array.from(chosen, (i) => images.split[i]) });
}
