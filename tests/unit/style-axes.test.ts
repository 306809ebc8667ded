// Turning the style axes of a trained model: the rotation is exact where it can be (means, decoder), and the
// axes it picks follow the pixel measures at least as closely as any of the old axes did.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { rotateStyleAxes } from '../../models/rotate-style.ts';
import { alignStyleAxes, principalDirections } from '../../electron/engine/training/style-axes.ts';
import { measureStyle, pearson } from '../../electron/engine/explorer/style-measures.ts';
import { generateGlyphs } from '../../electron/engine/datasets/synthetic/glyphs.ts';

const glyphs = generateGlyphs({ count: 600, seed: 7 });
const all = Array.from({ length: glyphs.count }, (_, i) => i);
let x: tf.Tensor4D;

beforeAll(async () => {
  await useWasm();
  x = pixelsToTensor(glyphs.images, all, 28, 1, 'off');
});

const config = () => defaultModelConfig({ objective: 'ssvae', latent: 9, style: 4, numClasses: 5, hidden: [64, 32], classCode: 'prototype', leakageWeight: 1, seed: 2 });
const means = (model: VaeModel) => {
  const { mean, logVar } = model.encode(x);
  const m = mean.arraySync() as number[][];
  const v = logVar.arraySync() as number[][];
  tf.dispose([mean, logVar]);
  return { m, v };
};

describe('rotating the style axes', () => {
  it('rotates the encoder means exactly and the decoder reads the rotated code as the old one', async () => {
    const model = VaeModel.create(config());
    const before = means(model);
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const dims = [1, 3];
    await rotateStyleAxes(model, dims, [c, -s, s, c]);
    const after = means(model);
    for (let i = 0; i < 20; i++) {
      expect(after.m[i][1]).toBeCloseTo(c * before.m[i][1] - s * before.m[i][3], 4);
      expect(after.m[i][3]).toBeCloseTo(s * before.m[i][1] + c * before.m[i][3], 4);
      for (const d of [0, 2, 4, 8]) expect(after.m[i][d]).toBeCloseTo(before.m[i][d], 5);
    }
    // decode(z') with the rotated decoder equals the old decode(Rᵀ z'): compare against a model rotated back
    const z = [[0.3, -1.2, 0.5, 2, 0, 0.1, -0.4, 0.2, 1]];
    const turned = model.decode(tf.tensor2d(z)).dataSync();
    await rotateStyleAxes(model, dims, [c, s, -s, c]);
    const back = [...z[0]];
    [back[1], back[3]] = [c * z[0][1] + s * z[0][3], -s * z[0][1] + c * z[0][3]];
    const original = model.decode(tf.tensor2d([back])).dataSync();
    for (let p = 0; p < turned.length; p += 13) expect(turned[p]).toBeCloseTo(original[p], 5);
    // a permutation moves the log-variances exactly
    const p0 = means(model);
    await rotateStyleAxes(model, [0, 2], [0, 1, 1, 0]);
    const p1 = means(model);
    expect(p1.v[5][0]).toBeCloseTo(p0.v[5][2], 5);
    expect(p1.v[5][2]).toBeCloseTo(p0.v[5][0], 5);
    await expect(rotateStyleAxes(model, [0, 1], [1, 1, 0, 1])).rejects.toThrow(/not orthonormal/);
    model.dispose();
  });

  it('turns the living style axes so the first follows its measure at least as well as any old axis did', async () => {
    const model = VaeModel.create(config());
    for (let step = 0; step < 40; step++) {
      const idx = all.slice((step * 64) % 512, ((step * 64) % 512) + 64);
      const batch = pixelsToTensor(glyphs.images, idx, 28, 1, 'off');
      await model.trainStep(batch, Int32Array.from(idx, (i) => (i % 3 === 0 ? glyphs.labels[i] : -1)), step);
      batch.dispose();
    }
    const before = means(model);
    const aligned = await alignStyleAxes(model, { pixels: glyphs.images, size: 28, channels: 1 }, all, 'off');
    expect(aligned).not.toBeNull();
    const { axes, dims, rotation } = aligned!;
    expect(axes.length).toBeGreaterThan(0);
    // orthonormal rows
    const a = dims.length;
    for (let i = 0; i < a; i++)
      for (let k = 0; k < a; k++) {
        const dot = Array.from({ length: a }, (_, j) => rotation[i * a + j] * rotation[k * a + j]).reduce((p, q) => p + q, 0);
        expect(dot).toBeCloseTo(i === k ? 1 : 0, 6);
      }
    const first = axes[0];
    expect(first.dim).toBe(dims[0]);
    const measure = all.map((i) => measureStyle(glyphs.images, 28, i * 784, 1)[first.measure]);
    const after = means(model);
    const newCorr = Math.abs(pearson(after.m.map((r) => r[first.dim]), measure));
    const oldBest = Math.max(...dims.map((d) => Math.abs(pearson(before.m.map((r) => r[d]), measure))));
    expect(newCorr).toBeGreaterThanOrEqual(oldBest - 1e-6);
    expect(newCorr ** 2).toBeCloseTo(first.r2, 1);
    model.dispose();
  });

  it('finds the principal directions of a symmetric matrix, largest first', () => {
    const [e1, e2] = principalDirections([[2, 1], [1, 2]]);
    expect(Math.abs(e1[0])).toBeCloseTo(Math.SQRT1_2, 6);
    expect(e1[0] * e1[1]).toBeGreaterThan(0);
    expect(e2[0] * e2[1]).toBeLessThan(0);
  });
});
