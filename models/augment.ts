// Cheap input perturbations for consistency regularisation of the semi-supervised class posterior:
// a digit moved by a pixel or two is the same digit, so q(y|x) should not change.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from './random.ts';

/** A seeded PRNG, so a training step with the same seed shifts the same way. */
export const seededRandom = mulberry32;

/**
 * Each image of x [N,H,W,C] moved by its own offsets (dy, dx), pixels that come in from outside are 0.
 * offsets: [dy, dx] per image; a positive dx moves the content right, a positive dy down.
 * A gather of x's values by indices worked out here, so x is never read back: inside a loss on a GPU a
 * read would wait for the GPU (and in Node, where WebGPU cannot read synchronously, failed).
 */
export function translateImages(x: tf.Tensor4D, offsets: Array<[number, number]>): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (offsets.length !== n) throw new Error(`translateImages: ${offsets.length} offsets for ${n} images`);
  const per = h * w * c;
  // where each output value comes from in x, flattened; the last index, one past x, reads the 0 appended
  const from = new Int32Array(n * per).fill(n * per);
  for (let k = 0; k < n; k++) {
    const [dy, dx] = offsets[k];
    const len = (w - Math.abs(dx)) * c;
    if (len <= 0) continue;
    for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
      const src = k * per + ((y - dy) * w + Math.max(0, -dx)) * c;
      const to = k * per + (y * w + Math.max(0, dx)) * c;
      for (let i = 0; i < len; i++) from[to + i] = src + i;
    }
  }
  return tf.tidy(() => {
    const values = tf.concat([tf.reshape(x, [n * per]), tf.zeros([1], x.dtype)]);
    return tf.reshape(tf.gather(values, tf.tensor1d(from, 'int32')), [n, h, w, c]) as tf.Tensor4D;
  });
}

/** Offsets drawn uniformly from {−max, …, max}² per image. */
export function randomOffsets(n: number, max: number, random: () => number): Array<[number, number]> {
  const pick = () => Math.floor(random() * (2 * max + 1)) - max;
  return Array.from({ length: n }, () => [pick(), pick()] as [number, number]);
}

/** The identity in the forward pass with no gradient: a fixed target inside tf.variableGrads. */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
