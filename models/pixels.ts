// uint8 HWC pixels <-> float tensors in [0,1], with the binarization the dataset asks for.
import * as tf from '@tensorflow/tfjs';

/** 'off' keeps grey values, a number is a fixed threshold in (0,1), 'dynamic' draws each pixel ~ Bernoulli(value). */
export type BinarizeMode = 'off' | 'dynamic' | number;

/**
 * Images `indices` of `pixels` (N x size x size x channels, uint8) as a float32 tensor [n, size, size, channels].
 * `random` is needed for 'dynamic' binarization (seeded by the caller so runs repeat).
 */
export function pixelsToTensor(
  pixels: Uint8Array,
  indices: ArrayLike<number>,
  size: number,
  channels: number,
  binarize: BinarizeMode = 'off',
  random?: () => number,
): tf.Tensor4D {
  return tf.tensor4d(pixelsToFloats(pixels, indices, size, channels, binarize, random), [indices.length, size, size, channels]);
}

/** The floats of pixelsToTensor, for a batch that is cut into shards before it becomes tensors. */
export function pixelsToFloats(
  pixels: Uint8Array,
  indices: ArrayLike<number>,
  size: number,
  channels: number,
  binarize: BinarizeMode = 'off',
  random?: () => number,
): Float32Array {
  const per = size * size * channels;
  const out = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * per;
    const dst = k * per;
    if (binarize === 'off') {
      for (let p = 0; p < per; p++) out[dst + p] = pixels[src + p] / 255;
    } else if (binarize === 'dynamic') {
      if (!random) throw new Error("'dynamic' binarization needs a random source");
      for (let p = 0; p < per; p++) out[dst + p] = random() * 255 < pixels[src + p] ? 1 : 0;
    } else {
      const t = binarize * 255;
      for (let p = 0; p < per; p++) out[dst + p] = pixels[src + p] > t ? 1 : 0;
    }
  }
  return out;
}

/** Float images in [0,1] -> uint8 HWC pixels (disposes nothing; reads synchronously). */
export function tensorToPixels(images: tf.Tensor): Uint8Array {
  const data = images.dataSync();
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(data[i] * 255)));
  return out;
}

/** When encoding for the explorer views, 'dynamic' binarization would add noise: use the grey values. */
export function inferenceBinarize(mode: BinarizeMode): BinarizeMode {
  return mode === 'dynamic' ? 'off' : mode;
}
