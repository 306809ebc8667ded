// TF.js reads a random op's seed of 0 as "no seed" (Math.random): a seeded run's first step did not repeat.
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { randomNormalFromSeed, reparameterize } from '../../models/losses.ts';
import { normalFromSeed, tfSeed } from '../../models/random.ts';

beforeAll(async () => {
  await useWasm();
});

it('a seed of 0 draws the same reparameterisation noise every time, and other seeds are kept as they are', () => {
  const draw = (seed: number) =>
    tf.tidy(() => reparameterize(tf.zeros([4, 3]) as tf.Tensor2D, tf.zeros([4, 3]) as tf.Tensor2D, 2, seed).dataSync().slice());
  expect(Array.from(draw(0))).toEqual(Array.from(draw(0)));
  expect(Array.from(draw(0))).not.toEqual(Array.from(draw(1)));
  expect(Array.from(draw(7))).toEqual(Array.from(draw(7)));
  expect([tfSeed(0), tfSeed(1), tfSeed(12345), tfSeed(undefined)]).toEqual([0.5, 1, 12345, undefined]);
});

it("normalFromSeed draws tf.randomNormal's floats for the same seed without a tensor (odd and even counts, seed 0, fractions, big seeds)", () => {
  for (const seed of [0, 1, 7, 0.5, 2.25, 12345, 4_000_000_123])
    for (const count of [1, 2, 3, 256, 1001]) {
      const want = tf.tidy(() => randomNormalFromSeed<tf.Rank.R1>([count], seed).dataSync().slice());
      const got = normalFromSeed(count, seed);
      expect(got.length).toBe(count);
      // bit for bit: count the floats that differ (a failing toEqual on 1,001 floats reads badly)
      expect(got.reduce((n, v, i) => n + (Object.is(v, want[i]) ? 0 : 1), 0), `seed ${seed}, ${count} draws`).toBe(0);
    }
  // the draws are standard normal: over 10,000, mean ~0 and variance ~1
  const many = normalFromSeed(10_000, 3);
  const mean = many.reduce((a, v) => a + v, 0) / many.length;
  const variance = many.reduce((a, v) => a + (v - mean) ** 2, 0) / many.length;
  expect(Math.abs(mean)).toBeLessThan(0.05);
  expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  // no seed: fresh noise each call, as TF.js's
  expect(Array.from(normalFromSeed(8, undefined))).not.toEqual(Array.from(normalFromSeed(8, undefined)));
});
