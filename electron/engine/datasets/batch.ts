// Batches for training: uint8 pixels to [0,1] floats on the fly, binarized when asked.
import type { Binarize, ImageSet } from './types.ts';
import { pixelsToFloats } from '../../../models/pixels.ts';

/**
 * Images `indices` of `images` as one Float32Array (N x size x size x channels, HWC), values in [0,1].
 * binarize: 'off' keeps grey levels; a number t gives x > t ? 1 : 0; 'dynamic' draws each pixel from
 * Bernoulli(x) with `rng` (call it again each epoch for a fresh sample). Pass `out` to reuse memory.
 * The conversion is training's own (models/pixels.ts); this adds the checks of indices and of `out`.
 */
export function toFloatBatch(images: ImageSet, indices: ArrayLike<number>, binarize: Binarize, rng: () => number = Math.random, out?: Float32Array): Float32Array {
  const per = images.size * images.size * images.channels;
  const n = indices.length;
  if (out && out.length < n * per) throw new Error(`toFloatBatch: out holds ${out.length} values, ${n * per} needed`);
  for (let k = 0; k < n; k++) {
    const index = indices[k];
    if (!(index >= 0 && index < images.count)) throw new Error(`toFloatBatch: image index ${index} out of range 0..${images.count - 1}`);
  }
  const floats = pixelsToFloats(images.pixels, indices, images.size, images.channels, binarize, rng, out?.subarray(0, n * per));
  return out ?? floats;
}
