// TF.js reads a random op's seed of 0 as "no seed" (Math.random): a seeded run's first step did not repeat.
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { reparameterize } from '../../models/losses.ts';
import { tfSeed } from '../../models/random.ts';

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
