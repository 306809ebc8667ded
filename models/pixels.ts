// uint8 HWC pixels <-> float tensors in [0,1], with the binarization the dataset asks for.
import * as tf from '@tensorflow/tfjs';
import { loadedAddon } from './native/kernels.ts';
import type { SeededRandom } from './random.ts';

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
  into?: Float32Array,
): Float32Array {
  const per = size * size * channels;
  // `into`, when it is the batch's size: training refills one array instead of allocating 400 KB a step
  const out = into && into.length === indices.length * per ? into : new Float32Array(indices.length * per);
  if (binarize === 'dynamic' && !random) throw new Error("'dynamic' binarization needs a random source");
  if (nativeConversion(pixels, indices, per, binarize, random, out)) return out;
  // a batch is converted before every training step, on the thread that then waits for it
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * per;
    const dst = k * per;
    if (binarize === 'off') scaled(pixels, src, out, dst, per);
    else if (binarize === 'dynamic') sampled(pixels, src, out, dst, per, random!);
    else thresholded(pixels, src, out, dst, per, binarize * 255);
  }
  return out;
}

/**
 * The conversion in the native kernels, where they run: the same floats, 3-9x faster on one thread (a batch
 * of 128 MNIST images with dynamic binarization: 0.52 ms in the loops below, 0.16 there). Dynamic
 * binarization takes its draws from `random`'s own sequence, so it needs a mulberry32 (models/random.ts);
 * false where it cannot run (then the loops below do).
 */
function nativeConversion(pixels: Uint8Array, indices: ArrayLike<number>, per: number, binarize: BinarizeMode, random: (() => number) | undefined, out: Float32Array): boolean {
  const addon = loadedAddon();
  if (typeof addon?.pixelsToFloats !== 'function' || !(pixels instanceof Uint8Array)) return false;
  const seeded = random as SeededRandom | undefined;
  if (binarize === 'dynamic' && typeof seeded?.advance !== 'function') return false;
  const idx = indices instanceof Int32Array ? indices : Int32Array.from(indices);
  const mode = binarize === 'off' ? 0 : binarize === 'dynamic' ? 2 : 1;
  const draws = addon.pixelsToFloats(pixels, idx, per, mode, typeof binarize === 'number' ? binarize * 255 : 0, seeded?.state ?? 0, out);
  if (mode === 2) seeded!.advance(draws);
  return true;
}

/** v / 255 for every uint8 v, as float32: the same values the division gives, without dividing. */
const BY_255 = Float32Array.from({ length: 256 }, (_, v) => v / 255);

function scaled(pixels: Uint8Array, src: number, out: Float32Array, dst: number, per: number): void {
  for (let p = 0; p < per; p++) out[dst + p] = BY_255[pixels[src + p]];
}

// 0 never fires and 255 always does: no draw for them (81% of MNIST's pixels are 0)
function sampled(pixels: Uint8Array, src: number, out: Float32Array, dst: number, per: number, random: () => number): void {
  for (let p = 0; p < per; p++) {
    const v = pixels[src + p];
    out[dst + p] = v === 0 ? 0 : v === 255 ? 1 : random() * 255 < v ? 1 : 0;
  }
}

function thresholded(pixels: Uint8Array, src: number, out: Float32Array, dst: number, per: number, t: number): void {
  for (let p = 0; p < per; p++) out[dst + p] = pixels[src + p] > t ? 1 : 0;
}

/** Float images in [0,1] -> uint8 HWC pixels (disposes nothing; reads asynchronously, as WebGPU requires in Node). */
export async function tensorToPixels(images: tf.Tensor): Promise<Uint8Array> {
  const data = await images.data();
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(data[i] * 255)));
  return out;
}

/** When encoding for the explorer views, 'dynamic' binarization would add noise: use the grey values. */
export function inferenceBinarize(mode: BinarizeMode): BinarizeMode {
  return mode === 'dynamic' ? 'off' : mode;
}
