// Batch conversion in the native kernels (models/pixels.ts → kernels.cc pixelsToFloats): the floats of
// the JavaScript loops bit for bit, in every binarization mode, on one thread and two; dynamic binarization
// takes its draws from the caller's own mulberry32 sequence and leaves the generator where the loops would.
import { afterAll, describe, expect, it } from 'vitest';
import { pixelsToFloats } from '../../models/pixels.ts';
import { mulberry32 } from '../../models/random.ts';
import { loadedAddon, nativeKernelsStatus } from '../../models/native/kernels.ts';

const addon = loadedAddon();
const reason = addon ? '' : `native kernels not loaded: ${nativeKernelsStatus().reason}`;

/** The conversion as the JavaScript loops define it. */
function reference(pixels: Uint8Array, indices: number[], per: number, mode: 'off' | 'dynamic' | number, random: () => number): Float32Array {
  const out = new Float32Array(indices.length * per);
  indices.forEach((img, k) => {
    for (let p = 0; p < per; p++) {
      const v = pixels[img * per + p];
      out[k * per + p] = mode === 'off' ? v / 255 : mode === 'dynamic' ? (v === 0 ? 0 : v === 255 ? 1 : random() * 255 < v ? 1 : 0) : v > mode * 255 ? 1 : 0;
    }
  });
  return out;
}

/** Images of every value 0..255, mostly 0 like MNIST's, and some pure 255. */
function images(count: number, per: number): Uint8Array {
  const px = new Uint8Array(count * per);
  for (let i = 0; i < px.length; i++) {
    const h = (Math.imul(i, 2654435761) >>> 0) % 1000;
    px[i] = h < 700 ? 0 : h < 800 ? 255 : h % 256;
  }
  return px;
}

describe.skipIf(!addon)(`native batch conversion${reason ? ` (${reason})` : ''}`, () => {
  afterAll(() => {
    addon?.setThreads(1);
  });

  for (const threads of [1, 2]) {
    it(`gives the loops' floats in every mode, and dynamic draws from the caller's generator (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      addon!.setThreads(threads);
      const per = 784;
      const px = images(300, per);
      // 130 images (uneven shares), some twice, in no order
      const indices = Array.from({ length: 130 }, (_, k) => (k * 37) % 300);
      for (const mode of ['off', 0.5, 0.2, 'dynamic'] as const) {
        const seeded = mulberry32(41);
        seeded(); // a draw taken before, as training's extra labelled picks take them
        const want = mulberry32(41);
        want();
        const got = pixelsToFloats(px, indices, 28, 1, mode, seeded);
        const expected = reference(px, indices, per, mode, want);
        expect(got.length).toBe(expected.length);
        let diff = 0;
        for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) diff++;
        expect(diff, `${mode}: values that differ`).toBe(0);
        // the generator is where the loops leave it: the next draws agree
        expect([seeded(), seeded()]).toEqual([want(), want()]);
      }
      // dynamic really draws: about as many ones as the grey values' mean, not a threshold
      const grey = new Uint8Array(784 * 64).fill(64);
      const ones = pixelsToFloats(grey, Array.from({ length: 64 }, (_, k) => k), 28, 1, 'dynamic', mulberry32(3)).reduce((a, v) => a + v, 0);
      expect(ones / (784 * 64)).toBeGreaterThan(0.23);
      expect(ones / (784 * 64)).toBeLessThan(0.27);
    });
  }

  it('converts big RGB batches (split over threads) and refills the array it is given', () => {
    addon!.setThreads(2);
    const per = 64 * 64 * 3;
    const px = images(40, per);
    const indices = Array.from({ length: 40 }, (_, k) => 39 - k);
    const into = new Float32Array(40 * per);
    const got = pixelsToFloats(px, indices, 64, 3, 'off', undefined, into);
    expect(got).toBe(into);
    expect(Array.from(got)).toEqual(Array.from(reference(px, indices, per, 'off', Math.random)));
  });

  it('converts clamped pixel arrays too (through the loops)', () => {
    const px = images(2, 784);
    const clamped = new Uint8ClampedArray(px.buffer);
    expect(Array.from(pixelsToFloats(clamped as unknown as Uint8Array, [1, 0], 28, 1, 'off'))).toEqual(Array.from(reference(px, [1, 0], 784, 'off', Math.random)));
  });

  it('refuses an index outside the images, naming it', () => {
    const px = images(3, 16);
    expect(() => pixelsToFloats(px, [0, 3], 4, 1, 'off')).toThrow(/index lies outside the images/);
    expect(() => pixelsToFloats(px, [-1], 4, 1, 'dynamic', mulberry32(1))).toThrow(/index lies outside the images/);
  });

  it('takes the loops for dynamic binarization when the random source is not a mulberry32 (its draws cannot be taken natively)', () => {
    const px = images(4, 784);
    let calls = 0;
    const plain = mulberry32(5);
    const counted = () => (calls++, plain());
    const got = pixelsToFloats(px, [0, 1, 2, 3], 28, 1, 'dynamic', counted);
    expect(calls).toBeGreaterThan(0);
    expect(Array.from(got)).toEqual(Array.from(reference(px, [0, 1, 2, 3], 784, 'dynamic', mulberry32(5))));
  });
});
