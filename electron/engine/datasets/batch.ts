// Batches for training: uint8 pixels to [0,1] floats on the fly, binarized when asked.
import type { Binarize, ImageSet } from './types.ts';

const SCALE = new Float32Array(256).map((_, v) => v / 255);

/**
 * Images `indices` of `images` as one Float32Array (N x size x size x channels, HWC), values in [0,1].
 * binarize: 'off' keeps grey levels; a number t gives x > t ? 1 : 0; 'dynamic' draws each pixel from
 * Bernoulli(x) with `rng` (call it again each epoch for a fresh sample). Pass `out` to reuse memory.
 */
export function toFloatBatch(images: ImageSet, indices: ArrayLike<number>, binarize: Binarize, rng: () => number = Math.random, out?: Float32Array): Float32Array {
  const per = images.size * images.size * images.channels;
  const n = indices.length;
  const result = out ?? new Float32Array(n * per);
  if (result.length < n * per) throw new Error(`toFloatBatch: out holds ${result.length} values, ${n * per} needed`);
  const { pixels } = images;
  for (let k = 0; k < n; k++) {
    const index = indices[k];
    if (!(index >= 0 && index < images.count)) throw new Error(`toFloatBatch: image index ${index} out of range 0..${images.count - 1}`);
    const src = index * per;
    const dst = k * per;
    if (binarize === 'off') {
      for (let j = 0; j < per; j++) result[dst + j] = SCALE[pixels[src + j]];
    } else if (binarize === 'dynamic') {
      for (let j = 0; j < per; j++) result[dst + j] = rng() < SCALE[pixels[src + j]] ? 1 : 0;
    } else {
      for (let j = 0; j < per; j++) result[dst + j] = SCALE[pixels[src + j]] > binarize ? 1 : 0;
    }
  }
  return result;
}
